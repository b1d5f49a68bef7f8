import { Failure } from '../../platform/failure';

// The monolith's rules for a settings subject, kept answer for answer (legacy/settings/preferences.ts):
// a client must get the same failure from either backend.

export type Theme = 'light' | 'dark' | 'system';

const THEMES: readonly string[] = ['light', 'dark', 'system'] satisfies Theme[];

export function checkTheme(theme: string): Theme | Failure {
  if (THEMES.includes(theme)) return theme as Theme;
  return new Failure('PREFERENCES.INVALID_THEME', 'theme must be one of light, dark, system');
}

function canonicalTag(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/**
 * language[-Script][-REGION], at most 10 characters: the tags legacy's POSIX column (`zh_Hant_TW`, varchar(10))
 * can hold. Tags outside it are refused here too, both to answer as legacy does and because the reverse
 * sync must be able to write every stored locale back into that column.
 */
const POSIX_SHAPED_TAG = /^[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?$/;
export const MAX_LOCALE_LENGTH = 10;

/** A BCP 47 tag in, its canonical form out (`EN-us` -> `en-US`, `iw-IL` -> `he-IL`). */
export function checkLocale(tag: string): string | Failure {
  const canonical = canonicalTag(tag);
  if (canonical && POSIX_SHAPED_TAG.test(canonical) && canonical.length <= MAX_LOCALE_LENGTH) return canonical;
  return new Failure('PREFERENCES.INVALID_LOCALE', 'locale must be a BCP 47 tag of the form language[-Script][-REGION]');
}

const SUPPORTED_TIME_ZONES = new Set(Intl.supportedValuesOf('timeZone'));
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;
export const MAX_TIME_ZONE_LENGTH = 64;

function isZoneIntlAccepts(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

/**
 * An IANA zone, stored as sent. Intl.supportedValuesOf leaves out links such as UTC, US/Eastern or
 * Asia/Kolkata on some ICU builds, so names Intl.DateTimeFormat accepts count too; the name's shape keeps
 * out offsets like `+05:00`, which DateTimeFormat would also take.
 */
export function checkTimeZone(name: string): Failure | undefined {
  if (name.length <= MAX_TIME_ZONE_LENGTH && (SUPPORTED_TIME_ZONES.has(name) || (IANA_NAME.test(name) && isZoneIntlAccepts(name)))) {
    return undefined;
  }
  return new Failure('PREFERENCES.INVALID_TIME_ZONE', 'timeZone must be an IANA time zone name');
}
