// The fault matrix (issue 11): every process of ours as a real child process (legacy, user-service, two cdc
// processes sharing the sync's consumer groups, two proxy instances sharing the control plane, each through
// its own entry point) on a sync sandbox, steady client writes through both proxies with a ledger of what
// was acknowledged, and one real thing hit per case:
// - PostgreSQL stopped fast and started again;
// - Kafka Connect SIGKILLed and restarted;
// (The Kafka broker SIGKILLed and restarted is not here yet: in one of five runs the reverse worker made no
// progress for more than 166 s after the restart, with or without cdc/kafka/kafkajs-event-log.ts's rejoin;
// see issue 11's notes.)
// - one cdc process SIGKILLed mid-stream and started again, as a supervisor would (the other one takes its
//   partitions once the dead member's session has timed out, the new one takes some back: two rebalances
//   under load);
// - one proxy instance SIGKILLed and started again (clients retry on the other);
// - mid write hand-over, the proxy instance whose admin runs the change SIGKILLed (the surviving instance
//   releases the hold it left: hold-sweeper.ts);
// - mid write hand-over, the cdc process the drain was asked of SIGKILLed (the admin asks the other one:
//   cdc-addresses.ts, and the drain waits for the group to hand the dead member's partitions over).
// Each once while legacy owns preferences' writes (`reads`: the forward sync carries them, a hand-over
// promotes to `writes`) and once while the new service does (`writes`: the reverse sync, a hand-over rolls
// back to `reads`). No process may die, each /healthz must be healthy again within a bound, every
// acknowledged write must end up on both sides, and verify must be clean, with nobody's help.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import pino from 'pino';
import { until } from '../cdc/test/until';
import { startSyncSandbox, type SyncSandbox } from '../cdc/test/sync-sandbox';
import { isDrifting } from '../cdc/verify/drift';
import { verifyContexts } from '../cdc/verify/verify-contexts';
import { untilHoldConfirmed, untilHoldLifted, untilWritesHeld } from '../demo/chaos';
import { sigkillAndStart } from '../demo/chaos-faults';
import { DemoServices, type ServiceName, type ServiceSpec } from '../demo/services';
import { createStackLogger } from '../stack/log';
import { stackSettings } from '../stack/native-stack';
import { connectPid, ensureConnect } from '../stack/connect';
import { ensureBroker } from '../stack/kafka';
import { ensurePostgres, stopPostgres } from '../stack/postgres';
import { freePort } from '../stack/proc';

const USERS = 10;
const ZONES = Intl.supportedValuesOf('timeZone');
const TOKEN = 'fault-token';
/** How long after the fault is over (the dependency back, the process restarted) every /healthz must be 200 again. */
const RECOVERY_BOUND_MS = 30_000;
/**
 * How long a write hold left by a SIGKILLed admin may keep writes held: one sweep of the survivors
 * (STRANGLER_ADMIN_HOLD_SWEEP_MS, 5 s by default) after the dead process's connection has closed, with room.
 */
const HOLD_RELEASE_BOUND_MS = 10_000;
/**
 * The drain after a cdc process died under it: the group hands the dead member's partitions over once its
 * session (30 s, kafkajs' default: cdc/kafka) has timed out, then they are consumed to the end.
 */
const DRAIN_TIMEOUT_MS = 90_000;
/** How long a client retries one write (on either proxy) before the test calls it lost. */
const CLIENT_PATIENCE_MS = 120_000;
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
const stackLog = createStackLogger(process.env.LOG_LEVEL ?? 'warn');
const root = join(__dirname, '..');
type Stage = 'reads' | 'writes';


const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('every process of ours across the faults of real infrastructure, under client traffic', () => {
  let sandbox: SyncSandbox;
  let services: DemoServices;
  let legacyDb: Pool;
  let userServiceDb: Pool;
  let control: Pool;
  let proxyUrls: string[];
  let adminUrls: string[];
  let specs: ServiceSpec[];
  const users: number[] = [];

  beforeAll(async () => {
    sandbox = await startSyncSandbox({ STRANGLER_ADMIN_TOKEN: TOKEN }, { captureOutboxes: true });
    const port = { legacy: await freePort(), userService: await freePort(), cdc: [await freePort(), await freePort()], proxy: [await freePort(), await freePort()], admin: [await freePort(), await freePort()] };
    const group = `${sandbox.name}-forward`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...Object.fromEntries(Object.entries(sandbox.config).map(([name, value]) => [name, String(value)])),
      LOG_LEVEL: 'warn',
      LEGACY_DATABASE_URL: sandbox.admin.legacy,
      LEGACY_PORT: String(port.legacy),
      LEGACY_BCRYPT_COST: '4',
      USER_SERVICE_ADMIN_DATABASE_URL: sandbox.admin.userService,
      USER_SERVICE_DATABASE_URL: sandbox.userServiceLogin,
      USER_SERVICE_PORT: String(port.userService),
      USER_SERVICE_BCRYPT_COST: '4',
      STRANGLER_CONTROL_DATABASE_URL: sandbox.admin.control,
      // The cdc processes on the sandbox's own topics and groups (cdc/test/forward-worker-process.ts).
      TEST_FORWARD_GROUP: group,
      TEST_USERS_TOPIC: sandbox.usersTopic,
      TEST_REVERSE_GROUP: `${sandbox.name}-reverse`,
      TEST_CONTEXT_EVENT_TOPICS: sandbox.contextEventTopics.join(','),
      TEST_FORWARD_SLOT: sandbox.slots.forward,
      TEST_REVERSE_SLOT: sandbox.slots.reverse,
      LEGACY_URL: `http://127.0.0.1:${port.legacy}`,
      USER_SERVICE_URL: `http://127.0.0.1:${port.userService}`,
      // Both cdc processes, in the order the proxies ask them (cdc-addresses.ts).
      STRANGLER_CDC_URL: port.cdc.map((p) => `http://127.0.0.1:${p}`).join(','),
      STRANGLER_ADMIN_DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
    };
    const cdc = (name: ServiceName, p: number): ServiceSpec => ({ name, main: 'cdc/test/forward-worker-process.ts', healthUrl: `http://127.0.0.1:${p}/healthz`, env: { CDC_PORT: String(p) } });
    const proxy = (name: ServiceName, i: number): ServiceSpec => ({ name, main: 'proxy/main.ts', healthUrl: `http://127.0.0.1:${port.admin[i]}/healthz`, env: { PROXY_PORT: String(port.proxy[i]), PROXY_ADMIN_PORT: String(port.admin[i]) } });
    specs = [
      { name: 'legacy', main: 'legacy/main.ts', healthUrl: `http://127.0.0.1:${port.legacy}/healthz` },
      { name: 'user-service', main: 'user-service/main.ts', healthUrl: `http://127.0.0.1:${port.userService}/healthz` },
      cdc('cdc', port.cdc[0]!),
      cdc('cdc-2', port.cdc[1]!),
      proxy('proxy', 0),
      proxy('proxy-2', 1),
    ];
    proxyUrls = port.proxy.map((p) => `http://127.0.0.1:${p}`);
    adminUrls = port.admin.map((p) => `http://127.0.0.1:${p}`);
    // The services' logs go to a folder of the test's own (the demo's names would overwrite the demo's).
    services = new DemoServices(root, mkdtempSync(join(tmpdir(), 'strangler-faults-')), env);
    await services.start(specs, 120_000);

    legacyDb = new Pool({ connectionString: sandbox.admin.legacy, max: 2, connectionTimeoutMillis: 1_000 });
    userServiceDb = new Pool({ connectionString: sandbox.admin.userService, max: 2, connectionTimeoutMillis: 1_000 });
    control = new Pool({ connectionString: sandbox.admin.control, max: 2, connectionTimeoutMillis: 1_000 });
    for (const pool of [legacyDb, userServiceDb, control]) pool.on('error', (error) => logger.debug({ err: error }, 'a test connection died with the restart'));
    for (let i = 0; i < USERS; i++) {
      const { rows } = await legacyDb.query<{ usr_id: string }>("INSERT INTO public.users (email_addr, pwd_hash, acct_stat_cd, pref_tz) VALUES ($1, 'x', 'A', 'UTC') RETURNING usr_id", [`fault.${i}@example.com`]);
      users.push(Number(rows[0]!.usr_id));
    }
    await until('the users in the preferences context', async () => {
      const { rows } = await userServiceDb.query<{ n: number }>('SELECT count(*)::int AS n FROM preferences.preferences WHERE id = ANY($1)', [users]);
      return rows[0]!.n === USERS ? true : undefined;
    }, { timeoutMs: 60_000, everyMs: 200 });
  });

  afterAll(async () => {
    await services?.stop();
    await Promise.all([legacyDb?.end(), userServiceDb?.end(), control?.end()]);
    // The stack must be whole for the tests that follow, whatever happened here.
    await ensurePostgres(stackSettings, stackLog);
    await ensureBroker(stackSettings, stackLog);
    await ensureConnect(stackSettings, stackLog);
    await sandbox?.stop();
  });

  const healthy = async (spec: ServiceSpec) => (await fetch(spec.healthUrl, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status, () => 0)) === 200;
  const specOf = (name: ServiceName) => specs.find((spec) => spec.name === name)!;
  const preferences = async () => (await control.query<{ stage: string; held: Date | null }>("SELECT stage, writes_held_since AS held FROM control.context_stages WHERE context = 'preferences'")).rows[0]!;

  /**
   * The hand-over a stage is left by: promotion to `writes` (the forward sync drains) or rollback to `reads`
   * (the reverse sync drains), through the first proxy instance's admin API. Forced: the guards want shadow
   * samples and a verify run this test has no use for. Resolves with the answer, or status 0 when the
   * connection died with the admin.
   */
  const startHandOver = (stage: Stage) => {
    const [action, body] = stage === 'reads' ? ['promote', { to: 'writes', force: true, reason: 'fault matrix' }] : ['rollback', { to: 'reads', reason: 'fault matrix' }];
    return fetch(`${adminUrls[0]}/admin/contexts/preferences/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(DRAIN_TIMEOUT_MS + 30_000),
    }).then(async (r) => ({ status: r.status, body: (await r.json().catch(() => undefined)) as unknown }), (error: unknown) => ({ status: 0, body: String(error) }));
  };
  const handedTo = (stage: Stage) => (stage === 'reads' ? 'writes' : 'reads');

  /** Each fault: inject it and bring the stack back as a supervisor would; `restarts`: the process of ours it replaced. */
  const FAULTS: Record<string, { run(stage: Stage): Promise<void>; restarts?: ServiceName; recoveryBoundMs?: number }> = {
    'postgres-fast-restart': {
      async run() {
        await stopPostgres(stackSettings, stackLog);
        await until('the restart to be seen', async () => (!(await healthy(specOf('legacy'))) && !(await healthy(specOf('cdc'))) ? true : undefined), { timeoutMs: 15_000, everyMs: 100 });
        await ensurePostgres(stackSettings, stackLog);
      },
    },
    // One cdc process dies mid-stream and a supervisor starts a new one; the other one ran all along. The
    // group hands the dead member's partitions over once its session has timed out; batches in flight were
    // never committed, positions refuse what was applied but not acknowledged to Kafka.
    'cdc-sigkill': {
      run: () => services.crashAndRestart('cdc'),
      restarts: 'cdc',
    },
    // Nothing of ours depends on Connect's REST API; changes just stop flowing until it is back.
    'kafka-connect-sigkill': {
      run: () => sigkillAndStart('Kafka Connect', connectPid(stackSettings), stackSettings.connectPort, () => ensureConnect(stackSettings, stackLog)),
    },
    // Clients retry on the other instance; a supervisor starts the dead one again.
    'proxy-sigkill': {
      run: () => services.crashAndRestart('proxy'),
      restarts: 'proxy',
    },
    // The admin process dies holding the context's writes. Its change lock goes with its connection; the
    // surviving instance releases the hold within a sweep, before the supervisor has started the dead one
    // again (which would release it at start, and prove nothing).
    'hand-over-admin-sigkill': {
      async run(stage) {
        const before = await preferences();
        const change = startHandOver(stage);
        await untilWritesHeld(control, 'preferences', 15_000);
        const killed = await services.sigkill('proxy');
        const killedAt = Date.now();
        expect((await change).status).toBe(0);
        // Released by the surviving instance: the dead one is not started again until it has been.
        await untilHoldLifted(control, 'preferences', HOLD_RELEASE_BOUND_MS);
        logger.info({ stage, releasedInMs: Date.now() - killedAt }, 'hold released by the surviving instance');
        // Released, not flipped: the change died before its commit, and the stage it was leaving stays.
        expect((await preferences()).stage).toBe(before.stage);
        await services.restart(killed);
      },
      restarts: 'proxy',
    },
    // The cdc process the drain is asked of dies once every proxy instance has confirmed the hold: as the
    // drain request reaches it or just before. The admin asks the other cdc process, whose drain waits for
    // the group to hand the dead member's partitions over (the drain covers every process: it reads the
    // group's committed offsets, cdc/drain/drain.ts), and the hand-over finishes.
    'hand-over-cdc-sigkill': {
      async run(stage) {
        const change = startHandOver(stage);
        const version = await untilWritesHeld(control, 'preferences', 15_000);
        await untilHoldConfirmed(control, 'preferences', version, 20_000);
        await services.crashAndRestart('cdc');
        const answer = await change;
        expect(answer).toMatchObject({ status: 200, body: { to: { stage: handedTo(stage) } } });
        expect(await preferences()).toMatchObject({ stage: handedTo(stage), held: null });
      },
      restarts: 'cdc',
    },
  };

  const place = async (stage: Stage) => {
    await control.query("UPDATE control.context_stages SET stage = $1, version = version + 1, changed_at = now(), writes_held_since = NULL, writes_held_reason = NULL WHERE context = 'preferences'", [stage]);
    // Each instance acts on it within a poll.
    for (const spec of specs.filter((s) => s.name.startsWith('proxy'))) {
      await until(`${spec.name} in ${stage}`, async () => {
        const health = await fetch(spec.healthUrl).then((r) => r.json() as Promise<{ contexts?: { context: string; stage: string }[] }>, () => undefined);
        return health?.contexts?.find((c) => c.context === 'preferences')?.stage === stage ? true : undefined;
      }, { timeoutMs: 10_000, everyMs: 50 });
    }
  };

  const CASES = Object.keys(FAULTS).flatMap((fault) => (['reads', 'writes'] as const).map((stage) => [fault, stage] as const));
  test.each(CASES)('%s in %s: no process dies, all healthy again, every acknowledged write on both sides, verify clean', async (fault, stage) => {
    await place(stage);
    const pids = services.pids;
    const acknowledged = new Map<number, string>();
    let writing = true;
    let retriedOnOther = 0;
    // A client that retries each write until it is acknowledged, on the other proxy when one cannot be
    // reached, backing off when one refuses (a 503 while a dependency is down): so the ledger holds every
    // user's last write exactly, with no unacknowledged write left to land after it.
    const writer = (async () => {
      for (let n = 0; writing; n++) {
        const user = users[n % USERS]!;
        const zone = ZONES[(n * 11 + CASES.findIndex(([f, s]) => f === fault && s === stage) * 7) % ZONES.length]!;
        const patience = Date.now() + CLIENT_PATIENCE_MS;
        for (let attempt = 0; ; attempt++) {
          if (Date.now() > patience) throw new Error(`a write to user ${user} was not acknowledged by either proxy within ${CLIENT_PATIENCE_MS} ms`);
          const status = await fetch(`${proxyUrls[(n + attempt) % proxyUrls.length]}/api/users/${user}/preferences`, {
            method: 'PATCH',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ timeZone: zone }),
            signal: AbortSignal.timeout(10_000),
          }).then((r) => r.status, () => 0);
          if (status === 200) {
            acknowledged.set(user, zone);
            break;
          }
          if (status === 0) retriedOnOther++;
          else await delay(50);
        }
      }
    })();
    try {
      await until('writes acknowledged for every user', () => (acknowledged.size === USERS ? true : undefined), { timeoutMs: 30_000, everyMs: 50 });
      await FAULTS[fault]!.run(stage);
      const back = Date.now();
      const bound = FAULTS[fault]!.recoveryBoundMs ?? RECOVERY_BOUND_MS;
      let said = '';
      for (const spec of specs) {
        await until(`${spec.name} healthy again`, async () => {
          const answer = await fetch(spec.healthUrl, { signal: AbortSignal.timeout(2_000) }).then(async (r) => ({ status: r.status, body: await r.text() }), (error: unknown) => ({ status: 0, body: String(error) }));
          said = answer.body;
          return answer.status === 200 ? true : undefined;
        }, { timeoutMs: Math.max(1, bound - (Date.now() - back)), everyMs: 200, diagnostics: () => `its /healthz said: ${said.slice(0, 2_000)}` });
      }
      logger.info({ fault, stage, recoveredInMs: Date.now() - back, retriedOnOther }, 'every process healthy again');
      // Writes are acknowledged again after the fault.
      const acknowledgedBefore = new Map(acknowledged);
      await until('writes acknowledged again', () => ([...acknowledged].some(([user, zone]) => acknowledgedBefore.get(user) !== zone) ? true : undefined), { timeoutMs: 60_000, everyMs: 50 });
    } finally {
      writing = false;
      await writer;
    }

    // Nobody restarted anything but what the fault killed: the same processes, none crashed.
    expect(services.crashed).toBeUndefined();
    const restarted = FAULTS[fault]!.restarts;
    const unchanged = (all: Record<string, number | undefined>) => Object.fromEntries(Object.entries(all).filter(([name]) => name !== restarted));
    expect(unchanged(services.pids)).toEqual(unchanged(pids));
    if (restarted) expect(services.pids[restarted]).not.toBe(pids[restarted]);
    if (fault === 'proxy-sigkill') expect(retriedOnOther).toBeGreaterThan(0);
    // Every user's last acknowledged write is on its owner and, through the sync, on the other side.
    const writersStopped = Date.now();
    await until('every acknowledged write on both sides', async () => {
      for (const [user, zone] of acknowledged) {
        const legacy = (await legacyDb.query('SELECT pref_tz FROM public.users WHERE usr_id = $1', [user])).rows[0]?.pref_tz;
        const fresh = (await userServiceDb.query('SELECT time_zone FROM preferences.preferences WHERE id = $1', [user])).rows[0]?.time_zone;
        if (legacy !== zone || fresh !== zone) return undefined;
      }
      return true;
    }, { timeoutMs: 120_000, everyMs: 250 });
    logger.info({ fault, stage, onBothSidesInMs: Date.now() - writersStopped }, 'every acknowledged write on both sides');
    // And nothing else drifted: every row of every context, as `strangler verify` reads them.
    const report = await verifyContexts({ legacy: legacyDb, userService: userServiceDb, contexts: ['identity', 'profile', 'preferences'], chunkSize: 500, recheckDelayMs: 1_000 });
    expect(report.contexts.filter(isDrifting)).toEqual([]);
    // A case's own waits are bounded above; this is the sum of them (a dead cdc member's session is 30 s).
  }, 400_000);
});
