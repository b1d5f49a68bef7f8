// Read-your-writes across proxy instances, cdc's half, through the real parts: legacy's WAL position, and
// whether the real forward worker has reached it in a user's capture partition, either by applying an
// event at or past it or through the partition's idle horizon (Debezium's slot past it, the group
// committed up to the partition's end). Its own sandbox: throwaway databases, connector, topic and group.
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startCdcWorkers, type CdcWorkers } from '../cdc-workers';
import { DeadLetterSink } from '../dead-letters/dead-letter-sink';
import type { EventLog, LogMessage } from '../kafka/event-log';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../kafka/kafkajs-event-log';
import { createSyncMetrics } from '../metrics/sync-metrics';
import { parsePgLsn } from '../postgres/pg-lsn';
import { aroundBatches } from '../test/around-batches';
import { startSyncSandbox, type SyncSandbox } from '../test/sync-sandbox';
import { until } from '../test/until';
import { applyLegacyChanges } from './apply-legacy-changes';
import type { CatchUp } from './caught-up';
import { LEGACY_USERS_PARTITIONS } from './forward-sync.worker';
import { SourcePosition, SourceUnavailable } from './source-position';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

/**
 * The event log, with a gate in front of the forward worker's handler: closed, every batch handed over
 * waits before its transaction, so nothing new is applied (nor committed) until it opens again.
 */
function gatedEventLog(inner: EventLog) {
  let gate: Promise<void> = Promise.resolve();
  let release = () => {};
  return {
    log: aroundBatches(inner, async (_messages, handle) => {
      await gate;
      await handle();
    }),
    hold() {
      gate = new Promise((resolve) => { release = resolve; });
    },
    open() {
      release();
      gate = Promise.resolve();
    },
  };
}

describe('read-your-writes: has the forward sync reached legacy\'s WAL position in a user\'s partition?', () => {
  let sandbox: SyncSandbox;
  let legacy: Pool;
  let userService: Pool;
  let control: Pool;
  const kafka = new KafkajsEventLog(kafkaSettingsFromEnv('read-your-writes-test'), logger);
  const gate = gatedEventLog(kafka);
  let workers: CdcWorkers;
  let cdc: string;
  /** Users of this sandbox by the capture partition their changes were processed from. */
  const usersIn = new Map<number, number[]>();

  const sourcePosition = async () => {
    const response = await fetch(`${cdc}/sync/forward/source-position`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { lsn: string }).lsn;
  };
  const caughtUp = async (id: number, lsn: string) => {
    const response = await fetch(`${cdc}/sync/forward/users/${id}/caught-up?lsn=${encodeURIComponent(lsn)}`);
    expect(response.status).toBe(200);
    return (await response.json()) as CatchUp;
  };
  const rename = async (id: number, name: string) => {
    await legacy.query('UPDATE public.users SET disp_nm = $2, updated_ts = now() WHERE usr_id = $1', [id, name]);
  };
  const displayNameOf = async (id: number) =>
    (await userService.query<{ display_name: string | null }>('SELECT display_name FROM profile.profiles WHERE id = $1', [id])).rows[0]?.display_name;
  const applied = (id: number, name: string) => until(`${name} applied to user ${id}`, async () => ((await displayNameOf(id)) === name ? true : undefined));
  const atOrPast = (lsn: string | null, l: string) => lsn !== null && parsePgLsn(lsn) >= parsePgLsn(l);

  beforeAll(async () => {
    sandbox = await startSyncSandbox();
    legacy = new Pool({ connectionString: sandbox.admin.legacy, max: 2 });
    userService = new Pool({ connectionString: sandbox.admin.userService, max: 2 });
    control = new Pool({ connectionString: sandbox.admin.control, max: 2 });
    workers = await startCdcWorkers({
      config: sandbox.config, eventLog: gate.log, logger, registry: new Registry(),
      forwardGroup: `${sandbox.name}-forward`, legacyUsersTopic: sandbox.usersTopic, forwardSlot: sandbox.slots.forward,
    });
    cdc = `http://127.0.0.1:${workers.port}`;
    // Users until every partition holds at least two: where a user's changes go is Kafka's hash of its key.
    const tag = randomUUID().slice(0, 8);
    for (let i = 0; [...Array(LEGACY_USERS_PARTITIONS).keys()].some((p) => (usersIn.get(p)?.length ?? 0) < 2); i++) {
      if (i >= 60) throw new Error(`60 users did not cover ${LEGACY_USERS_PARTITIONS} partitions twice: ${JSON.stringify([...usersIn])}`);
      const { rows } = await legacy.query<{ usr_id: string }>(
        "INSERT INTO public.users (email_addr, pwd_hash, acct_stat_cd, disp_nm) VALUES ($1, 'x', 'A', 'start') RETURNING usr_id",
        [`ryw.${i}.${tag}@example.com`],
      );
      const id = Number(rows[0]!.usr_id);
      const partition = await until(`user ${id}'s position`, async () =>
        (await userService.query<{ kafka_partition: number }>('SELECT kafka_partition FROM sync.forward_positions WHERE usr_id = $1', [id])).rows[0]?.kafka_partition);
      usersIn.set(partition, [...(usersIn.get(partition) ?? []), id]);
    }
  });

  afterAll(async () => {
    gate.open();
    await workers?.stop();
    await kafka.close();
    await Promise.all([legacy?.end(), userService?.end(), control?.end()]);
    await sandbox?.stop();
  });

  test('source-position is legacy\'s WAL position read after the call, however many ask at once', async () => {
    const before = (await legacy.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
    const answers = await Promise.all(Array.from({ length: 50 }, () => sourcePosition()));
    for (const lsn of answers) expect(parsePgLsn(lsn)).toBeGreaterThanOrEqual(parsePgLsn(before));
  });

  test('read-before-apply-stays-pinned: a change legacy committed is caught up only once the forward worker has applied it', async () => {
    const [u] = usersIn.get(0)!;
    gate.hold();
    let l: string;
    try {
      await rename(u!, 'written while the worker is held');
      l = await sourcePosition();
      expect(await caughtUp(u!, l)).toMatchObject({ usrId: u, lsn: l, caughtUp: false, partition: 0 });
      // Debezium has it on the topic now (the slot confirmed past L): only the apply is missing, and the
      // partition's backlog keeps the idle horizon (measured afresh: the wait is longer than its interval)
      // from vouching for it.
      await until('the slot to confirm L', async () =>
        ((await legacy.query<{ past: boolean }>('SELECT confirmed_flush_lsn >= $2::pg_lsn AS past FROM pg_replication_slots WHERE slot_name = $1', [sandbox.slots.forward, l])).rows[0]?.past ? true : undefined));
      const held = await caughtUp(u!, l);
      expect(held.caughtUp).toBe(false);
      expect(atOrPast(held.appliedLsn, l) || atOrPast(held.idleHorizonLsn, l)).toBe(false);
      expect(await displayNameOf(u!)).toBe('start');
    } finally {
      gate.open();
    }
    const released = await until('caught up once applied', async () => {
      const answer = await caughtUp(u!, l);
      return answer.caughtUp ? answer : undefined;
    });
    expect(await displayNameOf(u!)).toBe('written while the worker is held');
    expect(atOrPast(released.appliedLsn, l) || atOrPast(released.idleHorizonLsn, l)).toBe(true);
  });

  test('an applied later event of the same partition carries the progress past L', async () => {
    const [u, v] = usersIn.get(1)!;
    await rename(u!, 'mine');
    const l = await sourcePosition();
    await rename(v!, 'a neighbour\'s later change');
    await applied(v!, 'a neighbour\'s later change');
    const answer = await until('the partition\'s progress past L', async () => {
      const found = await caughtUp(u!, l);
      return atOrPast(found.appliedLsn, l) ? found : undefined;
    });
    expect(answer).toMatchObject({ caughtUp: true, partition: 1 });
    expect(await displayNameOf(u!)).toBe('mine');
    const stored = (await userService.query<{ progress_lsn: string }>('SELECT progress_lsn FROM sync.forward_partitions WHERE kafka_partition = 1')).rows[0]!;
    expect(BigInt(stored.progress_lsn)).toBeGreaterThanOrEqual(parsePgLsn(answer.appliedLsn!));
  });

  test('idle-partition-never-pins-forever: nothing more written to the user\'s partition, released through the idle horizon', async () => {
    const [u] = usersIn.get(2)!;
    const elsewhere = [...usersIn.get(0)!, ...usersIn.get(1)!];
    await rename(u!, 'the last write to partition 2');
    const l = await sourcePosition();
    // The rest of the topic stays busy meanwhile; only partition 2 is idle.
    let writing = true;
    const traffic = (async () => {
      for (let i = 0; writing; i++) {
        await rename(elsewhere[i % elsewhere.length]!, `elsewhere ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      const released = await until('released through the idle horizon', async () => {
        const answer = await caughtUp(u!, l);
        return answer.caughtUp ? answer : undefined;
      }, { timeoutMs: 30_000 });
      expect(released).toMatchObject({ usrId: u, partition: 2, caughtUp: true });
      // The user's own change is before L, and nothing of partition 2 came after it.
      expect(atOrPast(released.appliedLsn, l)).toBe(false);
      expect(atOrPast(released.idleHorizonLsn, l)).toBe(true);
      expect(await displayNameOf(u!)).toBe('the last write to partition 2');
    } finally {
      writing = false;
      await traffic;
    }
  });

  test('a user with no processed change is not caught up; a position that is not pg_lsn is refused', async () => {
    const l = await sourcePosition();
    expect(await caughtUp(999_999_999, l)).toEqual({ usrId: 999_999_999, lsn: l, caughtUp: false, partition: null, appliedLsn: null, idleHorizonLsn: null });
    const refused = await fetch(`${cdc}/sync/forward/users/1/caught-up?lsn=latest`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('CDC.INVALID_REQUEST');
  });

  test('redelivered-batch-never-moves-progress-back: an earlier batch, or the same one again, leaves the partition\'s progress where it was', async () => {
    // Straight into the apply with batches of a partition the capture topic does not have, so that the
    // running worker never writes the row under test.
    const partition = 7;
    const base = 8_000_000_000 + Math.floor(Math.random() * 1_000_000);
    const event = (offset: number, usrId: number, commitLsn: number | null, lsn: number | null, snapshot = 'false'): LogMessage => ({
      topic: sandbox.usersTopic, partition, offset: String(offset), timestamp: '0', headers: {},
      key: Buffer.from(JSON.stringify({ usr_id: usrId })),
      value: Buffer.from(JSON.stringify({
        op: snapshot === 'false' ? 'u' : 'r', before: null, ts_ms: 0,
        after: {
          usr_id: usrId, email_addr: `redelivered.${usrId}@example.com`, pwd_hash: 'x', acct_stat_cd: 'A', disp_nm: `offset ${offset}`, bio_txt: null,
          avatar_url: null, pref_lang: 'en_US', pref_tz: 'UTC', email_optin_flg: 'N', theme_cd: 'LIGHT', last_login_ts: null,
          created_ts: '2026-01-01T00:00:00Z', updated_ts: '2026-01-01T00:00:00Z',
        },
        source: { ts_ms: Date.now(), snapshot, schema: 'public', table: 'users', lsn, sequence: JSON.stringify([commitLsn === null ? null : String(commitLsn), lsn === null ? null : String(lsn)]) },
      })),
    });
    const sync = new Pool({ connectionString: sandbox.config.CDC_USER_SERVICE_DATABASE_URL, max: 1 });
    const metrics = createSyncMetrics(new Registry());
    const deps = { userService: sync, control, deadLetters: new DeadLetterSink(control, kafka, metrics, logger), metrics, logger, clock: () => new Date() };
    const progressOf = async () =>
      (await userService.query<{ progress_lsn: string; kafka_offset: string }>('SELECT progress_lsn, kafka_offset FROM sync.forward_partitions WHERE kafka_partition = $1', [partition])).rows[0];
    try {
      const later = [event(10, base + 1, 5_000, 5_100), event(11, base + 2, 5_200, 5_050)];
      await applyLegacyChanges(later, deps);
      expect(await progressOf()).toEqual({ progress_lsn: '5200', kafka_offset: '11' });
      // A stale member finishing an earlier batch after the group moved on, then the later batch redelivered.
      await applyLegacyChanges([event(5, base + 3, 1_000, 1_100), event(6, base + 4, 2_000, 2_100)], deps);
      expect(await progressOf()).toEqual({ progress_lsn: '5200', kafka_offset: '11' });
      await applyLegacyChanges(later, deps);
      expect(await progressOf()).toEqual({ progress_lsn: '5200', kafka_offset: '11' });
      // Snapshot rows move the offset on but prove no WAL position.
      await applyLegacyChanges([event(12, base + 5, null, 9_000, 'true')], deps);
      expect(await progressOf()).toEqual({ progress_lsn: '5200', kafka_offset: '12' });
      await applyLegacyChanges([event(13, base + 1, 9_500, 9_400)], deps);
      expect(await progressOf()).toEqual({ progress_lsn: '9500', kafka_offset: '13' });
    } finally {
      await sync.end();
    }
  });
});

describe('source-position when legacy cannot be read', () => {
  test('legacy-unreachable-answers-source-unavailable', async () => {
    const pool = new Pool({ connectionString: 'postgres://strangler_sync@127.0.0.1:1/legacy', max: 1 });
    pool.on('error', () => undefined);
    try {
      await expect(new SourcePosition(pool, 2_000).now()).rejects.toBeInstanceOf(SourceUnavailable);
    } finally {
      await pool.end();
    }
  });

  test('legacy-hung-answers-within-the-timeout: a server that accepts and never speaks', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => { sockets.push(socket); });
    silent.listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const pool = new Pool({ connectionString: `postgres://strangler_sync@127.0.0.1:${(silent.address() as AddressInfo).port}/legacy`, max: 1 });
    pool.on('error', () => undefined);
    try {
      const started = Date.now();
      await expect(new SourcePosition(pool, 300).now()).rejects.toThrow(/not read within 300 ms/);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await pool.end();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
