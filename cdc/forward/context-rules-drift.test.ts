// The rules the ACL re-states (context-rules.ts) against the user-service's own functions, and the states
// it produces against the user-service's invariants, tables and published schemas. Test-only imports: the
// sync itself shares no code with the user-service.
import { randomUUID } from 'node:crypto';
import { generateLegacyUsers } from '../../migrations/legacy/seed/legacy-user-generator';
import { publishedEventCheck } from '../../schemas/events/event-schemas';
import { accountStatus } from '../../user-service/identity/domain/account-status';
import { EMAIL_SYNTAX as IDENTITY_EMAIL_SYNTAX, emailAddress } from '../../user-service/identity/domain/email-address';
import { isFailure } from '../../user-service/platform/failure';
import { checkPreferencesChange } from '../../user-service/preferences/domain/preferences';
import { checkLocale, checkTheme, checkTimeZone } from '../../user-service/preferences/domain/settings-rules';
import { checkProfileChange } from '../../user-service/profile/domain/profile';
import type { LegacyUserRow } from '../debezium/change-event';
import { ACCOUNT_STATUSES, EMAIL_SYNTAX, THEMES, canonicalLocale, isAcceptedTimeZone } from './context-rules';
import {
  STATUS_BY_CODE,
  THEME_BY_CODE,
  legacyUserToAccount,
  legacyUserToPersona,
  legacyUserToSettings,
  type AccountState,
  type PersonaState,
  type SettingsState,
} from './legacy-user.acl';

const observedAt = new Date('2026-11-21T12:00:00.000Z');
const base: LegacyUserRow = {
  usr_id: 7, email_addr: 'grace@example.com', pwd_hash: '$2b$10$hash', acct_stat_cd: 'A', disp_nm: null, bio_txt: null, avatar_url: null,
  pref_lang: null, pref_tz: null, email_optin_flg: null, theme_cd: null, last_login_ts: null, created_ts: '2020-01-02T03:04:05Z', updated_ts: null,
};
const row = (overrides: Partial<LegacyUserRow>): LegacyUserRow => ({ ...base, ...overrides });

/** The same answer in both vocabularies: the stored value, or which rule broke. */
const answerOf = <T>(outcome: T | { code: string }) => (isFailure(outcome) ? outcome.code.replace(/^[A-Z]+\./, '') : outcome);

const seededEmails = (() => {
  const emails: string[] = [];
  for (const { row: seeded } of generateLegacyUsers(7, ['h'])) {
    emails.push(seeded.email_addr);
    if (emails.length === 3_000) return emails;
  }
  return emails;
})();

describe('identity', () => {
  test('email-syntax-never-drifts-from-identity', () => {
    expect([EMAIL_SYNTAX.source, EMAIL_SYNTAX.flags]).toEqual([IDENTITY_EMAIL_SYNTAX.source, IDENTITY_EMAIL_SYNTAX.flags]);
  });

  const crafted = [
    'ada@example.com', 'Ada@Example.COM', '  ada@example.com  ', 'ada+tag@mail.example.co.uk', "o'brien@example.ie", 'a_b-c@sub-domain.example.org',
    'ada.example.com', 'ada@@example.com', 'ada@home@example.com', 'ada lovelace@example.com', 'ada@localhost', '', '   ', '.ada@example.com',
    'ada..lovelace@example.com', 'adä@example.com', 'ada@example.c', 'ada@-example.com', 'ADA@EXAMPLE.COM ',
    `${'a'.repeat(64)}@${'b'.repeat(185)}.com`, `${'a'.repeat(64)}@${'b'.repeat(186)}.com`, `  ${'a'.repeat(64)}@${'b'.repeat(185)}.com  `,
  ];

  const mineFor = (typed: string) => {
    const translated = legacyUserToAccount(row({ email_addr: typed }), { observedAt });
    return translated.ok ? translated.state.email : 'INVALID_EMAIL';
  };

  test.each(crafted.map((typed) => [JSON.stringify(typed).slice(0, 60), typed]))('email %s gets identity\'s answer', (_, typed) => {
    expect(mineFor(typed!)).toBe(answerOf(emailAddress(typed!)));
  });

  test('every-seeded-email-dirt-included-gets-identity\'s-answer', () => {
    expect(seededEmails.filter((typed) => mineFor(typed) !== answerOf(emailAddress(typed)))).toEqual([]);
    expect(seededEmails.filter((typed) => mineFor(typed) === 'INVALID_EMAIL').length).toBeGreaterThan(0);
  });

  test.each(['\tada@example.com', 'ada@example.com\t', '\nada@example.com', '\u00a0ada@example.com', 'ada@example.com\u2003'])(
    'email-padded-with-%p-rejected-where-identity-would-trim-on-purpose',
    (typed) => {
      // Identity trims all whitespace; legacy's unique key trims spaces only. Following legacy keeps two
      // rows legacy holds apart from claiming one account (see emailOf in legacy-user.acl.ts).
      expect(isFailure(emailAddress(typed))).toBe(false);
      expect(legacyUserToAccount(row({ email_addr: typed }), { observedAt })).toMatchObject({ ok: false, code: 'FORWARD.INVALID_EMAIL' });
    },
  );

  test('status-vocabulary-never-drifts-from-identity', () => {
    for (const status of [...ACCOUNT_STATUSES, ...Object.values(STATUS_BY_CODE)]) expect(accountStatus(status)).toBe(status);
    expect(new Set(Object.values(STATUS_BY_CODE))).toEqual(new Set(ACCOUNT_STATUSES));
  });
});

describe('profile', () => {
  const texts = [
    null, '', ' ', 'Ada', 'n'.repeat(99), 'n'.repeat(100), 'n'.repeat(101), '😀'.repeat(100), '😀'.repeat(101), 'e\u0301'.repeat(50),
    'e\u0301'.repeat(51), '字'.repeat(20_000), 'b'.repeat(20_001), '🧮'.repeat(20_000), '🧮'.repeat(20_001), '\ud83d'.repeat(101),
  ];
  const urls = [
    null, '', 'https://cdn.example.com/a.png', 'http://example.com/u/1?size=64', 'HTTPS://EXAMPLE.COM/x.jpg', 'hTtP://x.y',
    'ftp://example.com/a.png', 'javascript:alert(1)', 'http:example.com', 'https:/example.com', ' https://example.com',
    'https://example.com ', 'https://example.com/a b', 'https://', 'https://?', 'https://#x', 'https://user@', '//example.com/a.png',
    `https://example.com/${'a'.repeat(480)}`, `https://example.com/${'a'.repeat(481)}`, `https://example.com/${'é'.repeat(480)}`,
    'https://例え.jp/アバター.png', 'https://example.com/\u0085', 'https://[::1]:8080/a', 'https://exa mple.com', 'http://x/\u00a0',
    'https://example.com/\u2028', 'https://300.1.1.1/', 'https://%zz', 'http://[::1', 'https://a.b/%', 'https://xn--/', 'http://.',
  ];
  const profileAnswer = (request: Parameters<typeof checkProfileChange>[0]) => {
    const outcome = checkProfileChange(request);
    return isFailure(outcome) ? outcome.code.replace('PROFILE.', '') : 'accepted';
  };
  const mine = (overrides: Partial<LegacyUserRow>) => {
    const translated = legacyUserToPersona(row(overrides));
    return translated.ok ? 'accepted' : translated.code.replace('FORWARD.', '');
  };

  test.each(texts.map((text) => [text === null ? 'null' : `${[...text].length} characters`, text]))('displayName and bio of %s get the profile\'s answer', (_, text) => {
    expect(mine({ disp_nm: text })).toBe(profileAnswer({ displayName: text }));
    expect(mine({ bio_txt: text })).toBe(profileAnswer({ bio: text }));
  });

  test.each(urls.map((url) => [JSON.stringify(url)?.slice(0, 60), url]))('avatarUrl %s gets the profile\'s answer', (_, url) => {
    expect(mine({ avatar_url: url })).toBe(profileAnswer({ avatarUrl: url }));
  });

  test('first-broken-rule-is-the-profile\'s-first', () => {
    const request = { displayName: 'n'.repeat(101), bio: 'b'.repeat(20_001), avatarUrl: 'ftp://x' };
    expect(mine({ disp_nm: request.displayName, bio_txt: request.bio, avatar_url: request.avatarUrl })).toBe(profileAnswer(request));
    expect(mine({ bio_txt: request.bio, avatar_url: request.avatarUrl })).toBe(profileAnswer({ bio: request.bio, avatarUrl: request.avatarUrl }));
  });
});

describe('preferences', () => {
  const tags = [
    'en-US', 'EN-us', 'en', 'de-DE', 'zh-hant-tw', 'zh-Hans', 'es-419', 'iw-IL', 'in-ID', 'sr-Latn-RS', 'fil-PH', 'yue-HK', 'yue-Hant-HK',
    'und', 'en_US', 'x', '', ' en', 'en-US-u-ca-buddhist', 'de-DE-1996', 'x-klingon', 'i-klingon', 'en-GB-oed', 'art-lojban', 'zz-ZZ',
    'en-Latn-US-x-private', 'qaa', 'en-001', 'sgn-BE-FR', 'ca-ES-valencia', 'abcd', 'e\u0301n', 'mo', 'sh', 'no-NO', 'nb-NO', 'zh-TW',
    'cmn-Hans-CN', 'C', 'POSIX', 'en-US-POSIX', 'ja-JP', 'ko-KR', 'pt-BR', 'en-IN', 'en-AU', 'zh-CN', 'nl-NL', 'sv-SE', 'pl-PL', 'it-IT',
    'fr-FR', 'es-MX', 'es-ES', 'en-GB', 'tlh', 'aa-AA', 'en-Qaaa-US',
  ];

  test.each(tags)('locale %p gets the preferences\' answer', (tag) => {
    expect(canonicalLocale(tag) ?? 'INVALID_LOCALE').toBe(answerOf(checkLocale(tag)));
  });

  test.each(tags.filter((tag) => tag.trim() !== '').map((tag) => [tag.replaceAll('-', '_'), tag]))('stored POSIX %p reads as the preferences would store %p', (posix, tag) => {
    const translated = legacyUserToSettings(row({ pref_lang: posix! }));
    expect(translated.ok ? translated.state.locale : 'INVALID_LOCALE').toBe(answerOf(checkLocale(tag!.trim().replaceAll('_', '-'))));
  });

  const zones = [
    ...Intl.supportedValuesOf('timeZone'),
    'UTC', 'Etc/UTC', 'Etc/GMT+5', 'Etc/GMT-14', 'US/Eastern', 'Asia/Kolkata', 'Asia/Calcutta', 'GMT', 'EST5EDT', 'Mars/Olympus_Mons',
    'Europe/Berlin ', '+05:00', 'Z', '', 'Berlin', 'America/New York', 'europe/berlin', 'Antarctica/DumontDUrville', `Etc/${'x'.repeat(61)}`,
    'Europe/Kiev', 'Europe/Kyiv', 'America/Buenos_Aires', 'Factory', 'localtime', 'posixrules', 'EST', 'Etc/Unknown', 'America//New_York',
  ];

  test('every-time-zone-gets-the-preferences\'-answer', () => {
    const differing = zones.filter((zone) => isAcceptedTimeZone(zone) !== (checkTimeZone(zone) === undefined));
    expect(differing).toEqual([]);
  });

  test('theme-vocabulary-never-drifts-from-the-preferences', () => {
    for (const theme of [...THEMES, ...Object.values(THEME_BY_CODE)]) expect(checkTheme(theme)).toBe(theme);
    expect(new Set(Object.values(THEME_BY_CODE))).toEqual(new Set(THEMES));
  });
});

// The states are also what the forward sync publishes as *SyncedFromLegacy, so they must fit those schemas too.
describe('translated states obey the user-service', () => {
  const check = publishedEventCheck();
  const envelope = (type: string, id: number, data: Record<string, unknown>) =>
    ({ eventId: randomUUID(), type, schemaVersion: 1, aggregateId: id, version: 2, occurredAt: observedAt.toISOString(), data });
  const accountData = (s: AccountState) => ({ ...s, createdAt: s.createdAt.toISOString(), lastLoginAt: s.lastLoginAt?.toISOString() ?? null });
  const personaData = (s: PersonaState) => ({ ...s, updatedAt: observedAt.toISOString() });

  // The tables' checks, re-stated from migrations/user-service/*/...create_*.ts.
  const codePoints = (text: string | null) => (text === null ? 0 : [...text].length);
  const fitsAccounts = (s: AccountState) => codePoints(s.email) <= 320 && codePoints(s.passwordHash) <= 200 && ACCOUNT_STATUSES.includes(s.status) && !Number.isNaN(s.createdAt.getTime());
  const fitsProfiles = (s: PersonaState) => codePoints(s.displayName) <= 100 && codePoints(s.bio) <= 20_000 && (s.avatarUrl === null || (codePoints(s.avatarUrl) <= 500 && /^(http|https):\/\//i.test(s.avatarUrl)));
  const fitsPreferences = (s: SettingsState) => codePoints(s.locale) <= 10 && codePoints(s.timeZone) <= 64 && (s.theme === null || THEMES.includes(s.theme));

  const rows: LegacyUserRow[] = [];
  for (const { row: seeded } of generateLegacyUsers(11, ['$2b$10$UFETgqgSJeIbSW2ojOvJKu3WiZvzEGij0js6gNyDXHgtJmE7tRuWu'])) {
    rows.push({
      ...seeded,
      usr_id: rows.length + 1,
      created_ts: seeded.created_ts.toISOString(),
      updated_ts: seeded.updated_ts.toISOString(),
      last_login_ts: seeded.last_login_ts?.toISOString() ?? null,
    });
    if (rows.length === 3_000) break;
  }

  test('every-accepted-account-is-one-identity-would-store-and-publish', () => {
    for (const legacy of rows) {
      const translated = legacyUserToAccount(legacy, { observedAt });
      if (!translated.ok) continue;
      const { state } = translated;
      expect(emailAddress(state.email)).toBe(state.email);
      expect(accountStatus(state.status)).toBe(state.status);
      expect(fitsAccounts(state)).toBe(true);
      expect(check(envelope('identity.StatusChanged', state.id, accountData(state)))).toEqual([]);
      expect(check(envelope('identity.AccountSyncedFromLegacy', state.id, accountData(state)))).toEqual([]);
    }
  });

  test('every-accepted-persona-is-one-the-profile-would-store-and-publish', () => {
    for (const legacy of rows) {
      const translated = legacyUserToPersona(legacy);
      if (!translated.ok) continue;
      const { id, ...fields } = translated.state;
      expect(isFailure(checkProfileChange(fields))).toBe(false);
      expect(fitsProfiles(translated.state)).toBe(true);
      expect(check(envelope('profile.ProfileUpdated', id, personaData(translated.state)))).toEqual([]);
      expect(check(envelope('profile.ProfileSyncedFromLegacy', id, personaData(translated.state)))).toEqual([]);
    }
  });

  test('every-accepted-settings-are-ones-the-preferences-would-store-and-publish', () => {
    for (const legacy of rows) {
      const translated = legacyUserToSettings(legacy);
      if (!translated.ok) continue;
      const { id, ...settings } = translated.state;
      const request = Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== null));
      const checked = checkPreferencesChange(request);
      expect(isFailure(checked)).toBe(false);
      // Already canonical: the preferences would store exactly this, not a respelling of it.
      expect(checked).toEqual(request);
      expect(fitsPreferences(translated.state)).toBe(true);
      expect(check(envelope('preferences.PreferencesChanged', id, { ...translated.state }))).toEqual([]);
      expect(check(envelope('preferences.PreferencesSyncedFromLegacy', id, { ...translated.state }))).toEqual([]);
    }
  });
});
