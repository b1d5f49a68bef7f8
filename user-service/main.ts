import { createServer } from 'node:http';
import { once } from 'node:events';
import { Client } from 'pg';
import { resilientPool } from './platform/database-pool';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { migrateUserService } from '../migrations/migrate';
import { USER_SERVICE_LOGIN_ROLE } from '../migrations/user-service/context-schema';
import { createUserServiceApp } from './app';
import { loadUserServiceConfig } from './config';
import { WriteOwnership } from './platform/write-ownership';

const SHUTDOWN_GRACE_MS = 10_000;

/** Passwords belong to the environment, not to a migration that would write them into the repository. */
async function setLoginPassword(adminUrl: string, password: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`ALTER ROLE ${USER_SERVICE_LOGIN_ROLE} PASSWORD ${admin.escapeLiteral(password)}`);
  } finally {
    await admin.end();
  }
}

async function main(): Promise<void> {
  const config = loadUserServiceConfig(process.env);
  const logger = pino({ name: 'user-service', level: config.LOG_LEVEL });

  for (const outcome of await migrateUserService(config.USER_SERVICE_ADMIN_DATABASE_URL, { logger })) {
    logger.info({ context: outcome.set, applied: outcome.applied }, 'context schema up to date');
  }

  if (config.USER_SERVICE_DB_PASSWORD) await setLoginPassword(config.USER_SERVICE_ADMIN_DATABASE_URL, config.USER_SERVICE_DB_PASSWORD);

  const pool = resilientPool({ connectionString: config.USER_SERVICE_DATABASE_URL, max: 20, connectionTimeoutMillis: 5_000 }, 'user_service', logger);
  const control = resilientPool({ connectionString: config.STRANGLER_CONTROL_DATABASE_URL, max: 4, connectionTimeoutMillis: 2_000 }, 'control', logger);
  const registry = new Registry();
  const writeOwnership = new WriteOwnership({ control, logger: logger.child({ component: 'write-ownership' }), registry });
  const server = createServer(createUserServiceApp({ pool, logger, registry, bcryptCost: config.USER_SERVICE_BCRYPT_COST, writeOwnership }));
  // Longer than the proxy's idle keep-alive, so the proxy never reuses a socket this side just closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.listen(config.USER_SERVICE_PORT, config.USER_SERVICE_HOST);
  await once(server, 'listening');
  logger.info({ host: config.USER_SERVICE_HOST, port: config.USER_SERVICE_PORT }, 'user-service listening');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'user-service shutting down');
    const forced = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    forced.unref();
    server.close(() => {
      clearTimeout(forced);
      Promise.all([pool.end(), control.end()]).then(() => logger.info('user-service stopped'), (error: unknown) => {
        logger.error({ err: error }, 'closing the database pool failed');
        process.exitCode = 1;
      });
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  pino({ name: 'user-service' }).fatal({ err: error }, 'user-service failed to start');
  process.exitCode = 1;
});
