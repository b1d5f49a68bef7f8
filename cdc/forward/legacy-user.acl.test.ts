import { generateLegacyUsers, type GeneratedLegacyUser } from '../../migrations/legacy/seed/legacy-user-generator';
import { LEGACY_USER_COLUMNS, UNAVAILABLE_VALUE_PLACEHOLDER, type LegacyColumn, type LegacyUserRow } from '../debezium/change-event';
import {
  LEGACY_COLUMNS_OF,
  legacyTimestamp,
  legacyUserToAccount,
  legacyUserToPersona,
  legacyUserToSettings,
  sameAccount,
  samePersona,
  sameSettings,
  type AccountState,
  type PersonaState,
  type SettingsState,
  type Translation,
} from './legacy-user.acl';

const observedAt = new Date('2026-11-21T12:00:00.000Z');

const cleanRow: LegacyUserRow = {
  usr_id: 42,
  email_addr: 'ada.lovelace42@example.com',
  pwd_hash: '$2b$10$aTbKKDoISTmd084u/tdmOO1iXSb1FYPqXf/ZGXaiN.G/O2tfPqwHC',
  acct_stat_cd: 'A',
  disp_nm: 'Ada Lovelace',
  bio_txt: 'Analyst of engines.',
  avatar_url: 'https://avatars.githubusercontent.com/u/63621973',
  pref_lang: 'en_GB',
  pref_tz: 'Europe/London',
  email_optin_flg: 'Y',
  theme_cd: 'DARK',
  last_login_ts: '2026-06-07T08:09:10.12Z',
  created_ts: '2015-12-10T09:00:00Z',
  updated_ts: '2026-01-02T03:04:05.5Z',
};

const rowWith = (overrides: Partial<LegacyUserRow>): LegacyUserRow => ({ ...cleanRow, ...overrides });
const account = (overrides: Partial<LegacyUserRow>) => legacyUserToAccount(rowWith(overrides), { observedAt });
const persona = (overrides: Partial<LegacyUserRow>) => legacyUserToPersona(rowWith(overrides));
const settings = (overrides: Partial<LegacyUserRow>) => legacyUserToSettings(rowWith(overrides));

function stateOf<S>(translation: Translation<S>): S {
  if (!translation.ok) throw new Error(`unexpected rejection ${translation.code}: ${translation.reason}`);
  return translation.state;
}
const codeOf = (translation: Translation<unknown>) => (translation.ok ? 'accepted' : translation.code);

/** How Debezium's isostring mode renders a timestamp column: trailing zeros of the fraction dropped. */
const debeziumIso = (date: Date) => date.toISOString().replace(/\.?0+Z$/, 'Z');

function seededRows(count: number, seed = 20261121): { row: LegacyUserRow; generated: GeneratedLegacyUser }[] {
  const hashes = ['$2b$10$UFETgqgSJeIbSW2ojOvJKu3WiZvzEGij0js6gNyDXHgtJmE7tRuWu', '$2b$10$JgHhstj1oNi/jaRHYzFJ0uoz39g5XlwkiT/D5bunpYZdXpnqF.Cbu'];
  const rows: { row: LegacyUserRow; generated: GeneratedLegacyUser }[] = [];
  for (const generated of generateLegacyUsers(seed, hashes)) {
    const { row } = generated;
    rows.push({
      generated,
      row: {
        ...row,
        usr_id: rows.length + 1,
        last_login_ts: row.last_login_ts && debeziumIso(row.last_login_ts),
        created_ts: debeziumIso(row.created_ts),
        updated_ts: debeziumIso(row.updated_ts),
      },
    });
    if (rows.length === count) return rows;
  }
  return rows;
}

describe('legacyUserToAccount', () => {
  test('clean-row-becomes-the-whole-account', () => {
    expect(stateOf(account({}))).toEqual({
      id: 42,
      email: 'ada.lovelace42@example.com',
      passwordHash: cleanRow.pwd_hash,
      status: 'active',
      createdAt: new Date('2015-12-10T09:00:00.000Z'),
      lastLoginAt: new Date('2026-06-07T08:09:10.120Z'),
    });
  });

  test.each([
    ['upper case', 'ADA.LOVELACE42@EXAMPLE.COM'],
    ['capitalized parts', 'Ada.Lovelace42@Example.com'],
    ['leading spaces', '  ada.lovelace42@example.com'],
    ['trailing spaces', 'ada.lovelace42@example.com '],
    ['both and capitalized', '  Ada.Lovelace42@Example.com  '],
  ])('untidy-email-with-%s-stored-trimmed-and-lower-cased', (_, typed) => {
    expect(stateOf(account({ email_addr: typed })).email).toBe('ada.lovelace42@example.com');
  });

  test.each([
    ['no @', 'ada.lovelace42example.com'],
    ['two @', 'ada.lovelace42@@example.com'],
    ['an inner space', 'ada.lovelace 42@example.com'],
    ['no top-level domain', 'ada@localhost'],
    ['nothing', ''],
    ['only spaces', '   '],
    ['a non-ASCII letter', 'adä@example.com'],
    ['255 characters', `${'a'.repeat(64)}@${'b'.repeat(186)}.com`],
    ['320 characters', `${'a'.repeat(64)}@${'b'.repeat(251)}.com`],
  ])('invalid-email-with-%s-rejected', (_, typed) => {
    const translation = account({ email_addr: typed });
    expect(codeOf(translation)).toBe('FORWARD.INVALID_EMAIL');
    if (!translation.ok && typed.trim()) expect(translation.reason).not.toContain(typed.trim());
  });

  test('email-of-exactly-254-characters-accepted', () => {
    expect(stateOf(account({ email_addr: `${'a'.repeat(64)}@${'b'.repeat(185)}.com` })).email).toHaveLength(254);
  });

  test('tab-padded-email-never-collides-with-its-tidy-twin', () => {
    // legacy's unique index is lower(btrim(email_addr)): btrim drops spaces only, so these are two rows there.
    for (const typed of ['\tada.lovelace42@example.com', 'ada.lovelace42@example.com\n', '\u00a0ada.lovelace42@example.com']) {
      expect(codeOf(account({ email_addr: typed }))).toBe('FORWARD.INVALID_EMAIL');
    }
  });

  test.each(['A', 'S', 'C'].map((code, i) => [code, ['active', 'suspended', 'closed'][i]]))('status-code-%s-read-as-%s', (code, status) => {
    expect(stateOf(account({ acct_stat_cd: code! })).status).toBe(status);
  });

  test.each(['X', 'P', 'a', 's', ' ', '', 'AA', 'active', 'toString', '__proto__', 'constructor'])('unknown-status-code-%p-rejected', (code) => {
    expect(codeOf(account({ acct_stat_cd: code }))).toBe('FORWARD.UNKNOWN_STATUS_CODE');
  });

  test('email-checked-before-status-so-the-code-is-stable', () => {
    expect(codeOf(account({ email_addr: 'no-at-sign', acct_stat_cd: 'X' }))).toBe('FORWARD.INVALID_EMAIL');
  });

  test('empty-password-hash-rejected', () => {
    expect(codeOf(account({ pwd_hash: '' }))).toBe('FORWARD.MISSING_PASSWORD_HASH');
  });

  test('password-hash-wider-than-identity-rejected-and-200-accepted', () => {
    expect(codeOf(account({ pwd_hash: 'h'.repeat(201) }))).toBe('FORWARD.VALUE_TOO_LONG');
    expect(stateOf(account({ pwd_hash: '€'.repeat(200) })).passwordHash).toHaveLength(200);
  });

  test('password-hash-never-trimmed-or-recased', () => {
    expect(stateOf(account({ pwd_hash: ' $2b$10$AbC ' })).passwordHash).toBe(' $2b$10$AbC ');
  });

  test('missing-created-ts-falls-back-to-updated-ts', () => {
    expect(stateOf(account({ created_ts: null })).createdAt).toEqual(new Date('2026-01-02T03:04:05.500Z'));
  });

  test('missing-created-and-updated-ts-falls-back-to-observed-at', () => {
    expect(stateOf(account({ created_ts: null, updated_ts: null })).createdAt).toEqual(observedAt);
  });

  test('unrecorded-creation-time-never-drifts-with-later-writes', () => {
    const storedCreatedAt = new Date('2019-05-06T07:08:09.010Z');
    const later = (updated_ts: string | null) => legacyUserToAccount(rowWith({ created_ts: null, updated_ts }), { observedAt, storedCreatedAt });
    expect([later('2026-01-01T00:00:00Z'), later('2026-02-01T00:00:00Z'), later(null)].map((t) => stateOf(t).createdAt)).toEqual(Array(3).fill(storedCreatedAt));
  });

  test('recorded-creation-time-wins-over-the-stored-one', () => {
    expect(stateOf(legacyUserToAccount(cleanRow, { observedAt, storedCreatedAt: new Date(0) })).createdAt).toEqual(new Date('2015-12-10T09:00:00.000Z'));
  });

  test('broken-updated-ts-never-blocks-an-account-with-a-created-ts', () => {
    expect(codeOf(account({ updated_ts: 'garbage' }))).toBe('accepted');
    expect(codeOf(account({ created_ts: null, updated_ts: 'garbage' }))).toBe('FORWARD.INVALID_TIMESTAMP');
  });

  test('never-signed-in-stays-null', () => {
    expect(stateOf(account({ last_login_ts: null })).lastLoginAt).toBeNull();
  });

  test.each([
    ['created_ts', 'yesterday'],
    ['created_ts', '2026-02-30T00:00:00Z'],
    ['created_ts', '2026-13-01T00:00:00Z'],
    ['last_login_ts', '2026-01-01T24:00:00Z'],
    ['last_login_ts', '2026-01-01T10:00:00+02:00'],
    ['last_login_ts', 'infinity'],
    ['last_login_ts', '1795267551781'],
    ['last_login_ts', ''],
  ] as const)('malformed-%s-%p-rejected-not-guessed', (column, text) => {
    expect(codeOf(account({ [column]: text }))).toBe('FORWARD.INVALID_TIMESTAMP');
  });

  test.each(LEGACY_COLUMNS_OF.identity)('unavailable-value-placeholder-in-%s-never-written', (column) => {
    const translation = account({ [column]: UNAVAILABLE_VALUE_PLACEHOLDER });
    expect(codeOf(translation)).toBe('FORWARD.UNAVAILABLE_VALUE');
    expect(!translation.ok && translation.reason).toContain(column);
  });

  test.each([0, -1, 1.5, Number.NaN, 2 ** 53])('invalid-usr-id-%p-rejected-in-every-context', (usrId) => {
    const row = rowWith({ usr_id: usrId });
    expect([legacyUserToAccount(row, { observedAt }), legacyUserToPersona(row), legacyUserToSettings(row)].map(codeOf)).toEqual(Array(3).fill('FORWARD.INVALID_ID'));
  });
});

describe('legacyTimestamp', () => {
  test.each([
    ['2026-11-01T10:20:30.123456Z', '2026-11-01T10:20:30.123Z'],
    ['2026-11-01T10:20:30.1239Z', '2026-11-01T10:20:30.123Z'],
    ['2026-11-01T10:20:30.999999Z', '2026-11-01T10:20:30.999Z'],
    ['2026-07-01T14:26:52.15Z', '2026-07-01T14:26:52.150Z'],
    ['2026-11-01T10:20:30Z', '2026-11-01T10:20:30.000Z'],
    ['1999-12-31T23:59:59.999999Z', '1999-12-31T23:59:59.999Z'],
    ['0099-03-04T05:06:07Z', '0099-03-04T05:06:07.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('debezium-isostring-%s-read-as-utc-with-microseconds-truncated-never-rounded', (text, iso) => {
    expect(legacyTimestamp(text)?.toISOString()).toBe(iso);
  });

  test('timestamp-without-zone-read-as-utc-not-local-time', () => {
    // PostgreSQL's own text for `timestamp`, as a verifier reading the column as text gets it.
    expect(legacyTimestamp('2020-01-02 03:04:05.678')?.toISOString()).toBe('2020-01-02T03:04:05.678Z');
    expect(legacyTimestamp('2020-01-02T03:04:05')?.toISOString()).toBe('2020-01-02T03:04:05.000Z');
  });

  test.each(['2023-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-00-10T00:00:00Z', '2026-01-01T23:60:00Z', '2026-01-01T23:59:60Z', '26-01-01T00:00:00Z', '2026-01-01', '+10000-01-01T00:00:00Z', ' 2026-01-01T00:00:00Z', '2026-01-01T00:00:00.Z'])(
    'impossible-or-foreign-timestamp-%p-never-read',
    (text) => expect(legacyTimestamp(text)).toBeUndefined(),
  );
});

describe('legacyUserToPersona', () => {
  test('clean-row-becomes-the-whole-persona', () => {
    expect(stateOf(persona({}))).toEqual({ id: 42, displayName: 'Ada Lovelace', bio: 'Analyst of engines.', avatarUrl: cleanRow.avatar_url });
  });

  test('empty-bio-kept-empty-not-nulled', () => {
    expect(stateOf(persona({ bio_txt: '', disp_nm: '' }))).toMatchObject({ bio: '', displayName: '' });
  });

  test('absent-fields-stay-null', () => {
    expect(stateOf(persona({ disp_nm: null, bio_txt: null, avatar_url: null }))).toEqual({ id: 42, displayName: null, bio: null, avatarUrl: null });
  });

  test('large-bio-under-the-limit-kept-whole', () => {
    const bio = 'Lorem ipsum. '.repeat(1_260).slice(0, 16 * 1024);
    expect(stateOf(persona({ bio_txt: bio })).bio).toBe(bio);
  });

  test('bio-limit-counts-code-points-not-utf16-units', () => {
    expect(stateOf(persona({ bio_txt: '🧮'.repeat(20_000) })).bio).toHaveLength(40_000);
    expect(codeOf(persona({ bio_txt: '🧮'.repeat(20_001) }))).toBe('FORWARD.BIO_TOO_LONG');
  });

  test('overlong-bio-rejected-never-truncated', () => {
    const translation = persona({ bio_txt: `${'b'.repeat(20_000)}THE END` });
    expect(codeOf(translation)).toBe('FORWARD.BIO_TOO_LONG');
    expect(!translation.ok && translation.reason).not.toContain('bbb');
  });

  test('overlong-display-name-rejected-and-100-emoji-accepted', () => {
    expect(codeOf(persona({ disp_nm: 'n'.repeat(101) }))).toBe('FORWARD.DISPLAY_NAME_TOO_LONG');
    expect(codeOf(persona({ disp_nm: '😀'.repeat(100) }))).toBe('accepted');
  });

  test.each([
    'ftp://example.com/a.png', 'javascript:alert(1)', 'http:example.com', ' https://example.com/a.png', 'https://example.com/a b',
    'https://', '//example.com/a.png', 'avatars/42.png', '', `https://example.com/${'a'.repeat(481)}`,
  ])('non-http-avatar-%p-rejected', (url) => {
    expect(codeOf(persona({ avatar_url: url }))).toBe('FORWARD.INVALID_AVATAR_URL');
  });

  test.each(['https://cdn.jsdelivr.net/gh/faker-js/assets-person-portrait/female/512/27.jpg', 'HTTP://EXAMPLE.COM/x.jpg', 'https://[::1]:8080/a', `https://example.com/${'a'.repeat(480)}`])(
    'http-avatar-%p-kept-as-stored',
    (url) => expect(stateOf(persona({ avatar_url: url })).avatarUrl).toBe(url),
  );

  test('display-name-checked-first-as-legacy-does', () => {
    expect(codeOf(persona({ disp_nm: 'n'.repeat(101), bio_txt: 'b'.repeat(20_001), avatar_url: 'ftp://x' }))).toBe('FORWARD.DISPLAY_NAME_TOO_LONG');
    expect(codeOf(persona({ bio_txt: 'b'.repeat(20_001), avatar_url: 'ftp://x' }))).toBe('FORWARD.BIO_TOO_LONG');
  });

  test.each(LEGACY_COLUMNS_OF.profile)('unavailable-value-placeholder-in-%s-never-written', (column) => {
    expect(codeOf(persona({ [column]: UNAVAILABLE_VALUE_PLACEHOLDER }))).toBe('FORWARD.UNAVAILABLE_VALUE');
  });

  test('persona-reasons-never-carry-the-name-or-the-url', () => {
    for (const translation of [persona({ disp_nm: 'Secretname'.repeat(11) }), persona({ avatar_url: 'ftp://secret.example.com/secretname.png' })]) {
      expect(translation.ok).toBe(false);
      expect(!translation.ok && translation.reason.toLowerCase()).not.toContain('secret');
    }
  });
});

describe('legacyUserToSettings', () => {
  test('clean-row-becomes-the-whole-settings', () => {
    expect(stateOf(settings({}))).toEqual({ id: 42, locale: 'en-GB', timeZone: 'Europe/London', marketingEmails: true, theme: 'dark' });
  });

  test.each([
    ['en_US', 'en-US'], ['pt_BR', 'pt-BR'], ['zh_CN', 'zh-CN'], ['zh_Hant_TW', 'zh-Hant-TW'], ['es_419', 'es-419'], ['de', 'de'],
    ['en_us', 'en-US'], ['EN_US', 'en-US'], ['iw_IL', 'he-IL'], ['en-US', 'en-US'], [' en_US ', 'en-US'],
  ])('posix-locale-%p-canonicalised-to-%p', (stored, locale) => {
    expect(stateOf(settings({ pref_lang: stored })).locale).toBe(locale);
  });

  test.each([['de_DE.UTF-8', 'de-DE'], ['de_DE@euro', 'de-DE'], ['en_US.utf8', 'en-US'], ['ca_ES@valencia', 'ca-ES']])(
    'posix-codeset-and-modifier-%p-read-as-legacy-reads-them',
    (stored, locale) => expect(stateOf(settings({ pref_lang: stored })).locale).toBe(locale),
  );

  test.each(['', ' ', '   ', '\t'])('blank-locale-%p-read-as-null-not-an-error', (stored) => {
    expect(stateOf(settings({ pref_lang: stored })).locale).toBeNull();
  });

  test.each(['C', 'POSIX', 'x', 'english', 'en_US_POSIX', 'zz_ZZ_ZZ', '.UTF-8', '12_34', 'en__US', 'yue_Hant_HK'])('invalid-locale-%p-rejected', (stored) => {
    expect(codeOf(settings({ pref_lang: stored }))).toBe('FORWARD.INVALID_LOCALE');
  });

  test.each(['UTC', 'Asia/Calcutta', 'Asia/Kolkata', 'US/Eastern', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'America/Port-au-Prince'])(
    'time-zone-%p-kept-as-stored-links-included',
    (zone) => expect(stateOf(settings({ pref_tz: zone })).timeZone).toBe(zone),
  );

  test.each(['', ' ', '   '])('blank-time-zone-%p-read-as-null', (zone) => {
    expect(stateOf(settings({ pref_tz: zone })).timeZone).toBeNull();
  });

  test.each(['Mars/Olympus_Mons', '+05:00', 'Europe/Berlin ', 'Berlin', 'America/New York', `Etc/${'x'.repeat(61)}`])(
    'unknown-time-zone-%p-rejected',
    (zone) => expect(codeOf(settings({ pref_tz: zone }))).toBe('FORWARD.UNKNOWN_TIME_ZONE'),
  );

  test.each([['Y', true], ['N', false], [null, null]] as const)('opt-in-flag-%p-read-as-%p', (flag, value) => {
    expect(stateOf(settings({ email_optin_flg: flag })).marketingEmails).toBe(value);
  });

  test.each(['y', 'n', ' ', '', 'T', '1', '0'])('unknown-opt-in-flag-%p-rejected', (flag) => {
    expect(codeOf(settings({ email_optin_flg: flag }))).toBe('FORWARD.UNKNOWN_OPT_IN_FLAG');
  });

  test.each([['LIGHT', 'light'], ['DARK', 'dark'], ['SYS', 'system'], [null, null]] as const)('theme-code-%p-read-as-%p', (code, theme) => {
    expect(stateOf(settings({ theme_cd: code })).theme).toBe(theme);
  });

  test.each(['light', 'SYSTEM', 'NEON', '', ' LIGHT', 'toString', '__proto__'])('unknown-theme-code-%p-rejected', (code) => {
    expect(codeOf(settings({ theme_cd: code }))).toBe('FORWARD.UNKNOWN_THEME_CODE');
  });

  test('null-preferences-stay-null', () => {
    expect(stateOf(settings({ pref_lang: null, pref_tz: null, email_optin_flg: null, theme_cd: null }))).toEqual({ id: 42, locale: null, timeZone: null, marketingEmails: null, theme: null });
  });

  test.each(LEGACY_COLUMNS_OF.preferences)('unavailable-value-placeholder-in-%s-never-written', (column) => {
    expect(codeOf(settings({ [column]: UNAVAILABLE_VALUE_PLACEHOLDER }))).toBe('FORWARD.UNAVAILABLE_VALUE');
  });
});

describe('column ownership', () => {
  const owned = Object.values(LEGACY_COLUMNS_OF).flat() as LegacyColumn[];

  test('every-column-but-id-and-updated-ts-owned-by-exactly-one-context', () => {
    expect(new Set(owned).size).toBe(owned.length);
    expect([...owned].sort()).toEqual(LEGACY_USER_COLUMNS.filter((column) => column !== 'usr_id' && column !== 'updated_ts').sort());
  });

  test.each(LEGACY_USER_COLUMNS.filter((column) => column !== 'usr_id'))('placeholder-in-%s-blocks-only-its-owner', (column) => {
    const row = rowWith({ [column]: UNAVAILABLE_VALUE_PLACEHOLDER });
    const codes = {
      identity: codeOf(legacyUserToAccount(row, { observedAt })),
      profile: codeOf(legacyUserToPersona(row)),
      preferences: codeOf(legacyUserToSettings(row)),
    };
    for (const [context, columns] of Object.entries(LEGACY_COLUMNS_OF)) {
      expect([context, codes[context as keyof typeof codes]]).toEqual([context, (columns as readonly string[]).includes(column) ? 'FORWARD.UNAVAILABLE_VALUE' : 'accepted']);
    }
  });

  test('unavailable-bio-never-blocks-identity-or-preferences', () => {
    const row = rowWith({ bio_txt: UNAVAILABLE_VALUE_PLACEHOLDER });
    expect(legacyUserToAccount(row, { observedAt }).ok).toBe(true);
    expect(legacyUserToSettings(row).ok).toBe(true);
  });
});

describe('same* skip no-op applies', () => {
  const a = stateOf(account({}));
  const p = stateOf(persona({}));
  const s = stateOf(settings({}));

  test('bookkeeping-never-counts-as-a-change', () => {
    expect(sameAccount(a, { ...a, version: 7, updatedAt: new Date(0) } as AccountState)).toBe(true);
    expect(samePersona(p, { ...p, version: 3, updatedAt: new Date(0) } as PersonaState)).toBe(true);
    expect(sameSettings(s, { ...s, version: 9 } as SettingsState)).toBe(true);
  });

  test('equal-instants-in-different-date-objects-are-the-same', () => {
    expect(sameAccount(a, { ...a, createdAt: new Date(a.createdAt.getTime()), lastLoginAt: new Date(a.lastLoginAt!.getTime()) })).toBe(true);
  });

  test('a-legacy-write-touching-only-updated-ts-changes-no-context', () => {
    const touched = rowWith({ updated_ts: '2026-11-20T00:00:00Z' });
    expect(sameAccount(a, stateOf(legacyUserToAccount(touched, { observedAt })))).toBe(true);
    expect(samePersona(p, stateOf(legacyUserToPersona(touched)))).toBe(true);
    expect(sameSettings(s, stateOf(legacyUserToSettings(touched)))).toBe(true);
  });

  test.each<[string, Partial<AccountState>]>([
    ['id', { id: 43 }], ['email', { email: 'x@example.com' }], ['passwordHash', { passwordHash: 'other' }], ['status', { status: 'closed' }],
    ['createdAt', { createdAt: new Date(a.createdAt.getTime() + 1) }], ['lastLoginAt', { lastLoginAt: null }],
  ])('account-change-of-%s-never-skipped', (_, change) => {
    expect(sameAccount(a, { ...a, ...change })).toBe(false);
    expect(sameAccount({ ...a, ...change }, a)).toBe(false);
  });

  test.each<[string, Partial<PersonaState>]>([['id', { id: 43 }], ['displayName', { displayName: null }], ['bio', { bio: '' }], ['avatarUrl', { avatarUrl: 'https://x.example/a' }]])(
    'persona-change-of-%s-never-skipped',
    (_, change) => expect(samePersona(p, { ...p, ...change })).toBe(false),
  );

  test.each<[string, Partial<SettingsState>]>([
    ['id', { id: 43 }], ['locale', { locale: 'en-US' }], ['timeZone', { timeZone: 'UTC' }], ['marketingEmails', { marketingEmails: false }],
    ['marketingEmails to null', { marketingEmails: null }], ['theme', { theme: 'system' }],
  ])('settings-change-of-%s-never-skipped', (_, change) => expect(sameSettings(s, { ...s, ...change })).toBe(false));
});

describe('every seeded legacy row, dirt included', () => {
  const rows = seededRows(20_000);
  const translated = rows.map(({ row, generated }) => ({
    row,
    dirt: generated.dirt,
    account: legacyUserToAccount(row, { observedAt }),
    persona: legacyUserToPersona(row),
    settings: legacyUserToSettings(row),
  }));

  test('the-sample-holds-every-kind-of-dirt', () => {
    const kinds = new Set(rows.flatMap(({ generated }) => generated.dirt));
    expect([...kinds].sort()).toEqual(['blankLocale', 'invalidEmail', 'largeBio', 'nullPreferences', 'unknownStatus', 'untidyEmail']);
  });

  test('an-account-is-rejected-exactly-when-its-email-or-status-is-dirt', () => {
    for (const t of translated) {
      const expected = t.dirt.includes('invalidEmail') ? 'FORWARD.INVALID_EMAIL' : t.dirt.includes('unknownStatus') ? 'FORWARD.UNKNOWN_STATUS_CODE' : 'accepted';
      expect([t.row.usr_id, codeOf(t.account)]).toEqual([t.row.usr_id, expected]);
    }
  });

  test('untidy-seeded-emails-become-legacy-uniqueness-key', () => {
    for (const t of translated.filter((x) => x.account.ok)) {
      expect((t.account as { state: AccountState }).state.email).toBe(t.row.email_addr.replace(/^ +| +$/g, '').toLowerCase());
    }
  });

  test('no-two-seeded-rows-claim-one-account-email', () => {
    const emails = translated.flatMap((t) => (t.account.ok ? [t.account.state.email] : []));
    expect(new Set(emails).size).toBe(emails.length);
  });

  test('every-persona-and-settings-accepted-whatever-identity-says', () => {
    expect(translated.filter((t) => !t.persona.ok || !t.settings.ok).map((t) => [t.row.usr_id, codeOf(t.persona), codeOf(t.settings)])).toEqual([]);
  });

  test('blank-and-null-seeded-preferences-read-as-null', () => {
    for (const t of translated.filter((x) => x.dirt.includes('blankLocale'))) expect((t.settings as { state: SettingsState }).state.locale).toBeNull();
    for (const t of translated.filter((x) => x.dirt.includes('nullPreferences'))) {
      expect((t.settings as { state: SettingsState }).state).toEqual({ id: t.row.usr_id, locale: null, timeZone: null, marketingEmails: null, theme: null });
    }
  });

  test('seeded-timestamps-survive-to-the-millisecond', () => {
    for (const { row, generated } of rows.slice(0, 2_000)) {
      const state = stateOf(legacyUserToAccount({ ...row, email_addr: 'a@example.com', acct_stat_cd: 'A' }, { observedAt }));
      expect(state.createdAt).toEqual(generated.row.created_ts);
      expect(state.lastLoginAt).toEqual(generated.row.last_login_ts);
    }
  });

  test('rejection-reasons-never-carry-pii', () => {
    const rejections = translated.flatMap((t) => [t.account, t.persona, t.settings].flatMap((x) => (x.ok ? [] : [{ reason: x.reason, row: t.row }])));
    expect(rejections.length).toBeGreaterThan(100);
    for (const { reason, row } of rejections) {
      const localPart = row.email_addr.trim().split('@')[0]!;
      for (const secret of [row.email_addr.trim(), localPart, row.pwd_hash, row.disp_nm ?? '\u0000'].filter((x) => x.length >= 4)) {
        expect(reason).not.toContain(secret);
      }
      expect(reason.toLowerCase()).not.toContain(localPart.toLowerCase().replace(/ .*$/, ''));
    }
  });
});
