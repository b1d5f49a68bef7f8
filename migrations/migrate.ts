import knexFactory, { type Knex } from 'knex';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { migrationSets, userServiceSets, type MigrationSet } from './migration-sets';

export interface MigrationOutcome {
  readonly set: string;
  readonly database: string;
  readonly createdDatabase: boolean;
  /** File names of the migrations this run applied, in order; empty when already up to date. */
  readonly applied: readonly string[];
}

export interface MigrateOptions {
  /** Receives knex's own warnings; without it knex writes them to the console. */
  readonly logger?: Logger;
}

const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';

function databaseNameOf(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!name) throw new Error('the database URL names no database');
  return name;
}

/** Creates the URL's database through the server's `postgres` maintenance database when it is missing. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const name = databaseNameOf(databaseUrl);
  const maintenanceUrl = new URL(databaseUrl);
  maintenanceUrl.pathname = '/postgres';
  const client = new Client({ connectionString: maintenanceUrl.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`create database ${client.escapeIdentifier(name)}`);
    return true;
  } catch (error) {
    // Two migrators starting together both see the database missing; the loser's create fails harmlessly.
    const code = (error as { code?: string }).code;
    if (code === DUPLICATE_DATABASE || code === UNIQUE_VIOLATION) return false;
    throw error;
  } finally {
    await client.end();
  }
}

function knexLog(logger: Logger | undefined): Knex.Config['log'] {
  if (!logger) return undefined;
  return {
    warn: (message: string) => logger.warn({ source: 'knex' }, message),
    error: (message: string) => logger.error({ source: 'knex' }, message),
    deprecate: (method: string, alternative: string) =>
      logger.warn({ source: 'knex' }, `${method} is deprecated, use ${alternative}`),
    debug: (message: string) => logger.debug({ source: 'knex' }, message),
  };
}

/**
 * Brings one migration set up to date. Concurrent runs (an app starting while a seed or a test migrates)
 * queue on an advisory lock instead of failing on knex's own lock table, which throws rather than waits.
 */
export async function runMigrationSet(
  set: MigrationSet,
  databaseUrl: string,
  options: MigrateOptions = {},
): Promise<MigrationOutcome> {
  const createdDatabase = await ensureDatabase(databaseUrl);
  const lockHolder = new Client({ connectionString: databaseUrl });
  await lockHolder.connect();
  const knex = knexFactory({
    client: 'pg',
    connection: databaseUrl,
    pool: { min: 0, max: 2 },
    log: knexLog(options.logger),
    migrations: {
      directory: set.directory,
      schemaName: set.schemaName,
      tableName: set.tableName,
      // Only .ts: tsx and ts-jest both hook require(), which is how knex loads a non-ESM migration.
      loadExtensions: ['.ts'],
    },
  });
  try {
    await lockHolder.query('select pg_advisory_lock(hashtext($1))', [`strangler.migrations.${set.name}`]);
    await lockHolder.query(`create schema if not exists ${lockHolder.escapeIdentifier(set.schemaName)}`);
    const [, applied] = (await knex.migrate.latest()) as [number, string[]];
    return { set: set.name, database: databaseNameOf(databaseUrl), createdDatabase, applied };
  } finally {
    await knex.destroy();
    // Ending the session releases the advisory lock too.
    await lockHolder.end();
  }
}

export function migrateLegacy(databaseUrl: string, options: MigrateOptions = {}): Promise<MigrationOutcome> {
  return runMigrationSet(migrationSets.legacy, databaseUrl, options);
}

/** Every user-service context's set, in order, on the `user_service` database (or a throwaway copy). */
export async function migrateUserService(databaseUrl: string, options: MigrateOptions = {}): Promise<MigrationOutcome[]> {
  const outcomes: MigrationOutcome[] = [];
  for (const set of userServiceSets) outcomes.push(await runMigrationSet(set, databaseUrl, options));
  return outcomes;
}

/**
 * Everything the cdc workers need: the control plane, both applications' schemas (the sync writes into
 * them) and the sync's own bookkeeping in each database.
 */
export async function migrateForSync(urls: { control: string; legacy: string; userService: string }, options: MigrateOptions = {}): Promise<void> {
  await runMigrationSet(migrationSets.control, urls.control, options);
  await migrateLegacy(urls.legacy, options);
  await migrateUserService(urls.userService, options);
  await runMigrationSet(migrationSets['forward-sync'], urls.userService, options);
  await runMigrationSet(migrationSets['reverse-sync'], urls.legacy, options);
}
