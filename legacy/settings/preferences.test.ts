import { Failure } from '../http/failure';
import {
  checkTimeZone, codeForTheme, flagForMarketingEmails, localeFromPosix, marketingEmailsFromFlag, posixForLocale,
  preferencesFromRow, themeFromCode,
} from './preferences';

function failureCode(value: unknown): string | undefined {
  return value instanceof Failure ? value.code : undefined;
}

describe('locale: BCP 47 in the API, POSIX in the table', () => {
  test.each([
    ['en-US', 'en_US'],
    ['EN-us', 'en_US'],
    ['de', 'de'],
    ['zh-hant-tw', 'zh_Hant_TW'],
    ['es-419', 'es_419'],
    ['iw-IL', 'he_IL'],
  ])('stores %p canonicalized as %p', (tag, posix) => {
    expect(posixForLocale(tag)).toBe(posix);
  });

  test.each([
    ['a POSIX name', 'en_US'],
    ['garbage', 'not a locale'],
    ['a single letter', 'x'],
    ['an empty string', ''],
    ['an extension', 'en-US-u-ca-buddhist'],
    ['a variant', 'de-DE-1996'],
    ['a private use tag', 'x-klingon'],
  ])('refuses %s, which the POSIX column cannot hold', (_, tag) => {
    expect(failureCode(posixForLocale(tag))).toBe('PREFERENCES.INVALID_LOCALE');
  });

  test.each([
    ['en_US', 'en-US'],
    ['pt_BR', 'pt-BR'],
    ['zh_Hant_TW', 'zh-Hant-TW'],
    ['de_DE.UTF-8', 'de-DE'],
    ['fr_FR@euro', 'fr-FR'],
  ])('reads the stored %p as %p', (posix, tag) => {
    expect(localeFromPosix(posix)).toBe(tag);
  });

  test.each([null, '', ' ', '   ', '!!'])('reads the blank or unusable stored locale %p as null', (stored) => {
    expect(localeFromPosix(stored)).toBeNull();
  });

  test('what is stored reads back as the canonical tag that was sent', () => {
    for (const tag of ['en-GB', 'ja-JP', 'sr-Latn-RS', 'es-419']) {
      expect(localeFromPosix(posixForLocale(tag) as string)).toBe(tag);
    }
  });
});

describe('checkTimeZone', () => {
  test.each(['Europe/Berlin', 'America/Argentina/Buenos_Aires', 'UTC', 'Etc/GMT+5', 'US/Eastern', 'Asia/Kolkata', 'Asia/Calcutta'])(
    'accepts the IANA name %p, links included',
    (zone) => expect(checkTimeZone(zone)).toBeUndefined(),
  );

  test.each(['Mars/Olympus_Mons', 'Europe/Berlin ', '+05:00', 'Z', '', 'Berlin', 'America/New York'])('refuses %p', (zone) => {
    expect(failureCode(checkTimeZone(zone))).toBe('PREFERENCES.INVALID_TIME_ZONE');
  });
});

describe('theme codes', () => {
  test('each API theme maps to its stored code and back', () => {
    for (const [theme, code] of [['light', 'LIGHT'], ['dark', 'DARK'], ['system', 'SYS']] as const) {
      expect(codeForTheme(theme)).toBe(code);
      expect(themeFromCode(code)).toBe(theme);
    }
  });

  test.each(['Light', 'SYS', 'auto', '', 'toString'])('refuses the theme %p', (theme) => {
    expect(failureCode(codeForTheme(theme))).toBe('PREFERENCES.INVALID_THEME');
  });

  test.each([null, 'light', 'BLUE', ''])('reads the unknown stored theme %p as null', (code) => {
    expect(themeFromCode(code)).toBeNull();
  });
});

describe('marketing emails flag', () => {
  test('Y/N map to true/false and back; null and stray values read as null', () => {
    expect(flagForMarketingEmails(true)).toBe('Y');
    expect(flagForMarketingEmails(false)).toBe('N');
    expect(marketingEmailsFromFlag('Y')).toBe(true);
    expect(marketingEmailsFromFlag('N')).toBe(false);
    expect(marketingEmailsFromFlag(null)).toBeNull();
    expect(marketingEmailsFromFlag('y')).toBeNull();
  });
});

describe('preferencesFromRow', () => {
  test('a row of legacy dirt reads as nulls instead of failing', () => {
    expect(preferencesFromRow({ usr_id: '3', pref_lang: '  ', pref_tz: '', email_optin_flg: null, theme_cd: 'PINK' })).toEqual({
      id: 3,
      locale: null,
      timeZone: null,
      marketingEmails: null,
      theme: null,
    });
  });
});
