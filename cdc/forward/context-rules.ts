// The user-service's rules that a translated state must obey, re-stated here because components share
// schemas, not code. context-rules-drift.test.ts holds every one of them to the user-service's own
// functions on many inputs, so a rule changed there fails here before a sync stores what the API refuses.

// identity (user-service/identity/domain/email-address.ts, migrations/user-service/identity)
export const EMAIL_SYNTAX = /^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$/;
export const MAX_EMAIL_LENGTH = 254;
export const EMAIL_COLUMN_WIDTH = 320;
export const PASSWORD_HASH_COLUMN_WIDTH = 200;
export const ACCOUNT_STATUSES = ['active', 'suspended', 'closed'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** An already trimmed address identity would keep; the caller lower-cases it (the syntax is ASCII-only). */
export function isAcceptedEmail(trimmed: string): boolean {
  return trimmed.length <= MAX_EMAIL_LENGTH && EMAIL_SYNTAX.test(trimmed);
}

// profile (user-service/profile/domain/persona-rules.ts, migrations/user-service/profile)
export const MAX_DISPLAY_NAME_CHARACTERS = 100;
export const MAX_BIO_CHARACTERS = 20_000;
export const MAX_AVATAR_URL_CHARACTERS = 500;

/** Code points, as varchar(n), legacy and the profile count; `length` counts UTF-16 units. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** A literal http(s) URL: WHATWG parsing would forgive `http:host`, surrounding spaces and inner tabs. */
export function isAcceptedAvatarUrl(url: string): boolean {
  if (characterCount(url) > MAX_AVATAR_URL_CHARACTERS) return false;
  if (!/^https?:\/\/[^\s\u0000-\u001f\u007f]+$/i.test(url)) return false;
  // canParse, not new URL in a try: under jest its TypeError comes from another realm.
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
}

// preferences (user-service/preferences/domain/settings-rules.ts, migrations/user-service/preferences)
export const THEMES = ['light', 'dark', 'system'] as const;
export type Theme = (typeof THEMES)[number];

/** language[-Script][-REGION] in at most 10 characters: what legacy's POSIX varchar(10) can hold back. */
const POSIX_SHAPED_TAG = /^[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?$/;
export const MAX_LOCALE_LENGTH = 10;

/**
 * Intl's answers cost microseconds each (a DateTimeFormat built per call), and a sync asks them for every
 * row of every batch about a few hundred distinct values: remember them, up to a bound.
 */
function remembered<R>(answer: (input: string) => R, capacity = 10_000): (input: string) => R {
  const known = new Map<string, R>();
  return (input) => {
    if (known.has(input)) return known.get(input) as R;
    const result = answer(input);
    if (known.size >= capacity) known.clear();
    known.set(input, result);
    return result;
  };
}

/** The canonical BCP 47 form the preferences context stores (`EN-us` -> `en-US`, `iw-IL` -> `he-IL`), or undefined. */
export const canonicalLocale = remembered(canonicalLocaleOf);

function canonicalLocaleOf(tag: string): string | undefined {
  let canonical: string | undefined;
  try {
    canonical = Intl.getCanonicalLocales(tag)[0];
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
  if (canonical && POSIX_SHAPED_TAG.test(canonical) && canonical.length <= MAX_LOCALE_LENGTH) return canonical;
  return undefined;
}

const SUPPORTED_TIME_ZONES = new Set(Intl.supportedValuesOf('timeZone'));
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;
export const MAX_TIME_ZONE_LENGTH = 64;

const intlAcceptsZone = remembered(intlAcceptsZoneOf);

function intlAcceptsZoneOf(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

/** An IANA name, links included (some ICU builds leave UTC or Asia/Kolkata out of supportedValuesOf). */
export function isAcceptedTimeZone(name: string): boolean {
  return name.length <= MAX_TIME_ZONE_LENGTH && (SUPPORTED_TIME_ZONES.has(name) || (IANA_NAME.test(name) && intlAcceptsZone(name)));
}
