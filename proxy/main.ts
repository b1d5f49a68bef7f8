// `npm run start:proxy`: the client port (the data plane, proxy-server.ts) and the admin port (admin/).
// Applies the control plane's migrations first, as every component applies its own. With PROXY_WORKERS=1
// (the default) one process serves both, with one metrics registry and one pool on the control plane. With
// PROXY_WORKERS=N this process is the primary: it forks N proxy workers on the shared client port, each one
// instance with its own pool, registry and lease (cluster/), and serves the admin port itself.
import cluster from 'node:cluster';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Pool } from 'pg';
import { resilientPool } from './control-plane-pool';
import { pino, type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { z } from 'zod';
import { migrationSets } from '../migrations/migration-sets';
import { runMigrationSet } from '../migrations/migrate';
import { createAdminApp, type AdminDependencies } from './admin/admin-app';
import { loadAdminSettings } from './admin/admin-settings';
import { sweepInterruptedHolds } from './admin/hold-sweeper';
import { ClusterRegistry } from './cluster/merged-metrics';
import { runProxyWorker } from './cluster/proxy-worker';
import { startProxyWorkers } from './cluster/proxy-workers';
import { WORKER_SLOT_VARIABLE } from './cluster/worker-channel';
import { startProxy } from './proxy-server';
import { loadProxySettings, proxyOptionsFrom, type ProxySettings } from './proxy-settings';

const adminPort = z.object({
  PROXY_ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  PROXY_ADMIN_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const SHUTDOWN_GRACE_MS = 10_000;

/** The client port as the admin port sees it: one instance in this process, or the workers this process supervises. */
interface DataPlane {
  readonly registry: Registry;
  readonly health: AdminDependencies['health'];
  readonly port: number;
  readonly workers: number[] | undefined;
  stop(): Promise<void>;
}

async function inProcess(settings: ProxySettings, control: Pool, logger: Logger): Promise<DataPlane> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const proxy = await startProxy(proxyOptionsFrom(settings, { control, registry, logger }));
  // An instance that lost the stage store still serves (on the stages it knew): healthy, status "degraded".
  return { registry, health: () => ({ healthy: true, ...proxy.health() }), port: proxy.port, workers: undefined, stop: () => proxy.stop() };
}

async function supervised(settings: ProxySettings, logger: Logger): Promise<DataPlane> {
  const workers = await startProxyWorkers({ count: settings.PROXY_WORKERS, logger });
  // The primary's own metrics (the admin's, its process's) with every worker's merged in at each scrape.
  const registry = new ClusterRegistry((own) => workers.mergedMetrics(own));
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    health: () => ({ ...workers.health() }),
    port: workers.port,
    workers: workers.pids,
    async stop() {
      if (!(await workers.stop(SHUTDOWN_GRACE_MS))) throw new Error('some proxy workers did not stop cleanly (see the lines above)');
    },
  };
}

async function main(): Promise<void> {
  const env = adminPort.parse(process.env);
  const settings = loadProxySettings(process.env);
  if (cluster.isWorker) {
    const logger = pino({ name: 'proxy', level: env.LOG_LEVEL }).child({ worker: Number(process.env[WORKER_SLOT_VARIABLE]) });
    return runProxyWorker(settings, logger);
  }
  const adminSettings = loadAdminSettings(process.env);
  const logger = pino({ name: 'proxy', level: env.LOG_LEVEL });

  // Once, here: the workers of a primary neither migrate nor release holds.
  await runMigrationSet(migrationSets.control, settings.STRANGLER_CONTROL_DATABASE_URL, { logger });
  const control = resilientPool({ connectionString: settings.STRANGLER_CONTROL_DATABASE_URL, max: 8, connectionTimeoutMillis: 5_000 }, 'control', logger);
  // A hold left by an admin process that died mid-change (this one before its restart, or another instance)
  // would keep a context's writes held: released at start and by every sweep after it.
  const sweeper = sweepInterruptedHolds(control, logger.child({ component: 'admin' }), adminSettings.holdSweepMs);

  const plane = await (settings.PROXY_WORKERS === 1 ? inProcess(settings, control, logger) : supervised(settings, logger)).catch(async (error: unknown) => {
    await sweeper.stop();
    await control.end();
    throw error;
  });
  const admin: Server = createAdminApp({
    control,
    token: adminSettings.token,
    cdcUrl: adminSettings.cdcUrl,
    logger: logger.child({ component: 'admin' }),
    clock: () => new Date(),
    registry: plane.registry,
    health: plane.health,
    settings: adminSettings,
  }).listen(env.PROXY_ADMIN_PORT, env.PROXY_ADMIN_HOST);
  await once(admin, 'listening');
  if (!adminSettings.token) logger.warn('STRANGLER_ADMIN_TOKEN is not set: the admin API refuses every call');
  logger.info({ host: settings.PROXY_HOST, port: plane.port, adminHost: env.PROXY_ADMIN_HOST, adminPort: env.PROXY_ADMIN_PORT, ...(plane.workers ? { workers: plane.workers } : {}) }, 'proxy listening');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'proxy shutting down');
    const forced = setTimeout(() => admin.closeAllConnections(), SHUTDOWN_GRACE_MS);
    forced.unref();
    Promise.all([plane.stop(), sweeper.stop(), new Promise<void>((resolve) => admin.close(() => resolve()))])
      .then(() => control.end())
      .then(
        () => logger.info('proxy stopped'),
        (error: unknown) => {
          logger.error({ err: error }, 'proxy did not stop cleanly');
          process.exitCode = 1;
        },
      );
    admin.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  pino({ name: 'proxy' }).fatal({ err: error, ...(cluster.isWorker ? { worker: Number(process.env[WORKER_SLOT_VARIABLE]) } : {}) }, 'proxy failed to start');
  process.exitCode = 1;
  // A worker's channel to the primary would keep it alive; the primary replaces it (or gives up at start).
  if (cluster.isWorker) process.exit();
});
