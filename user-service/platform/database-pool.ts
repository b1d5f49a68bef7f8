import { Pool, type PoolConfig } from 'pg';
import type { Logger } from 'pino';

/**
 * A pool that lives through its database restarting: node-postgres emits 'error' on the pool for an idle
 * connection that dies, and on the client itself for one that is checked out; without a listener for the
 * latter the process dies of an unhandled 'error' event (brianc/node-postgres#1324, #2112). The query on a
 * dead connection fails on its own, and the pool opens new connections once the database is back.
 */
export function resilientPool(config: PoolConfig, name: string, logger: Logger): Pool {
  const pool = new Pool(config);
  pool.on('error', (error) => logger.warn({ err: error, database: name }, 'an idle database connection was lost'));
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.warn({ err: error, database: name }, 'a database connection in use was lost'));
  });
  return pool;
}
