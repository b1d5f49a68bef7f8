// Promotions and rollbacks against the real cdc workers (both directions, their /healthz and drain
// endpoints) on a sync sandbox: the guards pass only on a measured, healthy sync, and each hand-over of
// writes holds them, drains the losing direction, then flips (cdc/README.md, drain-before-flip).
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startCdcWorkers, type CdcWorkers } from '../../cdc/cdc-workers';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../../cdc/kafka/kafkajs-event-log';
import { bothDirectionsOn, startSyncSandbox, type SyncSandbox } from '../../cdc/test/sync-sandbox';
import { until } from '../../cdc/test/until';
import { endPool } from '../../migrations/test/throwaway-database';
import { createUserServiceApp } from '../../user-service/app';
import { startAdminHarness, TEST_TOKEN, type AdminHarness } from './test/admin-harness';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

describe('writes change hands only after the losing direction has drained', () => {
  let sandbox: SyncSandbox;
  let workers: CdcWorkers;
  let admin: AdminHarness;
  let legacy: Pool;
  let userService: Pool;
  let servicePool: Pool;
  let server: Server;
  let serviceUrl: string;
  const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv('admin-write-flip-test'), logger);

  beforeAll(async () => {
    sandbox = await startSyncSandbox({ STRANGLER_ADMIN_TOKEN: TEST_TOKEN }, { captureOutboxes: true });
    workers = await startCdcWorkers({ config: sandbox.config, eventLog, logger, registry: new Registry(), ...bothDirectionsOn(sandbox) });
    admin = await startAdminHarness({ controlUrl: sandbox.admin.control, cdcUrl: `http://127.0.0.1:${workers.port}`, settings: { drainTimeoutMs: 60_000 } });
    legacy = new Pool({ connectionString: sandbox.admin.legacy, max: 2 });
    userService = new Pool({ connectionString: sandbox.admin.userService, max: 2 });
    servicePool = new Pool({ connectionString: sandbox.userServiceLogin, max: 4 });
    server = createUserServiceApp({ pool: servicePool, logger, registry: new Registry(), bcryptCost: 4 }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    serviceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await admin?.stop();
    await workers?.stop();
    await eventLog.close();
    await Promise.all([legacy, userService, servicePool].filter(Boolean).map((pool) => endPool(pool)));
    await sandbox?.stop();
  });

  const stateOf = async (context: string) =>
    (await admin.control.query('SELECT stage, version, writes_held_since, writes_held_reason FROM control.context_stages WHERE context = $1', [context])).rows[0];
  const place = (context: string, stage: string) =>
    admin.control.query('UPDATE control.context_stages SET stage = $2, version = version + 1, changed_at = now() WHERE context = $1', [context, stage]);
  const recordVerify = async (context: string, drift: Record<string, number> = {}) => {
    const { rows } = await admin.control.query<{ id: string }>(
      "INSERT INTO control.verify_runs (contexts, chunk_size, legacy_rows, started_at, finished_at) VALUES (ARRAY[$1], 1000, 1, now(), now()) RETURNING id",
      [context],
    );
    for (const kind of ['missing', 'extra', 'different', 'unsyncable']) {
      await admin.control.query('INSERT INTO control.verify_drift (run_id, context, kind, row_count, ids, ids_truncated) VALUES ($1, $2, $3, $4, $5, false)', [rows[0]!.id, context, kind, drift[kind] ?? 0, []]);
    }
  };
  /** The hold as the proxy instances see it, observed while the change is still running. */
  const holdDuring = async (context: string) =>
    until(`the write hold on ${context}`, async () => {
      const state = await stateOf(context);
      return state.writes_held_since ? state : undefined;
    }, { timeoutMs: 10_000, everyMs: 20 });
  const displayName = async (id: number) => ({
    legacy: (await legacy.query('SELECT disp_nm FROM public.users WHERE usr_id = $1', [id])).rows[0]?.disp_nm,
    context: (await userService.query('SELECT display_name FROM profile.profiles WHERE id = $1', [id])).rows[0]?.display_name,
  });

  let userId: number;

  test('serving reads from the new service waits for a running forward sync with a measured backlog', async () => {
    const { rows } = await legacy.query<{ usr_id: string }>(
      "INSERT INTO public.users (email_addr, pwd_hash, acct_stat_cd, disp_nm) VALUES ($1, 'x', 'A', 'Before') RETURNING usr_id",
      [`flip.${randomUUID()}@example.com`],
    );
    userId = Number(rows[0]!.usr_id);
    await until('the user in the profile context', async () => ((await displayName(userId)).context === 'Before' ? true : undefined));

    await place('profile', 'canary');
    const dry = await until('the forward sync guards to hold', async () => {
      const response = await admin.request('POST', '/admin/contexts/profile/promote', { json: { dryRun: true } });
      return response.body.allowed ? response : undefined;
    }, { timeoutMs: 60_000, everyMs: 250 });
    expect(dry.body.guards.map((g: any) => [g.guard, g.passed])).toEqual([['forward-sync-healthy', true], ['forward-sync-lag', true], ['forward-sync-backlog', true]]);
    expect(dry.body.guards.find((g: any) => g.guard === 'forward-sync-backlog').measured.backlog).toEqual(expect.any(Number));

    const promoted = await admin.request('POST', '/admin/contexts/profile/promote', { json: { to: 'reads' } });
    expect(promoted).toMatchObject({ status: 200, body: { to: { stage: 'reads' }, forced: false, drained: null } });
    const status = await admin.request('GET', '/admin/contexts');
    expect(status.body.contexts.find((c: any) => c.context === 'profile')).toMatchObject({ stage: 'reads', sync: { direction: 'forward', reachable: true, state: 'running', healthy: true } });
  });

  test('reads → writes: refused on a drifting verify; after a clean one, writes are held, the forward sync drained, then handed over', async () => {
    await recordVerify('profile', { different: 3, unsyncable: 1 });
    const refused = await until('the reverse worker to run, leaving only the drift', async () => {
      const response = await admin.request('POST', '/admin/contexts/profile/promote', { json: {} });
      return response.body.error?.guards?.filter((g: any) => !g.passed).length === 1 ? response : undefined;
    }, { timeoutMs: 60_000, everyMs: 250 });
    expect(refused.body.error).toMatchObject({ code: 'ADMIN.GUARDS_FAILED', guards: [{ guard: 'reverse-sync-running', passed: true }, { guard: 'verify-clean', passed: false, measured: { different: 3 } }] });
    expect((await stateOf('profile')).stage).toBe('reads');

    await recordVerify('profile', { unsyncable: 1 });
    // Written on legacy just before the flip: the drain is what guarantees it reached the context first.
    await legacy.query("UPDATE public.users SET disp_nm = 'Written before the flip', updated_ts = now() WHERE usr_id = $1", [userId]);
    const flip = admin.request('POST', '/admin/contexts/profile/promote', { json: { to: 'writes', reason: 'verified clean' }, headers: { 'x-strangler-actor': 'flip-test' } });
    const held = await holdDuring('profile');
    expect(held).toMatchObject({ stage: 'reads', writes_held_reason: expect.stringMatching(/promote reads → writes: draining the forward sync/) });
    const response = await flip;
    expect(response).toMatchObject({ status: 200, body: { from: { stage: 'reads' }, to: { stage: 'writes' }, drained: { drained: true, direction: 'forward' }, audit: { actor: 'flip-test', reason: 'verified clean', forced: false } } });
    expect(await stateOf('profile')).toMatchObject({ stage: 'writes', writes_held_since: null, writes_held_reason: null });
    expect((await displayName(userId)).context).toBe('Written before the flip');
  });

  test('writes → reads (rollback): writes are held while the reverse sync drains, then legacy owns them again', async () => {
    expect((await stateOf('profile')).stage).toBe('writes');
    const patched = await fetch(`${serviceUrl}/api/users/${userId}/profile`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ displayName: 'Written on the new service' }) });
    expect(patched.status).toBe(200);

    const rollback = admin.request('POST', '/admin/contexts/profile/rollback', { json: { to: 'reads', reason: 'error rate up' } });
    const held = await holdDuring('profile');
    expect(held).toMatchObject({ stage: 'writes', writes_held_reason: expect.stringMatching(/rollback writes → reads: draining the reverse sync/) });
    const response = await rollback;
    expect(response).toMatchObject({ status: 200, body: { action: 'rollback', to: { stage: 'reads' }, drained: { drained: true, direction: 'reverse' } } });
    expect(await stateOf('profile')).toMatchObject({ stage: 'reads', writes_held_since: null });
    // The write the new service accepted before the flip is in legacy once the rollback answers.
    expect((await displayName(userId)).legacy).toBe('Written on the new service');

    const audit = await admin.request('GET', '/admin/audit?context=profile&limit=2');
    expect(audit.body.entries.map((e: any) => [e.action, e.fromStage, e.toStage])).toEqual([['rollback', 'writes', 'reads'], ['promote', 'reads', 'writes']]);
  });

  test('a drain that times out on the cdc side releases the writes, keeps the stage and audits nothing', async () => {
    const impatient = await startAdminHarness({ controlUrl: sandbox.admin.control, cdcUrl: `http://127.0.0.1:${workers.port}`, settings: { drainTimeoutMs: 1 } });
    try {
      await place('preferences', 'reads');
      const before = await stateOf('preferences');
      const audited = (await admin.control.query('SELECT count(*)::int AS n FROM control.audit_log')).rows[0].n;
      // A change the slot has not confirmed yet, so a 1 ms drain cannot have caught up.
      await legacy.query("UPDATE public.users SET pref_tz = 'Europe/Paris', updated_ts = now() WHERE usr_id = $1", [userId]);
      const response = await impatient.request('POST', '/admin/contexts/preferences/promote', { json: { force: true, reason: 'drill: impatient drain' } });
      expect({ status: response.status, code: response.body.error?.code }).toEqual({ status: 504, code: 'ADMIN.DRAIN_TIMEOUT' });
      expect(response.body.error.message).toMatch(/CDC.DRAIN_TIMEOUT.*writes are released and preferences stays reads/);
      // The hold gave the row a version of its own; nothing else of it changed.
      expect(await stateOf('preferences')).toEqual({ ...before, version: before.version + 1 });
      expect((await admin.control.query('SELECT count(*)::int AS n FROM control.audit_log')).rows[0].n).toBe(audited);
    } finally {
      await impatient.stop();
    }
  });
});
