// `npm run start:proxy`: the client port (the data plane, proxy-server.ts) and the admin port (admin/),
// one process, one metrics registry, one pool on the control plane. Applies the control plane's migrations
// first, as every component applies its own.
import { once } from 'node:events';
import type { Server } from 'node:http';
import { Pool } from 'pg';
import { pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { z } from 'zod';
import { migrationSets } from '../migrations/migration-sets';
import { runMigrationSet } from '../migrations/migrate';
import { createAdminApp } from './admin/admin-app';
import { loadAdminSettings } from './admin/admin-settings';
import { releaseInterruptedHolds } from './admin/context-changes';
import { startProxy } from './proxy-server';
import { loadProxySettings, proxyOptionsFrom } from './proxy-settings';

const adminPort = z.object({
  PROXY_ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  PROXY_ADMIN_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const env = adminPort.parse(process.env);
  const settings = loadProxySettings(process.env);
  const adminSettings = loadAdminSettings(process.env);
  const logger = pino({ name: 'proxy', level: env.LOG_LEVEL });

  await runMigrationSet(migrationSets.control, settings.STRANGLER_CONTROL_DATABASE_URL, { logger });
  const control = new Pool({ connectionString: settings.STRANGLER_CONTROL_DATABASE_URL, max: 8, connectionTimeoutMillis: 5_000 });
  control.on('error', (error) => logger.error({ err: error }, 'idle control-plane connection failed'));
  // A hold left by an admin process that died mid-change would keep a context's writes refused for good.
  const released = await releaseInterruptedHolds(control, logger);
  if (released.length > 0) logger.warn({ contexts: released }, 'released write holds left by an interrupted change');

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const proxy = await startProxy(proxyOptionsFrom(settings, { control, registry, logger }));
  // An instance that lost the stage store still serves (on the stages it knew): healthy, status "degraded".
  const admin: Server = createAdminApp({
    control,
    token: adminSettings.token,
    cdcUrl: adminSettings.cdcUrl,
    logger: logger.child({ component: 'admin' }),
    clock: () => new Date(),
    registry,
    health: () => ({ healthy: true, ...proxy.health() }),
    settings: adminSettings,
  }).listen(env.PROXY_ADMIN_PORT, env.PROXY_ADMIN_HOST);
  await once(admin, 'listening');
  if (!adminSettings.token) logger.warn('STRANGLER_ADMIN_TOKEN is not set: the admin API refuses every call');
  logger.info({ host: settings.PROXY_HOST, port: proxy.port, adminHost: env.PROXY_ADMIN_HOST, adminPort: env.PROXY_ADMIN_PORT }, 'proxy listening');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'proxy shutting down');
    const forced = setTimeout(() => admin.closeAllConnections(), SHUTDOWN_GRACE_MS);
    forced.unref();
    Promise.all([proxy.stop(), new Promise<void>((resolve) => admin.close(() => resolve()))])
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
  pino({ name: 'proxy' }).fatal({ err: error }, 'proxy failed to start');
  process.exitCode = 1;
});
