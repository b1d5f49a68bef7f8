import { randomBytes } from 'node:crypto';
import { Client, type Pool } from 'pg';

/** The PostgreSQL server tests create their databases on; the stack's by default. */
export function testServerUrl(): string {
  return process.env.STRANGLER_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres';
}

/** A URL for a database no one else uses (`<prefix>_<random>`); the migration function creates it. */
export function throwawayDatabaseUrl(prefix: string): string {
  const url = new URL(testServerUrl());
  url.pathname = `/${prefix}_${randomBytes(6).toString('hex')}`;
  return url.toString();
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    // FORCE: a test that failed halfway may still hold connections.
    await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
  } finally {
    await client.end();
  }
}

const ADMIN_SHUTDOWN = '57P01';

/**
 * Ends a pool of a throwaway database. pool.end() resolves before every socket has closed, and the
 * DROP DATABASE ... WITH (FORCE) that follows terminates what is left: the pool then re-emits that
 * termination as an 'error' which, with no listener, would crash the test run.
 */
export async function endPool(pool: Pool): Promise<void> {
  pool.on('error', (error: Error & { code?: string }) => {
    if (error.code !== ADMIN_SHUTDOWN) process.emitWarning(`test pool error: ${error.message}`);
  });
  await pool.end();
}
