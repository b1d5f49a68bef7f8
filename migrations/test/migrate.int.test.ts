import path from 'node:path';
import { Client } from 'pg';
import { migrateLegacy, runMigrationSet } from '../migrate';
import { migrationSets, type MigrationSet } from '../migration-sets';
import { dropDatabase, throwawayDatabaseUrl } from './throwaway-database';

const databases: string[] = [];
function freshDatabaseUrl(): string {
  const url = throwawayDatabaseUrl('legacy_it');
  databases.push(url);
  return url;
}

afterAll(async () => {
  for (const url of databases) await dropDatabase(url);
});

async function withClient<T>(databaseUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('migrateLegacy', () => {
  const databaseUrl = freshDatabaseUrl();

  test('creates a missing database and applies the legacy set, the users table first', async () => {
    const outcome = await migrateLegacy(databaseUrl);
    expect(outcome.createdDatabase).toBe(true);
    expect(outcome.applied[0]).toBe('20261121000001_create_users.ts');
  });

  test('a second run applies nothing and does not try to recreate the database', async () => {
    expect(await migrateLegacy(databaseUrl)).toMatchObject({ createdDatabase: false, applied: [] });
  });

  test('keeps its history in public.knex_migrations_legacy, apart from other owners', async () => {
    const names = await withClient(databaseUrl, async (client) =>
      (await client.query<{ name: string }>('select name from public.knex_migrations_legacy order by id')).rows.map((row) => row.name),
    );
    expect(names).toContain('20261121000001_create_users.ts');
  });

  test('users has exactly the contract\'s columns, types and nullability', async () => {
    const columns = await withClient(databaseUrl, async (client) =>
      (
        await client.query(
          `select column_name, data_type, character_maximum_length as length, is_nullable
             from information_schema.columns where table_schema = 'public' and table_name = 'users' order by ordinal_position`,
        )
      ).rows,
    );
    const column = (name: string, type: string, length: number | null, nullable: boolean) => ({
      column_name: name, data_type: type, length, is_nullable: nullable ? 'YES' : 'NO',
    });
    expect(columns).toEqual([
      column('usr_id', 'bigint', null, false),
      column('email_addr', 'character varying', 320, false),
      column('pwd_hash', 'character varying', 200, false),
      column('acct_stat_cd', 'character', 1, false),
      column('disp_nm', 'character varying', 100, true),
      column('bio_txt', 'text', null, true),
      column('avatar_url', 'character varying', 500, true),
      column('pref_lang', 'character varying', 10, true),
      column('pref_tz', 'character varying', 64, true),
      column('email_optin_flg', 'character', 1, true),
      column('theme_cd', 'character varying', 10, true),
      column('last_login_ts', 'timestamp without time zone', null, true),
      column('created_ts', 'timestamp without time zone', null, true),
      column('updated_ts', 'timestamp without time zone', null, true),
    ]);
  });

  test('the unique index refuses an email differing only in case and surrounding spaces', async () => {
    await withClient(databaseUrl, async (client) => {
      await client.query(`insert into public.users (email_addr, pwd_hash, acct_stat_cd) values ('ada@example.com', 'h', 'A')`);
      await expect(
        client.query(`insert into public.users (email_addr, pwd_hash, acct_stat_cd) values ('  ADA@Example.com ', 'h', 'A')`),
      ).rejects.toMatchObject({ code: '23505', constraint: 'users_email_addr_norm_key' });
    });
  });

  test('created_ts and updated_ts default to UTC even when the session is in another zone', async () => {
    await withClient(databaseUrl, async (client) => {
      await client.query(`set time zone 'America/New_York'`);
      const { rows } = await client.query<{ drift: number }>(
        `insert into public.users (email_addr, pwd_hash, acct_stat_cd) values ('tz@example.com', 'h', 'A')
         returning abs(extract(epoch from (created_ts - (now() at time zone 'UTC')))) + abs(extract(epoch from (updated_ts - created_ts))) as drift`,
      );
      expect(Number(rows[0]?.drift)).toBeLessThan(1);
    });
  });

  test('login\'s lookup by lower(btrim(email)) is served by the unique index', async () => {
    const plan = await withClient(databaseUrl, async (client) => {
      await client.query('set enable_seqscan = off');
      const { rows } = await client.query(`explain select usr_id from public.users where lower(btrim(email_addr)) = lower(btrim($1))`, ['x@y.z']);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('users_email_addr_norm_key');
  });

  test('migrators starting together on a new database all succeed and apply each migration once', async () => {
    const url = freshDatabaseUrl();
    const outcomes = await Promise.all([migrateLegacy(url), migrateLegacy(url), migrateLegacy(url)]);
    const applied = outcomes.flatMap((outcome) => outcome.applied);
    expect(applied).toHaveLength(new Set(applied).size);
    expect(applied).toContain('20261121000001_create_users.ts');
  });
});

describe('runMigrationSet for another owner', () => {
  const exampleSet: MigrationSet = {
    name: 'example',
    directory: path.join(__dirname, 'fixtures', 'example-context'),
    schemaName: 'example',
    tableName: 'knex_migrations_example',
    database: 'example',
    databaseUrlEnv: 'EXAMPLE_DATABASE_URL',
  };

  test('creates the owner\'s schema (knex#5374) and keeps its history there, beside the legacy set', async () => {
    const url = freshDatabaseUrl();
    await runMigrationSet(migrationSets.legacy, url);
    const outcome = await runMigrationSet(exampleSet, url);
    expect(outcome.applied).toEqual(['20260101000000_create_things.ts']);
    const tables = await withClient(url, async (client) =>
      (
        await client.query<{ table: string }>(
          `select table_schema || '.' || table_name as table from information_schema.tables
            where table_name in ('things', 'knex_migrations_example', 'knex_migrations_legacy') order by 1`,
        )
      ).rows.map((row) => row.table),
    );
    expect(tables).toEqual(['example.knex_migrations_example', 'example.things', 'public.knex_migrations_legacy']);
  });
});
