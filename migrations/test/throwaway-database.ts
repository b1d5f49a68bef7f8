import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

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
