// A PostgreSQL restart under steady legacy writes (issue 11): the real stack's cluster is stopped fast and
// started again while the cdc process (a real child process) is applying changes. The process must not die;
// its /healthz says unhealthy, with the reason, while the databases are gone, and healthy again once they
// are back; and every acknowledged legacy write ends up in the context, once, with nobody's help.
import { Pool } from 'pg';
import pino from 'pino';
import { createStackLogger } from '../../stack/log';
import { stackSettings } from '../../stack/native-stack';
import { ensurePostgres, stopPostgres } from '../../stack/postgres';
import { spawnForwardWorker, type ForwardWorkerChild } from '../test/forward-worker-child';
import { startSyncSandbox, type SyncSandbox } from '../test/sync-sandbox';
import { until } from '../test/until';

const USERS = 20;
const ZONES = Intl.supportedValuesOf('timeZone');
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
const stackLog = createStackLogger(process.env.LOG_LEVEL ?? 'warn');

describe('the forward sync across a PostgreSQL restart', () => {
  let sandbox: SyncSandbox;
  let legacy: Pool;
  let userService: Pool;
  let child: ForwardWorkerChild | undefined;
  const users: number[] = [];

  beforeAll(async () => {
    sandbox = await startSyncSandbox();
    // These pools outlive the restart too: an idle connection that dies must not take the test down.
    legacy = new Pool({ connectionString: sandbox.admin.legacy, max: 2, connectionTimeoutMillis: 1_000 });
    userService = new Pool({ connectionString: sandbox.admin.userService, max: 2, connectionTimeoutMillis: 1_000 });
    for (const pool of [legacy, userService]) pool.on('error', (error) => logger.debug({ err: error }, 'a test connection died with the restart'));
    for (let i = 0; i < USERS; i++) {
      const { rows } = await legacy.query<{ usr_id: string }>("INSERT INTO public.users (email_addr, pwd_hash, acct_stat_cd, pref_tz) VALUES ($1, 'x', 'A', 'UTC') RETURNING usr_id", [`restart.${i}@example.com`]);
      users.push(Number(rows[0]!.usr_id));
    }
  });

  afterAll(async () => {
    await child?.kill();
    await Promise.all([legacy?.end(), userService?.end()]);
    // The cluster must be up for the tests that follow, whatever happened here.
    await ensurePostgres(stackSettings, stackLog);
    await sandbox?.stop();
  });

  test('postgres-restart-never-kills-the-sync: unhealthy while the databases are gone, every acknowledged write applied after', async () => {
    const group = `${sandbox.name}-forward`;
    child = spawnForwardWorker({
      ...Object.fromEntries(Object.entries(sandbox.config).map(([name, value]) => [name, String(value)])),
      TEST_FORWARD_GROUP: group,
      TEST_USERS_TOPIC: sandbox.usersTopic,
      TEST_REVERSE_GROUP: `${group}-reverse`,
      TEST_CONTEXT_EVENT_TOPICS: ['account', 'profile', 'preferences'].map((aggregate) => `${sandbox.name}.${aggregate}.events`).join(','),
    });
    const { port } = (await child.signal('ready')) as { port: number };
    const healthz = async () => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
        return { status: response.status, body: (await response.json()) as { dependencies?: { name: string; reachable: boolean; reason?: string }[] } };
      } catch (error) {
        throw new Error(`the cdc process stopped answering: ${(error as Error).message}\n${child!.stderrTail()}`);
      }
    };

    // Steady writes: each user's zones in turn; only a write legacy committed counts as acknowledged.
    const acknowledged = new Map<number, string>();
    let writing = true;
    let refusedWhileDown = 0;
    const writer = (async () => {
      for (let n = 0; writing; n++) {
        const user = users[n % USERS]!;
        const zone = ZONES[n % ZONES.length]!;
        try {
          await legacy.query('UPDATE public.users SET pref_tz = $2, updated_ts = now() WHERE usr_id = $1', [user, zone]);
          acknowledged.set(user, zone);
        } catch {
          refusedWhileDown += 1;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    })();
    const appliedAll = async () => {
      for (const [user, zone] of acknowledged) {
        const { rows } = await userService.query('SELECT time_zone FROM preferences.preferences WHERE id = $1', [user]);
        if (rows[0]?.time_zone !== zone) return undefined;
      }
      return acknowledged.size === USERS ? true : undefined;
    };
    try {
      // Under way: every user's changes have reached the context at least once.
      await until('the sync applying the steady writes', async () => {
        const { rows } = await userService.query<{ n: number }>('SELECT count(*)::int AS n FROM sync.forward_positions WHERE usr_id = ANY($1) AND lsn > 0', [users]);
        return rows[0]!.n === USERS ? true : undefined;
      }, { timeoutMs: 60_000, everyMs: 200 });

      await stopPostgres(stackSettings, stackLog);
      const down = await until('cdc /healthz to report the lost databases', async () => {
        const { status, body } = await healthz();
        return status === 503 && body.dependencies?.some((d) => !d.reachable) ? body : undefined;
      }, { timeoutMs: 15_000, everyMs: 100 });
      expect(down.dependencies!.filter((d) => !d.reachable).map((d) => d.name).sort()).toEqual(['control', 'legacy', 'user_service']);
      await ensurePostgres(stackSettings, stackLog);
      const restartedAt = Date.now();
      await until('cdc /healthz healthy again', async () => ((await healthz()).status === 200 ? true : undefined), { timeoutMs: 30_000, everyMs: 200 });
      logger.info({ recoveredInMs: Date.now() - restartedAt }, 'cdc healthy again after the restart');

      // More writes after the restart, then every user's last acknowledged write must be in the context.
      const after = refusedWhileDown;
      await until('writes committing again', () => (refusedWhileDown === after ? true : undefined), { timeoutMs: 5_000 });
    } finally {
      writing = false;
      await writer;
    }
    await until('every acknowledged write applied after the restart', async () => ((await appliedAll().catch(() => undefined)) ? true : undefined), {
      timeoutMs: 90_000,
      everyMs: 250,
      diagnostics: () => child!.stderrTail(),
    });
    // The same process all along: nobody restarted it.
    expect((await healthz()).status).toBe(200);
  });
});
