// Crash test of the forward sync: the cdc process (a real child process, cdc/test/forward-worker-process.ts)
// is SIGKILLed twice while thousands of legacy changes stream through Debezium and Kafka, and each change
// must still take effect exactly once in each context: final state, version, one outbox event per change,
// in order. The first kill lands where at-least-once delivery bites: after a large batch's transaction
// committed and before its Kafka offset did, so the next life gets the batch again and only the positions
// (sync.forward_positions) keep older changes from being applied over newer ones. The capture topic has
// several partitions, applied side by side: the second life, on small batches, kills itself inside its sixth
// batch's transaction while the other partitions' batches are in flight. Each restart waits out the dead
// member's session timeout (kafkajs' default, 30 s) before the group rebalances: most of the run time.
import { isDeepStrictEqual } from 'node:util';
import { Pool } from 'pg';
import pino from 'pino';
import type { LegacyUserRow } from '../debezium/change-event';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../kafka/kafkajs-event-log';
import { spawnForwardWorker, type ForwardWorkerChild } from '../test/forward-worker-child';
import { startSyncSandbox, type SyncSandbox } from '../test/sync-sandbox';
import { accountTarget, personaTarget, settingsTarget, type ContextTarget } from './context-targets';
import { LEGACY_USERS_PARTITIONS } from './forward-sync.worker';
import { until } from '../test/until';
import {
  legacyUserToAccount,
  legacyUserToPersona,
  legacyUserToSettings,
  sameAccount,
  samePersona,
  sameSettings,
  type ContextName,
  type Translation,
} from './legacy-user.acl';

const USERS = 300;
const UPDATES_PER_USER = 15;
const USERS_PER_TRANSACTION = 5;
// Paced so that legacy is still writing when the worker is first killed (the whole stream takes ~20 s).
const ROUND_INTERVAL_MS = 1_300;

type Row = { -readonly [K in keyof LegacyUserRow]: LegacyUserRow[K] };

interface Lane<S extends { id: number }> {
  target: ContextTarget<S>;
  translate(row: LegacyUserRow): Translation<S>;
  same(a: S, b: S): boolean;
}
// Every model row has created_ts, so the account's creation time never falls back to the observation time.
const lanes: Lane<any>[] = [
  { target: accountTarget, translate: (row) => legacyUserToAccount(row, { observedAt: new Date(0) }), same: sameAccount },
  { target: personaTarget, translate: legacyUserToPersona, same: samePersona },
  { target: settingsTarget, translate: legacyUserToSettings, same: sameSettings },
];

function stateOf<S extends { id: number }>(lane: Lane<S>, row: LegacyUserRow): S {
  const translated = lane.translate(row);
  if (!translated.ok) throw new Error(`the test wrote a row the ${lane.target.context} context refuses: ${translated.code}`);
  return translated.state;
}

// --- The write stream: a known history per user, each update changing a known set of contexts. ---

// Each of the seven non-empty sets of contexts, rotated per user so that every context sees every kind of gap.
const CONTEXT_SETS: ContextName[][] = [
  ['identity'], ['profile'], ['preferences'],
  ['identity', 'profile'], ['identity', 'preferences'], ['profile', 'preferences'],
  ['identity', 'profile', 'preferences'],
];
const touchedBy = (id: number, update: number) => CONTEXT_SETS[(id + update) % CONTEXT_SETS.length]!;
// One zone per update: a preferences change always moves pref_tz, so it can never be a no-op.
const ZONES = ['UTC', 'Europe/Berlin', 'America/Sao_Paulo', 'Asia/Tokyo', 'Australia/Sydney', 'Africa/Nairobi', 'America/New_York', 'Europe/Lisbon',
  'Asia/Kolkata', 'Pacific/Auckland', 'America/Chicago', 'Europe/Paris', 'Asia/Singapore', 'America/Los_Angeles', 'Europe/London', 'Asia/Dubai'];
const LOCALES = ['en_US', 'pt_BR', 'de_DE@euro', 'fr', ' '];
const THEMES = ['LIGHT', 'DARK', 'SYS', null];
/** PostgreSQL's text for a `timestamp`, microseconds included (the sync truncates them to milliseconds). */
const legacyTimestamp = (ms: number, micros = '') => new Date(ms).toISOString().replace('T', ' ').replace('Z', micros);

function insertedRow(id: number): Row {
  return {
    usr_id: id,
    email_addr: `  User${id}.V0@Example.COM `,
    pwd_hash: `$2b$10$${'abcdefghijklmnopqrstuvwxyz'.repeat(2)}${String(id).padStart(4, '0')}`.slice(0, 60),
    acct_stat_cd: 'A',
    disp_nm: `Legacy user ${id}`,
    bio_txt: null,
    avatar_url: null,
    pref_lang: LOCALES[0]!,
    pref_tz: ZONES[0]!,
    email_optin_flg: 'Y',
    theme_cd: 'LIGHT',
    last_login_ts: null,
    created_ts: legacyTimestamp(Date.UTC(2019, 5, 1) + id * 60_000).slice(0, 19),
    updated_ts: null,
  };
}

function updatedRow(previous: Row, update: number): Row {
  const row = { ...previous };
  const id = row.usr_id;
  const touched = touchedBy(id, update);
  if (touched.includes('identity')) {
    row.last_login_ts = legacyTimestamp(Date.UTC(2026, 0, 1) + id * 86_400_000 + update * 61_001, '417');
    row.acct_stat_cd = 'ASC'[update % 3]!;
    if (update % 4 === 0) row.email_addr = `User${id}.V${update}@example.com  `;
  }
  if (touched.includes('profile')) {
    row.disp_nm = `Legacy user ${id}, take ${update}`;
    row.bio_txt = update % 2 === 0 ? `Wrote this on update ${update}.` : update % 3 === 0 ? '' : null;
    if (update % 3 === 0) row.avatar_url = `https://img.example.com/${id}/${update}.png`;
  }
  if (touched.includes('preferences')) {
    row.pref_tz = ZONES[update]!;
    row.pref_lang = LOCALES[update % LOCALES.length]!;
    row.email_optin_flg = update % 2 === 0 ? 'Y' : 'N';
    row.theme_cd = THEMES[update % THEMES.length]!;
  }
  return row;
}

/** Per user: the row after the insert and after each update. */
function history(): Map<number, Row[]> {
  const rows = new Map<number, Row[]>();
  for (let id = 1; id <= USERS; id++) {
    const versions = [insertedRow(id)];
    for (let update = 1; update <= UPDATES_PER_USER; update++) versions.push(updatedRow(versions[versions.length - 1]!, update));
    rows.set(id, versions);
  }
  return rows;
}

/** Per context and user: the states the context must go through, one per distinct change. */
function expectedStates(rows: Map<number, Row[]>): Map<string, Map<number, unknown[]>> {
  const expected = new Map<string, Map<number, unknown[]>>();
  for (const lane of lanes) {
    const perUser = new Map<number, unknown[]>();
    for (const [id, versions] of rows) {
      const states: unknown[] = [];
      for (const row of versions) {
        const state = stateOf(lane, row);
        if (states.length === 0 || !lane.same(states[states.length - 1], state)) states.push(state);
      }
      perUser.set(id, states);
    }
    expected.set(lane.target.context, perUser);
  }
  return expected;
}

const COLUMNS = ['usr_id', 'email_addr', 'pwd_hash', 'acct_stat_cd', 'disp_nm', 'bio_txt', 'avatar_url', 'pref_lang', 'pref_tz', 'email_optin_flg', 'theme_cd', 'last_login_ts', 'created_ts'] as const;
const TYPES: Record<(typeof COLUMNS)[number], string> = {
  usr_id: 'bigint', email_addr: 'text', pwd_hash: 'text', acct_stat_cd: 'text', disp_nm: 'text', bio_txt: 'text', avatar_url: 'text', pref_lang: 'text',
  pref_tz: 'text', email_optin_flg: 'text', theme_cd: 'text', last_login_ts: 'timestamp', created_ts: 'timestamp',
};

function valuesList(rows: Row[]): { sql: string; parameters: unknown[] } {
  const parameters: unknown[] = [];
  const tuples = rows.map((row) => `(${COLUMNS.map((column) => {
    parameters.push(row[column]);
    return `$${parameters.length}::${TYPES[column]}`;
  }).join(', ')})`);
  return { sql: tuples.join(', '), parameters };
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** Inserts, then updates every user once per round; each statement is its own small transaction. */
async function streamChanges(legacy: Pool, rows: Map<number, Row[]>): Promise<void> {
  const ids = [...rows.keys()];
  await Promise.all(chunks(ids, 10).map((group) => {
    const { sql, parameters } = valuesList(group.map((id) => rows.get(id)![0]!));
    return legacy.query(`INSERT INTO public.users (${COLUMNS.join(', ')}) SELECT * FROM (VALUES ${sql}) AS v(${COLUMNS.join(', ')})`, parameters);
  }));
  // Rounds run one after another, so each user's updates reach the table in the model's order.
  for (let update = 1; update <= UPDATES_PER_USER; update++) {
    // Load shaping, not a wait for a condition: a round takes at least this long, so the stream outlives the first kill.
    const paced = new Promise((resolve) => setTimeout(resolve, ROUND_INTERVAL_MS));
    await Promise.all([paced, ...chunks(ids, USERS_PER_TRANSACTION).map((group) => {
      const { sql, parameters } = valuesList(group.map((id) => rows.get(id)![update]!));
      const assignments = COLUMNS.filter((c) => c !== 'usr_id').map((c) => `${c} = v.${c}`).join(', ');
      return legacy.query(
        `UPDATE public.users AS u SET ${assignments}, updated_ts = timezone('utc', now()) FROM (VALUES ${sql}) AS v(${COLUMNS.join(', ')}) WHERE u.usr_id = v.usr_id`,
        parameters,
      );
    })]);
  }
}


describe('forward sync killed mid-stream: exactly-once effect on top of at-least-once delivery', () => {
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
  const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv('killed-worker-test'), logger);
  const children: ForwardWorkerChild[] = [];
  let sandbox: SyncSandbox;
  let legacy: Pool;
  let userService: Pool;
  let control: Pool;
  let group: string;

  const childEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...Object.fromEntries(Object.entries(sandbox.config).map(([name, value]) => [name, String(value)])),
    TEST_FORWARD_GROUP: group,
    TEST_USERS_TOPIC: sandbox.usersTopic,
    // The cdc process also runs the reverse worker: on topics no one publishes to here, never the shared ones.
    TEST_REVERSE_GROUP: `${group}-reverse`,
    TEST_CONTEXT_EVENT_TOPICS: ['account', 'profile', 'preferences'].map((aggregate) => `${sandbox.name}.${aggregate}.events`).join(','),
    ...extra,
  });
  const startWorker = (extra: Record<string, string> = {}) => {
    const child = spawnForwardWorker(childEnv(extra));
    children.push(child);
    return child;
  };
  const outboxCount = async () =>
    Number((await userService.query<{ n: string }>(
      'SELECT (SELECT count(*) FROM identity.outbox) + (SELECT count(*) FROM profile.outbox) + (SELECT count(*) FROM preferences.outbox) AS n',
    )).rows[0]!.n);
  /**
   * A dead worker applies nothing more, although changes keep coming (no orphaned grandchild consuming). An
   * absence has no condition to poll for: it can only be watched for a while. kill() has already waited for
   * every process of the group to be gone; this window catches one that escaped it.
   */
  const expectNothingAppliedFor = async (ms: number) => {
    const before = await outboxCount();
    await new Promise((resolve) => setTimeout(resolve, ms));
    expect(await outboxCount()).toBe(before);
  };

  beforeAll(async () => {
    sandbox = await startSyncSandbox();
    group = `${sandbox.name}-forward-crash`;
    legacy = new Pool({ connectionString: sandbox.admin.legacy, max: 4 });
    userService = new Pool({ connectionString: sandbox.admin.userService, max: 2 });
    control = new Pool({ connectionString: sandbox.admin.control, max: 1 });
    // As the worker does at start; the test reads the topic's end before the first worker runs.
    await eventLog.ensureTopics([{ topic: sandbox.usersTopic, partitions: LEGACY_USERS_PARTITIONS }]);
  });

  afterAll(async () => {
    await Promise.allSettled(children.map((child) => child.kill()));
    await eventLog.close();
    await Promise.all([legacy?.end(), userService?.end(), control?.end()]);
    await sandbox?.stop();
  });

  test('no change is applied twice or lost when the cdc process is SIGKILLed, inside the commit window or anywhere', async () => {
    const started = Date.now();
    const rows = history();
    const expected = expectedStates(rows);
    // The stream is built so that every update changes each context it touches: a skipped change shows.
    for (const lane of lanes) {
      for (const [id, states] of expected.get(lane.target.context)!) {
        const touches = Array.from({ length: UPDATES_PER_USER }, (_, i) => touchedBy(id, i + 1)).filter((set) => set.includes(lane.target.context)).length;
        expect([lane.target.context, id, states.length]).toEqual([lane.target.context, id, 1 + touches]);
      }
    }
    const changes = USERS * (1 + UPDATES_PER_USER);
    const totalEvents = [...expected.values()].reduce((sum, perUser) => sum + [...perUser.values()].reduce((n, states) => n + states.length, 0), 0);

    let writtenAt = -1;
    const writing = streamChanges(legacy, rows).then(() => {
      writtenAt = Date.now() - started;
    });
    // Never resolves; rejects as soon as a write fails, so that no wait below outlives a broken stream.
    const writeFailure = writing.then(() => new Promise<never>(() => undefined));
    writeFailure.catch(() => undefined);

    // First life: starts behind (so that its batches are large, several changes per user each) and dies
    // holding the batch that reaches a third of its partition's share of the changes: applied, its offset
    // not committed.
    await Promise.race([until('half of the changes in Kafka', async () => {
      const ends = await eventLog.endOffsets(sandbox.usersTopic);
      return ends.reduce((sum, end) => sum + Number(end.offset), 0) >= changes / 2 ? true : undefined;
    }, { timeoutMs: 30_000 }), writeFailure]);
    // The lives below wait for the signal they are started for, not for 'ready': a batch can be taken, and
    // a life can die in it, before startCdcWorkers has returned (a second life did in CI).
    const first = startWorker({ TEST_HOLD_OFFSET_COMMIT_FROM: String(Math.floor(changes / 3 / LEGACY_USERS_PARTITIONS)) });
    const held = await Promise.race([first.signal('holding-offset-commit', 60_000), writeFailure]).catch(async (error: Error) => {
      throw new Error(`${error.message}\n(${await outboxCount()} of ${totalEvents} events out)`);
    });
    await first.kill();
    const committed = (await eventLog.committedOffsets(group, sandbox.usersTopic)).find((p) => p.partition === held.partition);
    const newestApplied = (await userService.query<{ max: string }>('SELECT max(kafka_offset) AS max FROM sync.forward_positions WHERE kafka_partition = $1', [held.partition])).rows[0]!.max;
    // The database is ahead of the group's committed offset: the next life gets this batch again.
    expect(BigInt(newestApplied)).toBe(BigInt(held.last as string));
    expect(BigInt(committed!.offset)).toBeLessThanOrEqual(BigInt(held.first as string));
    // Every user changes once per round of USERS changes, in its own partition: a batch this long holds
    // several changes of most of its users, so applying it again would apply older changes over newer ones
    // unless the positions refuse them.
    expect(Number(held.last) - Number(held.first) + 1).toBeGreaterThanOrEqual((2 * USERS) / LEGACY_USERS_PARTITIONS);
    await expectNothingAppliedFor(1_000);
    const afterFirstKill = await outboxCount();
    expect(afterFirstKill).toBeGreaterThan(0);
    expect(afterFirstKill).toBeLessThan(totalEvents);
    const firstKillAt = Date.now() - started;

    // Second life: small batches; it kills itself inside its sixth, with earlier ones committed and the other
    // partitions' batches in flight. (Killing it after a large batch could find every partition done already.)
    const second = startWorker({ TEST_KILL_INSIDE_BATCH: '6', TEST_FETCH_MAX_BYTES: String(64 * 1024) });
    await Promise.race([second.signal('killing-itself', 90_000), writeFailure]);
    await second.kill();
    await expectNothingAppliedFor(500);
    const afterSecondKill = await outboxCount();
    expect(afterSecondKill).toBeLessThan(totalEvents);
    const secondKillAt = Date.now() - started;

    // Third life: runs to the end.
    const third = startWorker();
    await third.signal('ready');
    await writing;
    const legacyRows = new Map(
      (await legacy.query<Row>(`SELECT usr_id::int AS usr_id, ${COLUMNS.slice(1).map((c) => (TYPES[c] === 'timestamp' ? `${c}::text AS ${c}` : c)).join(', ')}, updated_ts::text AS updated_ts FROM public.users`))
        .rows.map((row) => [row.usr_id, row]),
    );
    expect(legacyRows.size).toBe(USERS);
    const contextRows = async (lane: Lane<any>) =>
      new Map((await userService.query(`SELECT * FROM ${lane.target.table}`)).rows.map((row: Record<string, unknown>) => [Number(row.id), row]));
    await until('every user\'s final legacy row in all three contexts', async () => {
      for (const lane of lanes) {
        const stored = await contextRows(lane);
        for (const [id, row] of legacyRows) {
          const current = stored.get(id);
          if (!current || !lane.same(lane.target.fromRow(current), stateOf(lane, row))) return undefined;
        }
      }
      return true;
    }, { timeoutMs: 60_000, diagnostics: third.stderrTail });
    const convergedAt = Date.now() - started;

    const problems: string[] = [];
    let events = 0;
    for (const lane of lanes) {
      const { context, table, syncedEvent } = lane.target;
      const stored = await contextRows(lane);
      const outbox = (await userService.query<{ aggregateid: string; type: string; payload: { version: number; occurredAt: string; data: Record<string, unknown> } }>(
        `SELECT aggregateid, type, payload FROM ${table.split('.')[0]}.outbox ORDER BY seq`,
      )).rows;
      events += outbox.length;
      const byUser = new Map<number, typeof outbox>();
      for (const event of outbox) byUser.set(Number(event.aggregateid), [...(byUser.get(Number(event.aggregateid)) ?? []), event]);
      for (const [id, states] of expected.get(context)!) {
        const finalState = stateOf(lane, legacyRows.get(id)!);
        const row = stored.get(id)!;
        if (!isDeepStrictEqual(lane.target.fromRow(row), finalState)) problems.push(`${context} ${id}: final state differs from the legacy row translated`);
        if (row.version !== states.length) problems.push(`${context} ${id}: version ${String(row.version)}, expected ${states.length}`);
        const ofUser = byUser.get(id) ?? [];
        const versions = ofUser.map((e) => e.payload.version);
        if (!isDeepStrictEqual(versions, states.map((_, i) => i + 1))) problems.push(`${context} ${id}: event versions ${versions.join(',')}, expected 1..${states.length}`);
        ofUser.forEach((event, i) => {
          if (event.type !== syncedEvent) problems.push(`${context} ${id}: event ${i + 1} is ${event.type}`);
          // The event's data is the state after the i-th change (updatedAt, where published, is the change's time).
          const state = states[i];
          if (state === undefined) return;
          if (!isDeepStrictEqual(event.payload.data, lane.target.eventData(state, new Date(event.payload.occurredAt)))) {
            problems.push(`${context} ${id}: event ${i + 1} carries ${JSON.stringify(event.payload.data)}, expected the state after change ${i + 1}`);
          }
          if (i > 0 && event.payload.occurredAt < ofUser[i - 1]!.payload.occurredAt) problems.push(`${context} ${id}: event ${i + 1} occurred before event ${i}`);
        });
      }
      for (const id of byUser.keys()) if (!expected.get(context)!.has(id)) problems.push(`${context}: events of unknown aggregate ${id}`);
    }
    expect({ problems: problems.length, first: problems.slice(0, 15) }).toEqual({ problems: 0, first: [] });
    expect(events).toBe(totalEvents);
    // A refused change would be a lost one.
    expect((await control.query('SELECT count(*)::int AS n FROM control.dead_letters')).rows[0].n).toBe(0);

    logger.info({ changes, totalEvents, heldBatch: [held.first, held.last], committedAtFirstKill: committed!.offset, afterFirstKill, afterSecondKill, firstKillAt, secondKillAt, writtenAt, convergedAt }, 'crash test timings (ms since start)');
  }, 150_000);
});
