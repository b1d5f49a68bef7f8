import { randomUUID } from 'node:crypto';
import { generateLegacyUsers } from '../../migrations/legacy/seed/legacy-user-generator';
import { publishedEventCheck } from '../../schemas/events/event-schemas';
import type { LegacyUserRow } from '../debezium/change-event';
import {
  LEGACY_COLUMNS_OF,
  legacyUserToAccount,
  legacyUserToPersona,
  legacyUserToSettings,
  type AccountState,
  type PersonaState,
  type SettingsState,
  type Translation,
} from '../forward/legacy-user.acl';
import {
  accountToLegacyColumns,
  contextEventToLegacyWrite,
  eventInstant,
  personaToLegacyColumns,
  settingsToLegacyColumns,
  type Columns,
  type LegacyWrite,
} from './context-event.acl';

const id = 1_000_000_000_001;
const registeredAt = '2026-11-21T10:00:00.000Z';
const later = '2026-11-21T11:30:00.250Z';
const hash = '$2b$04$abcdefghijklmnopqrstuuJ1cWcTxJ6MZoZzoTtn7pD8Uvq8cXX9S';

const accountData = { id, email: 'ada@example.com', passwordHash: hash, status: 'active', createdAt: registeredAt, lastLoginAt: null as string | null };
const personaData = { id, displayName: 'Ada', bio: null as string | null, avatarUrl: null as string | null, updatedAt: registeredAt };
const settingsData = { id, locale: null as string | null, timeZone: null as string | null, marketingEmails: null as boolean | null, theme: null as string | null };

const event = (type: string, data: Record<string, unknown>, overrides: Record<string, unknown> = {}) => ({
  eventId: randomUUID(), type, schemaVersion: 1, aggregateId: id, version: 2, occurredAt: later, data, ...overrides,
});

// Each fixture is first held to the published language, so the tests translate what the service really emits.
const check = publishedEventCheck();
function published(type: string, data: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const envelope = event(type, data, overrides);
  expect(check(envelope)).toEqual([]);
  return envelope;
}

function expectKind<K extends LegacyWrite['kind']>(write: LegacyWrite, kind: K): Extract<LegacyWrite, { kind: K }> {
  expect(write.kind === 'unparseable' && kind !== 'unparseable' ? `${write.code}: ${write.reason}` : write.kind).toBe(kind);
  return write as Extract<LegacyWrite, { kind: K }>;
}

const unparseableCode = (envelope: unknown) => expectKind(contextEventToLegacyWrite(envelope), 'unparseable').code;

describe('identity events', () => {
  test('account-registered-inserts-a-whole-legacy-row', () => {
    const write = expectKind(contextEventToLegacyWrite(published('identity.AccountRegistered', accountData, { version: 1, occurredAt: registeredAt })), 'insert-user');
    expect(write.row).toEqual({
      usr_id: id,
      email_addr: 'ada@example.com',
      pwd_hash: hash,
      acct_stat_cd: 'A',
      last_login_ts: null,
      created_ts: new Date(registeredAt),
      updated_ts: new Date(registeredAt),
      disp_nm: null, bio_txt: null, avatar_url: null, pref_lang: null, pref_tz: null, email_optin_flg: null, theme_cd: null,
    });
  });

  test('registered-row-fills-every-legacy-column-but-none-other', () => {
    const write = expectKind(contextEventToLegacyWrite(published('identity.AccountRegistered', accountData, { version: 1 })), 'insert-user');
    expect(Object.keys(write.row).sort()).toEqual([
      'usr_id', 'updated_ts', ...LEGACY_COLUMNS_OF.identity, ...LEGACY_COLUMNS_OF.profile, ...LEGACY_COLUMNS_OF.preferences,
    ].sort());
  });

  test.each([['identity.EmailChanged', 'active', 'A'], ['identity.StatusChanged', 'suspended', 'S'], ['identity.StatusChanged', 'closed', 'C']])(
    '%s-to-%s-updates-only-identity-columns-and-updated-ts',
    (type, status, code) => {
      const data = { ...accountData, email: 'grace@example.com', status, lastLoginAt: '2026-11-21T10:05:00.000Z' };
      const write = expectKind(contextEventToLegacyWrite(published(type, data, { version: 5 })), 'update-user');
      expect(write).toMatchObject({ usrId: id, context: 'identity' });
      expect(write.columns).toEqual({
        email_addr: 'grace@example.com', pwd_hash: hash, acct_stat_cd: code, last_login_ts: new Date('2026-11-21T10:05:00.000Z'),
        created_ts: new Date(registeredAt), updated_ts: new Date(later),
      });
    },
  );

  test('sign-in-never-moves-updated-ts', () => {
    // Legacy's own sign-in writes last_login_ts only, and updated_ts is what legacy shows as the profile's updatedAt.
    const write = expectKind(contextEventToLegacyWrite(published('identity.SignedIn', { ...accountData, lastLoginAt: later })), 'update-user');
    expect(write.columns).not.toHaveProperty('updated_ts');
    expect(write.columns).toMatchObject({ last_login_ts: new Date(later) });
  });

  test('account-erased-deletes-the-legacy-row', () => {
    const write = expectKind(contextEventToLegacyWrite(published('identity.AccountErased', { id }, { version: 9 })), 'delete-user');
    expect(write.usrId).toBe(id);
  });

  test('legacy-born-email-up-to-320-written-as-the-event-holds-it', () => {
    // The published schema lets accounts brought over from legacy keep up to 320 characters.
    const email = `${'a'.repeat(64)}@${'b'.repeat(251)}.com`;
    const write = expectKind(contextEventToLegacyWrite(published('identity.EmailChanged', { ...accountData, email })), 'update-user');
    expect(write.columns).toMatchObject({ email_addr: email });
  });
});

describe('profile events', () => {
  test('profile-created-writes-the-display-name-and-empties', () => {
    const write = expectKind(contextEventToLegacyWrite(published('profile.ProfileCreated', personaData, { version: 1 })), 'update-user');
    expect(write).toMatchObject({ context: 'profile', usrId: id });
    expect(write.columns).toEqual({ disp_nm: 'Ada', bio_txt: null, avatar_url: null, updated_ts: new Date(later) });
  });

  test('profile-updated-writes-the-whole-persona-and-only-it', () => {
    const data = { ...personaData, displayName: null, bio: '', avatarUrl: 'https://cdn.example.com/a.png' };
    const write = expectKind(contextEventToLegacyWrite(published('profile.ProfileUpdated', data)), 'update-user');
    expect(write.columns).toEqual({ disp_nm: null, bio_txt: '', avatar_url: 'https://cdn.example.com/a.png', updated_ts: new Date(later) });
  });

  test('bio-written-whole-legacy-text-has-no-limit', () => {
    const bio = '🧮'.repeat(20_000);
    const write = expectKind(contextEventToLegacyWrite(published('profile.ProfileUpdated', { ...personaData, bio })), 'update-user');
    expect(write.columns).toMatchObject({ bio_txt: bio });
  });

  test('profile-erased-ignored-the-account-erasure-deletes-the-row', () => {
    const write = expectKind(contextEventToLegacyWrite(published('profile.ProfileErased', { id }, { version: 4 })), 'ignore');
    expect(write.event).toMatchObject({ context: 'profile', aggregateId: id, version: 4 });
  });
});

describe('preferences events', () => {
  test('preferences-created-writes-nulls', () => {
    const write = expectKind(contextEventToLegacyWrite(published('preferences.PreferencesCreated', settingsData, { version: 1 })), 'update-user');
    expect(write.columns).toEqual({ pref_lang: null, pref_tz: null, email_optin_flg: null, theme_cd: null, updated_ts: new Date(later) });
  });

  test.each([
    ['en-US', 'en_US'], ['zh-Hant-TW', 'zh_Hant_TW'], ['es-419', 'es_419'], ['de', 'de'], ['he-IL', 'he_IL'], ['yue-HK', 'yue_HK'], ['sr-Latn-RS', 'sr_Latn_RS'],
  ])('locale-%p-written-as-posix-%p', (locale, posix) => {
    const write = expectKind(contextEventToLegacyWrite(published('preferences.PreferencesChanged', { ...settingsData, locale })), 'update-user');
    expect(write.columns).toMatchObject({ pref_lang: posix });
  });

  test('non-canonical-locale-written-in-the-spelling-legacy-reads', () => {
    const write = expectKind(contextEventToLegacyWrite(event('preferences.PreferencesChanged', { ...settingsData, locale: 'EN-us' })), 'update-user');
    expect(write.columns).toMatchObject({ pref_lang: 'en_US' });
  });

  test.each(['yue-Hant-HK', 'en-US-u-ca-buddhist', 'x-klingon', '', 'en_US_POSIX'])('locale-%p-that-legacy-cannot-hold-unparseable', (locale) => {
    expect(unparseableCode(event('preferences.PreferencesChanged', { ...settingsData, locale }))).toBe('REVERSE.INVALID_LOCALE');
  });

  test.each([
    [true, 'Y'], [false, 'N'], [null, null],
  ] as const)('marketing-emails-%p-written-as-%p', (marketingEmails, flag) => {
    const write = expectKind(contextEventToLegacyWrite(published('preferences.PreferencesChanged', { ...settingsData, marketingEmails })), 'update-user');
    expect(write.columns).toMatchObject({ email_optin_flg: flag });
  });

  test.each([['light', 'LIGHT'], ['dark', 'DARK'], ['system', 'SYS'], [null, null]])('theme-%p-written-as-%p', (theme, code) => {
    const write = expectKind(contextEventToLegacyWrite(published('preferences.PreferencesChanged', { ...settingsData, theme })), 'update-user');
    expect(write.columns).toMatchObject({ theme_cd: code });
  });

  test('time-zone-written-as-the-user-sent-it', () => {
    const write = expectKind(contextEventToLegacyWrite(published('preferences.PreferencesChanged', { ...settingsData, timeZone: 'Asia/Calcutta' })), 'update-user');
    expect(write.columns).toEqual({ pref_lang: null, pref_tz: 'Asia/Calcutta', email_optin_flg: null, theme_cd: null, updated_ts: new Date(later) });
  });

  test('preferences-erased-ignored-the-account-erasure-deletes-the-row', () => {
    expectKind(contextEventToLegacyWrite(published('preferences.PreferencesErased', { id }, { version: 3 })), 'ignore');
  });
});

describe('what is never written', () => {
  test.each<[string, Record<string, unknown>]>([
    ['identity.AccountSyncedFromLegacy', accountData], ['identity.AccountErasureSyncedFromLegacy', { id }],
    ['profile.ProfileSyncedFromLegacy', personaData], ['profile.ProfileErasureSyncedFromLegacy', { id }],
    ['preferences.PreferencesSyncedFromLegacy', settingsData], ['preferences.PreferencesErasureSyncedFromLegacy', { id }],
  ])('synced-from-legacy-%s-never-echoed-back', (type, data) => {
    // The forward sync's own events (published schemas): a legacy change must not come back to legacy.
    const write = expectKind(contextEventToLegacyWrite(published(type, data)), 'ignore');
    expect(write.event).toMatchObject({ type, aggregateId: id, version: 2 });
    // Its data does not matter: nothing of it is translated.
    expectKind(contextEventToLegacyWrite(event(type, { ...accountData, ...personaData, ...settingsData, status: 'gone' })), 'ignore');
  });

  test.each(['identity.PasswordChanged', 'profile.ProfileRenamed', 'preferences.ThemeToggled', 'identity.AccountRegisteredV2'])(
    'unknown-event-type-%s-dead-lettered-not-ignored',
    (type) => expect(unparseableCode(event(type, accountData))).toBe('REVERSE.UNKNOWN_EVENT_TYPE'),
  );

  test.each(['billing.InvoicePaid', 'Identity.AccountRegistered', 'identity.', 'identity', 'identity.accountRegistered', 'identity.Account.Registered', ''])(
    'event-of-no-known-context-%p-dead-lettered',
    (type) => expect(unparseableCode(event(type, accountData))).toBe('REVERSE.UNKNOWN_EVENT_TYPE'),
  );

  test.each([2, 0, '1', null, undefined])('schema-version-%p-never-translated-as-v1', (schemaVersion) => {
    expect(unparseableCode(event('identity.EmailChanged', accountData, { schemaVersion }))).toBe('REVERSE.UNSUPPORTED_SCHEMA_VERSION');
  });

  test.each([
    ['email', 'x'.repeat(321), 'REVERSE.VALUE_TOO_LONG'],
    ['email', '', 'REVERSE.EMPTY_VALUE'],
    ['email', 'ada\u0000@example.com', 'REVERSE.NUL_CHARACTER'],
    ['passwordHash', 'h'.repeat(201), 'REVERSE.VALUE_TOO_LONG'],
    ['passwordHash', '', 'REVERSE.EMPTY_VALUE'],
    ['status', 'deleted', 'REVERSE.UNKNOWN_STATUS'],
    ['status', 'toString', 'REVERSE.UNKNOWN_STATUS'],
    ['createdAt', '2026-02-30T00:00:00Z', 'REVERSE.INVALID_TIMESTAMP'],
    ['lastLoginAt', 'yesterday', 'REVERSE.INVALID_TIMESTAMP'],
    ['email', 42, 'REVERSE.OFF_SHAPE'],
    ['createdAt', null, 'REVERSE.INVALID_TIMESTAMP'],
  ].map(([field, value, code]) => [String(field), String(code), value] as const))('account-%s-that-legacy-cannot-hold-refused-as-%s', (field, code, value) => {
    expect(unparseableCode(event('identity.EmailChanged', { ...accountData, [field]: value }))).toBe(code);
  });

  test.each([
    ['displayName', 'n'.repeat(101), 'REVERSE.VALUE_TOO_LONG'],
    ['avatarUrl', `https://example.com/${'a'.repeat(481)}`, 'REVERSE.VALUE_TOO_LONG'],
    ['bio', 'nul\u0000byte', 'REVERSE.NUL_CHARACTER'],
    ['bio', 7, 'REVERSE.OFF_SHAPE'],
    ['displayName', undefined, 'REVERSE.OFF_SHAPE'],
  ].map(([field, value, code]) => [String(field), String(code), value] as const))('persona-%s-that-legacy-cannot-hold-refused-as-%s', (field, code, value) => {
    expect(unparseableCode(event('profile.ProfileUpdated', { ...personaData, [field]: value }))).toBe(code);
  });

  test.each([
    ['timeZone', `Etc/${'x'.repeat(61)}`, 'REVERSE.VALUE_TOO_LONG'],
    ['theme', 'sepia', 'REVERSE.UNKNOWN_THEME'],
    ['theme', 'SYS', 'REVERSE.UNKNOWN_THEME'],
    ['marketingEmails', 'Y', 'REVERSE.OFF_SHAPE'],
    ['locale', 5, 'REVERSE.OFF_SHAPE'],
  ].map(([field, value, code]) => [String(field), String(code), value] as const))('settings-%s-that-legacy-cannot-hold-refused-as-%s', (field, code, value) => {
    expect(unparseableCode(event('preferences.PreferencesChanged', { ...settingsData, [field]: value }))).toBe(code);
  });

  test('unparseable-reasons-never-echo-the-email-or-hash', () => {
    const secretEmail = `${'secret'.repeat(60)}@example.com`;
    const reasons = [
      contextEventToLegacyWrite(event('identity.EmailChanged', { ...accountData, email: secretEmail })),
      contextEventToLegacyWrite(event('identity.EmailChanged', { ...accountData, passwordHash: 'secret'.repeat(40) })),
      contextEventToLegacyWrite(event('identity.EmailChanged', { ...accountData, email: 'secret\u0000@example.com' })),
      contextEventToLegacyWrite(event('profile.ProfileUpdated', { ...personaData, displayName: 'Secret'.repeat(20) })),
    ].map((write) => expectKind(write, 'unparseable').reason);
    for (const reason of reasons) expect(reason.toLowerCase()).not.toContain('secret');
  });
});

describe('the envelope', () => {
  test('event-facts-carried-for-ordering-and-de-duplication', () => {
    const envelope = published('profile.ProfileUpdated', personaData, { version: 17 });
    const write = expectKind(contextEventToLegacyWrite(envelope), 'update-user');
    expect(write.event).toEqual({ context: 'profile', type: 'profile.ProfileUpdated', eventId: envelope.eventId, aggregateId: id, version: 17, occurredAt: new Date(later) });
  });

  test.each<[string, unknown]>([
    ['null', null], ['an array', [event('identity.EmailChanged', accountData)]], ['a string', 'identity.EmailChanged'], ['a number', 42],
    ['no type', event('identity.EmailChanged', accountData, { type: undefined })],
    ['no aggregateId', event('identity.EmailChanged', accountData, { aggregateId: undefined })],
    ['a string aggregateId (the Kafka key\'s form)', event('identity.EmailChanged', accountData, { aggregateId: String(id) })],
    ['aggregateId 0', event('identity.EmailChanged', { ...accountData, id: 0 }, { aggregateId: 0 })],
    ['an unsafe aggregateId', event('identity.EmailChanged', { ...accountData, id: 2 ** 53 }, { aggregateId: 2 ** 53 })],
    ['no eventId', event('identity.EmailChanged', accountData, { eventId: undefined })],
    ['version 0', event('identity.EmailChanged', accountData, { version: 0 })],
    ['a fractional version', event('identity.EmailChanged', accountData, { version: 2.5 })],
    ['a string version', event('identity.EmailChanged', accountData, { version: '2' })],
    ['no data', event('identity.EmailChanged', accountData, { data: undefined })],
    ['data as a list', event('identity.EmailChanged', accountData, { data: [accountData] })],
    ['data of another aggregate', event('identity.EmailChanged', { ...accountData, id: id + 1 })],
  ])('envelope-with-%s-unparseable-never-thrown', (_, envelope) => {
    expect(() => contextEventToLegacyWrite(envelope)).not.toThrow();
    expect(['REVERSE.OFF_SHAPE', 'REVERSE.UNKNOWN_EVENT_TYPE']).toContain(unparseableCode(envelope));
  });

  test('unparseable-names-the-aggregate-when-it-got-that-far', () => {
    expect(contextEventToLegacyWrite(event('identity.EmailChanged', { ...accountData, status: 'gone' }))).toMatchObject({ kind: 'unparseable', aggregateId: id });
    expect(contextEventToLegacyWrite(null)).toMatchObject({ kind: 'unparseable', aggregateId: null });
  });

  test.each(['2026-11-21 11:30:00Z', '2026-11-21T11:30:00', '2026-02-29T00:00:00Z', '2026-11-21T25:00:00Z', 'Sat, 21 Nov 2026 11:30:00 GMT', 1795267551781, ''])(
    'occurred-at-%p-that-is-no-rfc-3339-instant-unparseable',
    (occurredAt) => expect(unparseableCode(event('identity.EmailChanged', accountData, { occurredAt }))).toBe('REVERSE.INVALID_TIMESTAMP'),
  );

  test.each([
    ['2026-11-21T11:30:00.250Z', '2026-11-21T11:30:00.250Z'],
    ['2026-11-21T12:30:00+01:00', '2026-11-21T11:30:00.000Z'],
    ['2026-11-21t11:30:00z', '2026-11-21T11:30:00.000Z'],
    ['2024-02-29T00:00:00.123456Z', '2024-02-29T00:00:00.123Z'],
  ])('rfc-3339-instant-%p-read-exactly', (text, iso) => expect(eventInstant(text)?.toISOString()).toBe(iso));

  test('random-json-never-throws', () => {
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const atoms = [null, true, 0, -1, 1.5, 2 ** 53, '', 'x', '2026-11-21T11:30:00Z', id, 'identity.EmailChanged', 'profile.ProfileSyncedFromLegacy', {}, []];
    const fields = ['eventId', 'type', 'schemaVersion', 'aggregateId', 'version', 'occurredAt', 'data', 'id', 'email', 'status', 'locale', 'theme'];
    const value = (depth: number): unknown => {
      const roll = next() % 10;
      if (depth > 2 || roll < 5) return atoms[next() % atoms.length];
      return Object.fromEntries(fields.filter(() => next() % 2).map((field) => [field, value(depth + 1)]));
    };
    for (let i = 0; i < 2_000; i++) {
      const envelope = { ...event('identity.EmailChanged', accountData), ...(value(0) as object) };
      expect(() => contextEventToLegacyWrite(envelope)).not.toThrow();
    }
  });
});

describe('round trips: one translation both ways', () => {
  const columnsOf = <C>(result: Columns<C>): C => {
    if (!result.ok) throw new Error(`unexpected refusal ${result.code}: ${result.reason}`);
    return result.columns;
  };
  const stateOf = <S>(translation: Translation<S>): S => {
    if (!translation.ok) throw new Error(`unexpected rejection ${translation.code}: ${translation.reason}`);
    return translation.state;
  };
  const asDebezium = (date: Date | null) => date && date.toISOString().replace(/\.?0+Z$/, 'Z');
  const blankRow = (usrId: number): LegacyUserRow => ({
    usr_id: usrId, email_addr: 'x@example.com', pwd_hash: 'h', acct_stat_cd: 'A', disp_nm: null, bio_txt: null, avatar_url: null, pref_lang: null,
    pref_tz: null, email_optin_flg: null, theme_cd: null, last_login_ts: null, created_ts: null, updated_ts: null,
  });

  const accountBack = (state: AccountState): AccountState => {
    const columns = columnsOf(accountToLegacyColumns(state));
    const row = { ...blankRow(state.id), ...columns, created_ts: asDebezium(columns.created_ts), last_login_ts: asDebezium(columns.last_login_ts) };
    return stateOf(legacyUserToAccount(row, { observedAt: new Date(0) }));
  };
  const personaBack = (state: PersonaState) => stateOf(legacyUserToPersona({ ...blankRow(state.id), ...columnsOf(personaToLegacyColumns(state)) }));
  const settingsBack = (state: SettingsState) => stateOf(legacyUserToSettings({ ...blankRow(state.id), ...columnsOf(settingsToLegacyColumns(state)) }));

  const accounts: AccountState[] = [
    { id, email: 'ada@example.com', passwordHash: hash, status: 'active', createdAt: new Date(registeredAt), lastLoginAt: null },
    { id: 1, email: "o'brien+tag@mail.example.co.uk", passwordHash: 'h', status: 'suspended', createdAt: new Date('1999-12-31T23:59:59.999Z'), lastLoginAt: new Date(later) },
    { id: 2 ** 53 - 1, email: `${'a'.repeat(64)}@${'b'.repeat(185)}.com`, passwordHash: '€'.repeat(200), status: 'closed', createdAt: new Date('0099-01-01T00:00:00Z'), lastLoginAt: new Date('2026-11-21T11:30:00.001Z') },
  ];
  const personas: PersonaState[] = [
    { id, displayName: null, bio: null, avatarUrl: null },
    { id, displayName: '', bio: '', avatarUrl: 'http://x.y' },
    { id, displayName: '😀'.repeat(100), bio: '🧮'.repeat(20_000), avatarUrl: `https://example.com/${'é'.repeat(480)}` },
    { id, displayName: '  spaced  ', bio: 'line\nbreak\ttab', avatarUrl: 'HTTPS://EXAMPLE.COM/x.jpg' },
  ];
  const settings: SettingsState[] = [
    { id, locale: null, timeZone: null, marketingEmails: null, theme: null },
    { id, locale: 'en-US', timeZone: 'America/New_York', marketingEmails: true, theme: 'light' },
    { id, locale: 'zh-Hant-TW', timeZone: 'Asia/Calcutta', marketingEmails: false, theme: 'dark' },
    { id, locale: 'es-419', timeZone: 'UTC', marketingEmails: null, theme: 'system' },
    { id, locale: 'he-IL', timeZone: 'US/Eastern', marketingEmails: true, theme: null },
  ];

  test.each(accounts.map((state) => [state.email.slice(0, 20), state]))('account %s -> legacy -> account is the identity', (_, state) => {
    expect(accountBack(state)).toEqual(state);
  });
  test.each(personas.map((state, i) => [i, state]))('persona %s -> legacy -> persona is the identity', (_, state) => {
    expect(personaBack(state)).toEqual(state);
  });
  test.each(settings.map((state) => [state.locale, state]))('settings %s -> legacy -> settings is the identity', (_, state) => {
    expect(settingsBack(state)).toEqual(state);
  });

  const seeded: { row: LegacyUserRow; dirt: readonly string[] }[] = [];
  for (const { row, dirt } of generateLegacyUsers(5, [hash])) {
    seeded.push({
      dirt,
      row: { ...row, usr_id: seeded.length + 1, created_ts: asDebezium(row.created_ts), updated_ts: asDebezium(row.updated_ts), last_login_ts: asDebezium(row.last_login_ts) },
    });
    if (seeded.length === 5_000) break;
  }

  test('every-accepted-seeded-state-survives-legacy-and-back', () => {
    for (const { row } of seeded) {
      const account = legacyUserToAccount(row, { observedAt: new Date(0) });
      if (account.ok) expect(accountBack(account.state)).toEqual(account.state);
      expect(personaBack(stateOf(legacyUserToPersona(row)))).toEqual(stateOf(legacyUserToPersona(row)));
      expect(settingsBack(stateOf(legacyUserToSettings(row)))).toEqual(stateOf(legacyUserToSettings(row)));
    }
  });

  test('clean-legacy-row-written-back-unchanged', () => {
    const clean = seeded.filter(({ dirt }) => dirt.length === 0 || (dirt.length === 1 && dirt[0] === 'largeBio'));
    expect(clean.length).toBeGreaterThan(4_000);
    for (const { row } of clean) {
      const identity = columnsOf(accountToLegacyColumns(stateOf(legacyUserToAccount(row, { observedAt: new Date(0) }))));
      const profile = columnsOf(personaToLegacyColumns(stateOf(legacyUserToPersona(row))));
      const preferences = columnsOf(settingsToLegacyColumns(stateOf(legacyUserToSettings(row))));
      const written = { ...row, ...identity, ...profile, ...preferences, created_ts: asDebezium(identity.created_ts), last_login_ts: asDebezium(identity.last_login_ts) };
      expect(written).toEqual(row);
    }
  });

  test('dirty-legacy-row-written-back-in-normal-form', () => {
    const untidy = seeded.find(({ dirt }) => dirt.includes('untidyEmail') && !dirt.includes('unknownStatus'))!;
    const blank = seeded.find(({ dirt }) => dirt.includes('blankLocale'))!;
    expect(columnsOf(accountToLegacyColumns(stateOf(legacyUserToAccount(untidy.row, { observedAt: new Date(0) })))).email_addr).toBe(untidy.row.email_addr.trim().toLowerCase());
    expect(columnsOf(settingsToLegacyColumns(stateOf(legacyUserToSettings(blank.row)))).pref_lang).toBeNull();
  });
});
