import { Failure } from '../http/failure';

export type Theme = 'light' | 'dark' | 'system';
type ThemeCode = 'LIGHT' | 'DARK' | 'SYS';

const THEME_BY_CODE: Readonly<Record<ThemeCode, Theme>> = { LIGHT: 'light', DARK: 'dark', SYS: 'system' };
const CODE_BY_THEME: Readonly<Record<Theme, ThemeCode>> = { light: 'LIGHT', dark: 'DARK', system: 'SYS' };

/** Stored codes outside LIGHT/DARK/SYS have no API value and read as null. */
export function themeFromCode(code: string | null): Theme | null {
  return code !== null && Object.hasOwn(THEME_BY_CODE, code) ? THEME_BY_CODE[code as ThemeCode] : null;
}

export function codeForTheme(theme: string): ThemeCode | Failure {
  if (Object.hasOwn(CODE_BY_THEME, theme)) return CODE_BY_THEME[theme as Theme];
  return new Failure('PREFERENCES.INVALID_THEME', 'theme must be one of light, dark, system');
}

export function marketingEmailsFromFlag(flag: string | null): boolean | null {
  if (flag === 'Y') return true;
  if (flag === 'N') return false;
  return null;
}

export function flagForMarketingEmails(marketingEmails: boolean): 'Y' | 'N' {
  return marketingEmails ? 'Y' : 'N';
}

function canonicalLocale(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/** language[-Script][-REGION]: the shapes a POSIX locale name (`zh_Hant_TW`, `es_419`) can carry. */
const POSIX_SHAPED_TAG = /^[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?$/;
const MAX_POSIX_LOCALE_LENGTH = 10;

/** A BCP 47 tag in, its POSIX storage form out (`en-us` -> `en_US`), canonicalized on the way. */
export function posixForLocale(tag: string): string | Failure {
  const canonical = canonicalLocale(tag);
  if (canonical && POSIX_SHAPED_TAG.test(canonical) && canonical.length <= MAX_POSIX_LOCALE_LENGTH) {
    return canonical.replaceAll('-', '_');
  }
  return new Failure('PREFERENCES.INVALID_LOCALE', 'locale must be a BCP 47 tag of the form language[-Script][-REGION]');
}

/**
 * A stored POSIX locale as a BCP 47 tag (`en_US` -> `en-US`). Blank values are legacy dirt and read as null,
 * as does anything that is no locale at all; a codeset or modifier (`de_DE.UTF-8@euro`) is dropped.
 */
export function localeFromPosix(stored: string | null): string | null {
  const name = stored?.trim().replace(/[.@].*$/, '');
  if (!name) return null;
  return canonicalLocale(name.replaceAll('_', '-')) ?? null;
}

const SUPPORTED_TIME_ZONES = new Set(Intl.supportedValuesOf('timeZone'));
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;
const MAX_TIME_ZONE_LENGTH = 64;

function isTimeZoneAlias(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

/**
 * Intl.supportedValuesOf leaves out links such as UTC, US/Eastern or Asia/Kolkata on some ICU builds, so
 * names Intl.DateTimeFormat accepts count too; the shape check keeps out offsets like `+05:00`.
 */
export function checkTimeZone(name: string): Failure | undefined {
  if (name.length <= MAX_TIME_ZONE_LENGTH && (SUPPORTED_TIME_ZONES.has(name) || (IANA_NAME.test(name) && isTimeZoneAlias(name)))) {
    return undefined;
  }
  return new Failure('PREFERENCES.INVALID_TIME_ZONE', 'timeZone must be an IANA time zone name');
}

/** Blank stored zones read as null, like blank locales. */
export function timeZoneFromStored(stored: string | null): string | null {
  return stored?.trim() ? stored : null;
}

export interface PreferencesRow {
  readonly usr_id: string;
  readonly pref_lang: string | null;
  readonly pref_tz: string | null;
  readonly email_optin_flg: string | null;
  readonly theme_cd: string | null;
}

export function preferencesFromRow(row: PreferencesRow) {
  return {
    id: Number(row.usr_id),
    locale: localeFromPosix(row.pref_lang),
    timeZone: timeZoneFromStored(row.pref_tz),
    marketingEmails: marketingEmailsFromFlag(row.email_optin_flg),
    theme: themeFromCode(row.theme_cd),
  };
}
