import type { Knex } from 'knex';

/** The role every user-service connection logs in as: no privileges of its own, only memberships. */
export const USER_SERVICE_LOGIN_ROLE = 'strangler_user_service';

// Roles are cluster-wide while schemas are per database, so throwaway test databases migrating at the
// same time race on CREATE ROLE; both race outcomes mean "it exists now".
const createRoleOnce = (role: string, options: string) => `
  DO $$ BEGIN
    CREATE ROLE ${role} ${options};
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END $$`;

/**
 * Makes a context's database boundary real: a role that can use only the context's schema, granted to
 * the user-service's login role, which must SET ROLE to it (NOINHERIT) before touching anything.
 * Tables the migrations create later get their grants through default privileges.
 */
export async function createContextSchema(knex: Knex, schema: string, role: string): Promise<void> {
  await knex.raw(createRoleOnce(role, 'NOLOGIN'));
  await knex.raw(createRoleOnce(USER_SERVICE_LOGIN_ROLE, 'LOGIN NOINHERIT'));
  await knex.raw(`GRANT ${role} TO ${USER_SERVICE_LOGIN_ROLE}`);
  await knex.raw(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await knex.raw(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
  await knex.raw(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`);
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT USAGE, SELECT ON SEQUENCES TO ${role}`);
}

/**
 * The context's transactional outbox, in the columns Debezium's outbox event router expects
 * (id, aggregatetype, aggregateid, type, payload). Rows stay after capture, for audit and replays;
 * `occurred_at` lets a retention job prune them.
 */
export async function createOutboxTable(knex: Knex, schema: string): Promise<void> {
  await knex.raw(`
    CREATE TABLE ${schema}.outbox (
      id uuid PRIMARY KEY,
      -- Commit order within the context, for readers of the table itself (audits, tests, replays).
      seq bigint GENERATED ALWAYS AS IDENTITY,
      aggregatetype varchar(64) NOT NULL,
      aggregateid varchar(64) NOT NULL,
      type varchar(128) NOT NULL,
      payload jsonb NOT NULL,
      occurred_at timestamptz NOT NULL
    )`);
  await knex.raw(`CREATE INDEX outbox_occurred_at_idx ON ${schema}.outbox (occurred_at)`);
}

export async function dropContextSchema(knex: Knex, schema: string, role: string): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS ${schema}.outbox`);
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} REVOKE ALL ON TABLES FROM ${role}`);
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} REVOKE ALL ON SEQUENCES FROM ${role}`);
  await knex.raw(`REVOKE USAGE ON SCHEMA ${schema} FROM ${role}`);
}
