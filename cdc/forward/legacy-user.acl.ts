// Anti-corruption layer, legacy to the new contexts: one public.users row becomes an account (identity),
// a public persona (profile) and settings (preferences), each obeying its context's rules, or a rejection
// with a stable code. Pure. Reasons go to operators' logs and dashboards, so they never carry the email,
// the hash, names or free text: only column names, lengths, and short codes that cannot hold an address.
import { UNAVAILABLE_VALUE_PLACEHOLDER, type LegacyColumn, type LegacyUserRow } from '../debezium/change-event';
import {
  EMAIL_COLUMN_WIDTH,
  MAX_BIO_CHARACTERS,
  MAX_DISPLAY_NAME_CHARACTERS,
  PASSWORD_HASH_COLUMN_WIDTH,
  canonicalLocale,
  characterCount,
  isAcceptedAvatarUrl,
  isAcceptedEmail,
  isAcceptedTimeZone,
  type AccountStatus,
  type Theme,
} from './context-rules';

export type { AccountStatus, Theme } from './context-rules';

export type ContextName = 'identity' | 'profile' | 'preferences';

/**
 * Which legacy columns each context owns: the forward sync reads them, the reverse sync writes them back,
 * and a placeholder in one of them blocks only its owner. usr_id is every context's id, not owned;
 * updated_ts is bookkeeping (every legacy write moves it) and belongs to none.
 */
export const LEGACY_COLUMNS_OF = {
  identity: ['email_addr', 'pwd_hash', 'acct_stat_cd', 'last_login_ts', 'created_ts'],
  profile: ['disp_nm', 'bio_txt', 'avatar_url'],
  preferences: ['pref_lang', 'pref_tz', 'email_optin_flg', 'theme_cd'],
} as const satisfies Readonly<Record<ContextName, readonly LegacyColumn[]>>;

// The code tables, one per coded column; the reverse sync inverts these same tables.
export const STATUS_BY_CODE = { A: 'active', S: 'suspended', C: 'closed' } as const satisfies Readonly<Record<string, AccountStatus>>;
export const THEME_BY_CODE = { LIGHT: 'light', DARK: 'dark', SYS: 'system' } as const satisfies Readonly<Record<string, Theme>>;
export const MARKETING_EMAILS_BY_FLAG = { Y: true, N: false } as const;

export interface AccountState {
  readonly id: number;
  /** Trimmed of spaces and lower-cased. */
  readonly email: string;
  readonly passwordHash: string;
  readonly status: AccountStatus;
  readonly createdAt: Date;
  readonly lastLoginAt: Date | null;
}

export interface PersonaState {
  readonly id: number;
  readonly displayName: string | null;
  readonly bio: string | null;
  readonly avatarUrl: string | null;
}

export interface SettingsState {
  readonly id: number;
  /** Canonical BCP 47 (`en-US`); null when never set. */
  readonly locale: string | null;
  readonly timeZone: string | null;
  readonly marketingEmails: boolean | null;
  readonly theme: Theme | null;
}

export type ForwardRejectionCode =
  | 'FORWARD.INVALID_ID'
  | 'FORWARD.UNAVAILABLE_VALUE'
  | 'FORWARD.INVALID_EMAIL'
  | 'FORWARD.MISSING_PASSWORD_HASH'
  | 'FORWARD.VALUE_TOO_LONG'
  | 'FORWARD.UNKNOWN_STATUS_CODE'
  | 'FORWARD.INVALID_TIMESTAMP'
  | 'FORWARD.DISPLAY_NAME_TOO_LONG'
  | 'FORWARD.BIO_TOO_LONG'
  | 'FORWARD.INVALID_AVATAR_URL'
  | 'FORWARD.INVALID_LOCALE'
  | 'FORWARD.UNKNOWN_TIME_ZONE'
  | 'FORWARD.UNKNOWN_OPT_IN_FLAG'
  | 'FORWARD.UNKNOWN_THEME_CODE';

export type Rejection = { readonly ok: false; readonly code: ForwardRejectionCode; readonly reason: string };
export type Translation<S> = { readonly ok: true; readonly state: S } | Rejection;

const reject = (code: ForwardRejectionCode, reason: string): Rejection => ({ ok: false, code, reason });
const isRejection = (value: unknown): value is Rejection =>
  typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;

/** For coded columns only (char(1), varchar(10)): too short to hold an email or a name. */
const shownCode = (value: string): string => JSON.stringify(value.slice(0, 10));

function checkId(row: LegacyUserRow): Rejection | undefined {
  if (Number.isSafeInteger(row.usr_id) && row.usr_id >= 1) return undefined;
  return reject('FORWARD.INVALID_ID', 'usr_id is not a positive safe integer');
}

function checkAvailable(row: LegacyUserRow, columns: readonly LegacyColumn[]): Rejection | undefined {
  const unavailable = columns.filter((column) => row[column] === UNAVAILABLE_VALUE_PLACEHOLDER);
  if (unavailable.length === 0) return undefined;
  return reject('FORWARD.UNAVAILABLE_VALUE', `Debezium did not deliver the value of ${unavailable.join(', ')} (${UNAVAILABLE_VALUE_PLACEHOLDER}); the row must be re-read`);
}

// `timestamp` without time zone: Debezium's isostring (`T`, `Z`) or PostgreSQL's own text (space, no zone).
const LEGACY_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?$/;

/**
 * A legacy timestamp as the instant it means (UTC by convention), or undefined when it is not one.
 * Microseconds are truncated, never rounded: a Date holds milliseconds, and truncation keeps a value that
 * went legacy -> context -> legacy -> context on the same millisecond.
 */
export function legacyTimestamp(text: string): Date | undefined {
  const match = LEGACY_TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const millisecond = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  const instant = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millisecond));
  // Date.UTC maps the years 0-99 to 1900-1999, so the year is set on its own.
  instant.setUTCFullYear(year, month - 1, day);
  const exact =
    instant.getUTCFullYear() === year && instant.getUTCMonth() === month - 1 && instant.getUTCDate() === day &&
    instant.getUTCHours() === hour && instant.getUTCMinutes() === minute && instant.getUTCSeconds() === second;
  return exact ? instant : undefined;
}

function timestampOf(row: LegacyUserRow, column: 'created_ts' | 'updated_ts' | 'last_login_ts'): Date | null | Rejection {
  const text = row[column];
  if (text === null) return null;
  if (text === UNAVAILABLE_VALUE_PLACEHOLDER) return checkAvailable(row, [column])!;
  return legacyTimestamp(text) ?? reject('FORWARD.INVALID_TIMESTAMP', `${column} is not a timestamp of the form YYYY-MM-DDTHH:MM:SS[.ffffff][Z]`);
}

/**
 * legacy's uniqueness key, lower(btrim(email_addr)), where btrim drops spaces only. Identity's own rule
 * trims every kind of whitespace, but then " a@x.com" and "\ta@x.com", two rows legacy keeps apart,
 * would claim one account; trimming only spaces maps distinct legacy rows to distinct accounts, and the
 * tab-padded one fails the syntax instead (it never passed legacy's own API, which trims everything).
 */
function emailOf(typed: string): string | Rejection {
  const trimmed = typed.replace(/^ +| +$/g, '');
  if (!isAcceptedEmail(trimmed)) {
    return reject('FORWARD.INVALID_EMAIL', `email_addr is not a valid address after trimming and lower-casing (identity's syntax, at most 254 characters; ${characterCount(typed)} stored)`);
  }
  // The syntax admits ASCII only, so this lower-casing is PostgreSQL's lower() exactly.
  const email = trimmed.toLowerCase();
  if (characterCount(email) > EMAIL_COLUMN_WIDTH) return reject('FORWARD.VALUE_TOO_LONG', `email_addr is longer than identity's ${EMAIL_COLUMN_WIDTH} characters`);
  return email;
}

function passwordHashOf(stored: string): string | Rejection {
  // Identity publishes the hash in every event, and its schema needs at least one character.
  if (stored.length === 0) return reject('FORWARD.MISSING_PASSWORD_HASH', 'pwd_hash is empty: the account could never sign in and its events would be invalid');
  if (characterCount(stored) > PASSWORD_HASH_COLUMN_WIDTH) return reject('FORWARD.VALUE_TOO_LONG', `pwd_hash is longer than identity's ${PASSWORD_HASH_COLUMN_WIDTH} characters`);
  return stored;
}

function statusOf(code: string): AccountStatus | Rejection {
  if (Object.hasOwn(STATUS_BY_CODE, code)) return STATUS_BY_CODE[code as keyof typeof STATUS_BY_CODE];
  return reject('FORWARD.UNKNOWN_STATUS_CODE', `acct_stat_cd ${shownCode(code)} is not A, S or C`);
}

/**
 * A legacy row as identity's account. identity.accounts.created_at is NOT NULL, so a row without created_ts
 * takes, in order: `storedCreatedAt` (the account's creation time from an earlier apply), updated_ts (the
 * row's last write, the best bound legacy kept), then `observedAt`. Pass `storedCreatedAt` whenever the
 * account exists: updated_ts and observedAt move with every write, and the creation time must not.
 */
export function legacyUserToAccount(row: LegacyUserRow, { observedAt, storedCreatedAt }: { observedAt: Date; storedCreatedAt?: Date }): Translation<AccountState> {
  const broken = checkId(row) ?? checkAvailable(row, LEGACY_COLUMNS_OF.identity);
  if (broken) return broken;
  const email = emailOf(row.email_addr);
  if (isRejection(email)) return email;
  const passwordHash = passwordHashOf(row.pwd_hash);
  if (isRejection(passwordHash)) return passwordHash;
  const status = statusOf(row.acct_stat_cd);
  if (isRejection(status)) return status;

  const created = timestampOf(row, 'created_ts') ?? storedCreatedAt ?? null;
  if (isRejection(created)) return created;
  const updated = created === null ? timestampOf(row, 'updated_ts') : null;
  if (isRejection(updated)) return updated;
  const lastLoginAt = timestampOf(row, 'last_login_ts');
  if (isRejection(lastLoginAt)) return lastLoginAt;

  return { ok: true, state: { id: row.usr_id, email, passwordHash, status, createdAt: created ?? updated ?? observedAt, lastLoginAt } };
}

/**
 * A legacy row as profile's public persona. A value the profile refuses is rejected, never truncated:
 * a cut bio or URL would be stored as if the user had written it, and once the profile owns writes the
 * reverse sync would write the cut value back over legacy's whole one. A rejection is visible (dead
 * letter, verifier drift) and loses nothing.
 */
export function legacyUserToPersona(row: LegacyUserRow): Translation<PersonaState> {
  const broken = checkId(row) ?? checkAvailable(row, LEGACY_COLUMNS_OF.profile);
  if (broken) return broken;
  // Checked in legacy's order (displayName, bio, avatarUrl), so the code names the field legacy would.
  const { disp_nm: displayName, bio_txt: bio, avatar_url: avatarUrl } = row;
  if (displayName !== null && characterCount(displayName) > MAX_DISPLAY_NAME_CHARACTERS) {
    return reject('FORWARD.DISPLAY_NAME_TOO_LONG', `disp_nm has ${characterCount(displayName)} characters, the profile allows ${MAX_DISPLAY_NAME_CHARACTERS}`);
  }
  if (bio !== null && characterCount(bio) > MAX_BIO_CHARACTERS) {
    return reject('FORWARD.BIO_TOO_LONG', `bio_txt has ${characterCount(bio)} characters, the profile allows ${MAX_BIO_CHARACTERS}`);
  }
  if (avatarUrl !== null && !isAcceptedAvatarUrl(avatarUrl)) {
    return reject('FORWARD.INVALID_AVATAR_URL', `avatar_url (${characterCount(avatarUrl)} characters) is not a literal http(s) URL of at most 500 characters`);
  }
  // An empty bio stays empty: legacy shows "" and null differently, and so does the profile.
  return { ok: true, state: { id: row.usr_id, displayName, bio, avatarUrl } };
}

/**
 * A stored POSIX locale as the preferences' canonical tag. Blank is how an old settings form saved an
 * untouched field: not set, not an error. A codeset or modifier (`de_DE.UTF-8`, `de_DE@euro`) is dropped,
 * as legacy's own reader drops it, so both backends show the same locale.
 */
function localeOf(stored: string | null): string | null | Rejection {
  const name = stored?.trim();
  if (name === undefined || name === '') return null;
  const tag = canonicalLocale(name.replace(/^([^.@]+)[.@].*$/, '$1').replaceAll('_', '-'));
  return tag ?? reject('FORWARD.INVALID_LOCALE', `pref_lang ${shownCode(name)} is not a locale of the form language[_Script][_REGION]`);
}

/** Stored as sent, links included; blank means never set. */
function timeZoneOf(stored: string | null): string | null | Rejection {
  if (stored === null || stored.trim() === '') return null;
  if (isAcceptedTimeZone(stored)) return stored;
  // Not echoed: 64 characters can hold an address someone typed into the wrong field.
  return reject('FORWARD.UNKNOWN_TIME_ZONE', `pref_tz (${characterCount(stored)} characters) is not an IANA time zone name`);
}

function marketingEmailsOf(flag: string | null): boolean | null | Rejection {
  if (flag === null) return null;
  if (Object.hasOwn(MARKETING_EMAILS_BY_FLAG, flag)) return MARKETING_EMAILS_BY_FLAG[flag as keyof typeof MARKETING_EMAILS_BY_FLAG];
  return reject('FORWARD.UNKNOWN_OPT_IN_FLAG', `email_optin_flg ${shownCode(flag)} is not Y or N`);
}

function themeOf(code: string | null): Theme | null | Rejection {
  if (code === null) return null;
  if (Object.hasOwn(THEME_BY_CODE, code)) return THEME_BY_CODE[code as keyof typeof THEME_BY_CODE];
  return reject('FORWARD.UNKNOWN_THEME_CODE', `theme_cd ${shownCode(code)} is not LIGHT, DARK or SYS`);
}

/** A legacy row as the preferences' settings; null stays null (never set), anything unknown is rejected. */
export function legacyUserToSettings(row: LegacyUserRow): Translation<SettingsState> {
  const broken = checkId(row) ?? checkAvailable(row, LEGACY_COLUMNS_OF.preferences);
  if (broken) return broken;
  const locale = localeOf(row.pref_lang);
  if (isRejection(locale)) return locale;
  const timeZone = timeZoneOf(row.pref_tz);
  if (isRejection(timeZone)) return timeZone;
  const marketingEmails = marketingEmailsOf(row.email_optin_flg);
  if (isRejection(marketingEmails)) return marketingEmails;
  const theme = themeOf(row.theme_cd);
  if (isRejection(theme)) return theme;
  return { ok: true, state: { id: row.usr_id, locale, timeZone, marketingEmails, theme } };
}

const sameInstant = (a: Date | null, b: Date | null): boolean => (a === null || b === null ? a === b : a.getTime() === b.getTime());

// Content only: version, updatedAt and other bookkeeping of a stored state are not compared, so a
// legacy write that changed nothing of a context (only updated_ts, or another context's columns) is a no-op.
export function sameAccount(a: AccountState, b: AccountState): boolean {
  return a.id === b.id && a.email === b.email && a.passwordHash === b.passwordHash && a.status === b.status &&
    sameInstant(a.createdAt, b.createdAt) && sameInstant(a.lastLoginAt, b.lastLoginAt);
}

export function samePersona(a: PersonaState, b: PersonaState): boolean {
  return a.id === b.id && a.displayName === b.displayName && a.bio === b.bio && a.avatarUrl === b.avatarUrl;
}

export function sameSettings(a: SettingsState, b: SettingsState): boolean {
  return a.id === b.id && a.locale === b.locale && a.timeZone === b.timeZone && a.marketingEmails === b.marketingEmails && a.theme === b.theme;
}
