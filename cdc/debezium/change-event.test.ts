import { LEGACY_USER_COLUMNS, UNAVAILABLE_VALUE_PLACEHOLDER, comparePositions, parseUsersChange, type Position, type UsersChange } from './change-event';

// Shapes copied from events the native stack's Debezium 3.6.1 produced for public.users
// (legacy-users.json: JsonConverter without schemas, time.precision.mode=isostring).
const row = {
  usr_id: 303,
  email_addr: ' Tierra_Satterfield294@Mail.Example.Com',
  pwd_hash: '$2b$10$aTbKKDoISTmd084u/tdmOO1iXSb1FYPqXf/ZGXaiN.G/O2tfPqwHC',
  acct_stat_cd: 'A',
  disp_nm: 'Tierra Satterfield',
  bio_txt: 'Vulnero creptio neque tero absconditus versus.',
  avatar_url: 'https://avatars.githubusercontent.com/u/63621973',
  pref_lang: '   ',
  pref_tz: 'America/Phoenix',
  email_optin_flg: ' ',
  theme_cd: 'SYS',
  last_login_ts: '2026-06-07T08:09:10.12Z',
  created_ts: '1999-12-31T23:59:59.999999Z',
  updated_ts: '2026-01-02T03:04:05Z',
};

const source = (overrides: Record<string, unknown> = {}) => ({
  version: '3.6.1.Final', connector: 'postgresql', name: 'legacy', ts_ms: 1795267551781, snapshot: 'false', db: 'legacy',
  sequence: '["1638652640","1638669880"]', ts_us: 1795267551781978, ts_ns: 1795267551781978000, schema: 'public', table: 'users',
  txId: 15130, lsn: 1638669880, xmin: null, origin: null, origin_lsn: null, ...overrides,
});

const envelope = (overrides: Record<string, unknown> = {}, sourceOverrides: Record<string, unknown> = {}) => ({
  before: null, after: row, source: source(sourceOverrides), transaction: null, op: 'c', ts_ms: 1795267552269, ...overrides,
});

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const key = (usrId: unknown = 303) => json({ usr_id: usrId });
const parse = (value: unknown, k: Buffer | null = key()) => parseUsersChange(k, value === null ? null : json(value));

function expectKind<K extends UsersChange['kind']>(change: UsersChange, kind: K): Extract<UsersChange, { kind: K }> {
  expect(change.kind).toBe(kind);
  return change as Extract<UsersChange, { kind: K }>;
}

describe('parseUsersChange', () => {
  test('streamed-insert-read-as-upsert-with-its-wal-position', () => {
    const change = expectKind(parse(envelope()), 'upsert');
    expect(change).toEqual({
      kind: 'upsert', usrId: 303, row, op: 'c', snapshot: 'no', sourceTsMs: 1795267551781, unavailableColumns: [],
      position: { commitLsn: 1638652640n, lsn: 1638669880n },
    });
  });

  test('timestamps-kept-exactly-as-debezium-sent-them', () => {
    const change = expectKind(parse(envelope()), 'upsert');
    expect([change.row.created_ts, change.row.last_login_ts, change.row.updated_ts]).toEqual(['1999-12-31T23:59:59.999999Z', '2026-06-07T08:09:10.12Z', '2026-01-02T03:04:05Z']);
  });

  test('update-read-from-after-never-from-before', () => {
    const change = expectKind(parse(envelope({ op: 'u', before: { ...row, disp_nm: 'old' }, after: { ...row, disp_nm: 'new' } })), 'upsert');
    expect([change.op, change.row.disp_nm]).toEqual(['u', 'new']);
  });

  test.each([
    ['first', 'initial'], ['true', 'initial'], ['last', 'initial'], ['first_in_data_collection', 'initial'], ['last_in_data_collection', 'initial'],
    ['false', 'no'], ['incremental', 'incremental'],
  ])('snapshot-marker-%s-never-misread', (marker, kind) => {
    const change = expectKind(parse(envelope({ op: 'r' }, { snapshot: marker })), 'upsert');
    expect(change.snapshot).toBe(kind);
  });

  test('initial-snapshot-row-without-commit-lsn-sorts-before-every-streamed-change', () => {
    const snapshot = expectKind(parse(envelope({ op: 'r' }, { snapshot: 'true', sequence: '[null,"31287736"]', lsn: 31287736, txId: 743 })), 'upsert');
    expect(snapshot.position).toEqual({ commitLsn: 0n, lsn: 31287736n });
    const streamed = expectKind(parse(envelope({}, { sequence: '["62987688","62992272"]', lsn: 62992272 })), 'upsert');
    expect(comparePositions(snapshot.position!, streamed.position!)).toBeLessThan(0);
  });

  test('incremental-snapshot-row-never-carries-a-stale-position', () => {
    // Captured: lsn and txId null, but sequence still holds the connector's last streamed offset.
    const change = expectKind(parse(envelope({ op: 'r' }, { snapshot: 'incremental', sequence: '["1638721464","1638721560"]', lsn: null, txId: null })), 'upsert');
    expect(change.position).toBeNull();
  });

  test('sequence-with-null-lsn-falls-back-to-source-lsn', () => {
    expect(expectKind(parse(envelope({}, { sequence: '["10",null]', lsn: 42 })), 'upsert').position).toEqual({ commitLsn: 10n, lsn: 42n });
  });

  test('missing-sequence-falls-back-to-source-lsn', () => {
    expect(expectKind(parse(envelope({}, { sequence: undefined, lsn: 42 })), 'upsert').position).toEqual({ commitLsn: 42n, lsn: 42n });
    expect(expectKind(parse(envelope({}, { sequence: null, lsn: null })), 'upsert').position).toBeNull();
  });

  test('delete-keeps-its-before-image-and-position', () => {
    const change = expectKind(parse(envelope({ op: 'd', before: row, after: null }, { sequence: '["1638703640","1638703640"]' })), 'delete');
    expect(change).toEqual({ kind: 'delete', usrId: 303, before: row, position: { commitLsn: 1638703640n, lsn: 1638703640n }, sourceTsMs: 1795267551781 });
  });

  test('delete-with-key-only-before-image-still-deletes-the-row', () => {
    const keyOnly = Object.fromEntries(LEGACY_USER_COLUMNS.map((column) => [column, column === 'usr_id' ? 303 : null]));
    expect(expectKind(parse(envelope({ op: 'd', before: keyOnly, after: null })), 'delete').before).toBeNull();
    expect(expectKind(parse(envelope({ op: 'd', before: null, after: null })), 'delete').usrId).toBe(303);
  });

  test('tombstone-never-mistaken-for-a-delete', () => {
    expect(parseUsersChange(key(), null)).toEqual({ kind: 'tombstone', usrId: 303 });
  });

  test('tombstone-without-key-unparseable', () => {
    expectKind(parseUsersChange(null, null), 'unparseable');
  });

  test('truncate-with-null-key-never-dropped', () => {
    const truncate = { before: null, after: null, source: source({ sequence: '["62987688","62992120"]', lsn: 62992120, txId: 936 }), transaction: null, op: 't', ts_ms: 1 };
    expect(parseUsersChange(null, json(truncate))).toEqual({ kind: 'truncate', position: { commitLsn: 62987688n, lsn: 62992120n }, sourceTsMs: 1795267551781 });
  });

  test('unavailable-value-placeholder-reported-per-column', () => {
    const change = expectKind(parse(envelope({ after: { ...row, bio_txt: UNAVAILABLE_VALUE_PLACEHOLDER, disp_nm: UNAVAILABLE_VALUE_PLACEHOLDER } })), 'upsert');
    expect(change.unavailableColumns).toEqual(['disp_nm', 'bio_txt']);
  });

  test('large-toasted-bio-arrives-whole', () => {
    const bio = 'x'.repeat(16_000);
    const change = expectKind(parse(envelope({ op: 'u', before: { ...row, bio_txt: bio }, after: { ...row, bio_txt: bio, disp_nm: 'changed' } })), 'upsert');
    expect([change.row.bio_txt, change.unavailableColumns]).toEqual([bio, []]);
  });

  test('columns-legacy-adds-later-never-leak-into-the-row', () => {
    const change = expectKind(parse(envelope({ after: { ...row, nickname: 'Ty' } })), 'upsert');
    expect(Object.keys(change.row)).toEqual([...LEGACY_USER_COLUMNS]);
  });

  test('lsn-beyond-2^53-compared-exactly', () => {
    const a = expectKind(parse(envelope({}, { sequence: '["18446744073709551614","18446744073709551615"]', lsn: null })), 'upsert');
    const b = expectKind(parse(envelope({}, { sequence: '["18446744073709551614","18446744073709551614"]', lsn: null })), 'upsert');
    expect(comparePositions(a.position!, b.position!)).toBe(1);
  });

  describe('never throws and never guesses', () => {
    const cases: [string, Buffer | null, Buffer | null][] = [
      ['a value that is not JSON', key(), Buffer.from('{"op":')],
      ['a JSON array', key(), json([1, 2])],
      ['a JSON string', key(), json('c')],
      ['a {schema, payload} envelope', key(), json({ schema: {}, payload: envelope() })],
      ['an unknown op', key(), json(envelope({ op: 'm' }))],
      ['no op', key(), json(envelope({ op: undefined }))],
      ['no source', key(), json(envelope({ source: undefined }))],
      ['another table', key(), json(envelope({}, { table: 'debezium_heartbeat' }))],
      ['another schema', key(), json(envelope({}, { schema: 'audit' }))],
      ['no ts_ms', key(), json(envelope({}, { ts_ms: '1795267551781' }))],
      ['an unknown snapshot marker', key(), json(envelope({}, { snapshot: 'maybe' }))],
      ['a sequence that is not JSON', key(), json(envelope({}, { sequence: '[1638' }))],
      ['a sequence of three', key(), json(envelope({}, { sequence: '["1","2","3"]' }))],
      ['a negative lsn', key(), json(envelope({}, { sequence: '["-1","2"]' }))],
      ['a fractional source.lsn', key(), json(envelope({}, { sequence: undefined, lsn: 1.5 }))],
      ['no key', null, json(envelope())],
      ['a key that is not JSON', Buffer.from('usr_id=303'), json(envelope())],
      ['a key without usr_id', json({ id: 303 }), json(envelope())],
      ['a string usr_id in the key', json({ usr_id: '303' }), json(envelope())],
      ['an unsafe usr_id', key(2 ** 53), json(envelope({ after: { ...row, usr_id: 2 ** 53 } }))],
      ['a key naming another row', key(304), json(envelope())],
      ['a delete whose before names another row', key(304), json(envelope({ op: 'd', before: row, after: null }))],
      ['no after', key(), json(envelope({ after: null }))],
      ['after as a list', key(), json(envelope({ after: [row] }))],
      ['a missing column', key(), json(envelope({ after: { ...row, theme_cd: undefined } }))],
      ['a null NOT NULL column', key(), json(envelope({ after: { ...row, acct_stat_cd: null } }))],
      ['a number in a text column', key(), json(envelope({ after: { ...row, pref_lang: 5 } }))],
      ['a timestamp as epoch micros', key(), json(envelope({ after: { ...row, created_ts: 946684799999999 } }))],
    ];
    test.each(cases)('%s is unparseable', (_, k, value) => {
      expect(() => parseUsersChange(k, value)).not.toThrow();
      expectKind(parseUsersChange(k, value), 'unparseable');
    });

    test('random-bytes-never-throw', () => {
      let seed = 7;
      const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
      for (let i = 0; i < 500; i++) {
        const bytes = Buffer.from(Array.from({ length: next() % 64 }, () => next() % 256));
        expect(() => parseUsersChange(i % 2 ? bytes : null, bytes)).not.toThrow();
      }
    });

    test('reasons-never-echo-row-values', () => {
      const secret = { ...row, email_addr: 'secret.person@example.com', theme_cd: 42 };
      const reasons = [
        parse(envelope({ after: secret })),
        parseUsersChange(key(), Buffer.from('{"after":{"email_addr":"secret.person@example.com"')),
        parse(envelope({ after: { ...secret, theme_cd: 'SYS', usr_id: 'secret.person@example.com' } })),
      ].map((change) => expectKind(change, 'unparseable').reason);
      for (const reason of reasons) expect(reason).not.toContain('secret');
    });
  });
});

describe('comparePositions', () => {
  const at = (commitLsn: bigint, lsn: bigint): Position => ({ commitLsn, lsn });

  test('interleaved-transactions-ordered-by-commit-not-lsn', () => {
    // Captured: B's insert ran inside A's open transaction; B committed first, so A's later-committed
    // update has the lower own LSN.
    const bInsert = at(1638686792n, 1638703224n);
    const aUpdate = at(1638703592n, 1638686848n);
    expect(comparePositions(bInsert, aUpdate)).toBeLessThan(0);
    expect(comparePositions(aUpdate, bInsert)).toBeGreaterThan(0);
  });

  test('changes-of-one-transaction-ordered-by-lsn', () => {
    expect(comparePositions(at(5n, 10n), at(5n, 11n))).toBe(-1);
  });

  test('redelivered-change-compares-equal', () => {
    expect(comparePositions(at(5n, 10n), at(5n, 10n))).toBe(0);
  });

  test('sorting-by-position-gives-commit-order', () => {
    const positions = [at(3n, 1n), at(1n, 9n), at(2n, 2n), at(1n, 3n), at(3n, 0n)];
    expect([...positions].sort(comparePositions)).toEqual([at(1n, 3n), at(1n, 9n), at(2n, 2n), at(3n, 0n), at(3n, 1n)]);
  });
});

test('message-mimicking-our-own-unparseable-value-never-taken-for-one', () => {
  const change = parseUsersChange(key(), json({ kind: 'unparseable', reason: 'secret.person@example.com' }));
  expect(change.kind).toBe('unparseable');
  expect((change as { reason: string }).reason).not.toContain('secret');
});
