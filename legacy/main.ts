import { createServer } from 'node:http';
import { once } from 'node:events';
import { resilientPool } from './database-pool';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { migrateLegacy } from '../migrations/migrate';
import { createLegacyApp } from './app';
import { loadLegacyConfig } from './config';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadLegacyConfig(process.env);
  const logger = pino({ name: 'legacy', level: config.logLevel });

  const migration = await migrateLegacy(config.databaseUrl, { logger });
  logger.info({ database: migration.database, applied: migration.applied }, 'legacy schema up to date');

  const pool = resilientPool({ connectionString: config.databaseUrl, max: 20, connectionTimeoutMillis: 5_000 }, 'legacy', logger);

  const app = createLegacyApp({ pool, logger, registry: new Registry(), bcryptCost: config.bcryptCost });
  const server = createServer(app);
  // Longer than the proxy's idle keep-alive, so the proxy never reuses a socket this side just closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.listen(config.port, config.host);
  await once(server, 'listening');
  logger.info({ host: config.host, port: config.port }, 'legacy listening');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'legacy shutting down');
    const forced = setTimeout(() => {
      logger.warn('requests still open after the grace period; closing them');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    forced.unref();
    server.close((error) => {
      clearTimeout(forced);
      if (error) logger.error({ err: error }, 'closing the HTTP server failed');
      pool.end().then(
        () => logger.info('legacy stopped'),
        (poolError: unknown) => {
          logger.error({ err: poolError }, 'closing the database pool failed');
          process.exitCode = 1;
        },
      );
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  pino({ name: 'legacy' }).fatal({ err: error }, 'legacy failed to start');
  process.exit(1);
});
