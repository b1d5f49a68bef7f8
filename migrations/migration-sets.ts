import path from 'node:path';

/**
 * One set of knex migrations per owner of a schema. Each set keeps its own migrations table, so owners
 * sharing a database (the user-service's contexts in `user_service`) never see each other's history.
 */
export interface MigrationSet {
  readonly name: string;
  /** Holds nothing but migration files: knex runs every `.ts` file directly inside it. */
  readonly directory: string;
  /** Where the owner's tables and its migrations table live; created when missing (knex#5374). */
  readonly schemaName: string;
  readonly tableName: string;
  /** Name of the database the set belongs to, used when no URL is given. */
  readonly database: string;
  readonly databaseUrlEnv: string;
}

function userServiceContext(context: 'identity' | 'profile' | 'preferences'): MigrationSet {
  return {
    name: context,
    directory: path.join(__dirname, 'user-service', context),
    schemaName: context,
    tableName: 'knex_migrations',
    database: 'user_service',
    // Migrations run as the schemas' owner; the service itself logs in with far fewer rights.
    databaseUrlEnv: 'USER_SERVICE_ADMIN_DATABASE_URL',
  };
}

export const migrationSets = {
  legacy: {
    name: 'legacy',
    directory: path.join(__dirname, 'legacy'),
    schemaName: 'public',
    tableName: 'knex_migrations_legacy',
    database: 'legacy',
    databaseUrlEnv: 'LEGACY_DATABASE_URL',
  },
  // The user-service's contexts: one database, one schema and one history table each.
  identity: userServiceContext('identity'),
  profile: userServiceContext('profile'),
  preferences: userServiceContext('preferences'),
  // The migration's control plane (stages, dead letters), shared by the proxy and the cdc workers.
  control: {
    name: 'control',
    directory: path.join(__dirname, 'control'),
    schemaName: 'control',
    tableName: 'knex_migrations',
    database: 'strangler',
    databaseUrlEnv: 'STRANGLER_CONTROL_DATABASE_URL',
  },
  // The sync workers' own bookkeeping, one schema in each database they write to.
  'forward-sync': {
    name: 'forward-sync',
    directory: path.join(__dirname, 'cdc', 'forward'),
    schemaName: 'sync',
    tableName: 'knex_migrations',
    database: 'user_service',
    databaseUrlEnv: 'USER_SERVICE_ADMIN_DATABASE_URL',
  },
  'reverse-sync': {
    name: 'reverse-sync',
    directory: path.join(__dirname, 'cdc', 'reverse'),
    schemaName: 'strangler_sync',
    tableName: 'knex_migrations',
    database: 'legacy',
    databaseUrlEnv: 'LEGACY_DATABASE_URL',
  },
} as const satisfies Record<string, MigrationSet>;

/** The contexts' sets in the order a fresh database takes them. */
export const userServiceSets = [migrationSets.identity, migrationSets.profile, migrationSets.preferences] as const;

export type MigrationSetName = keyof typeof migrationSets;

export function findMigrationSet(name: string): MigrationSet | undefined {
  return Object.hasOwn(migrationSets, name) ? migrationSets[name as MigrationSetName] : undefined;
}

const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:55432/';

export function defaultDatabaseUrl(set: MigrationSet, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[set.databaseUrlEnv];
  if (configured) return configured;
  const url = new URL(DEFAULT_SERVER_URL);
  url.pathname = `/${set.database}`;
  return url.toString();
}
