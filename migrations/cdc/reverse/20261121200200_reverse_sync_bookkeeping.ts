import type { Knex } from 'knex';
import { ensureSyncRole, SYNC_ROLE } from '../sync-role';

// In legacy: where the reverse sync keeps its place per user and context, and what it may touch.
export async function up(knex: Knex): Promise<void> {
  await ensureSyncRole(knex);
  // The newest event version applied per user and context; events arrive per aggregate in version
  // order, and anything at or below this is a redelivery.
  await knex.raw(`
    CREATE TABLE strangler_sync.reverse_positions (
      usr_id bigint NOT NULL,
      context text NOT NULL,
      version integer NOT NULL,
      applied_at timestamptz NOT NULL,
      PRIMARY KEY (usr_id, context)
    )`);
  // The three contexts publish on three topics, so a profile's first event can arrive before the
  // account that creates the legacy row; it waits here and is applied with the row's insert.
  await knex.raw(`
    CREATE TABLE strangler_sync.pending_events (
      usr_id bigint NOT NULL,
      context text NOT NULL,
      version integer NOT NULL,
      event jsonb NOT NULL,
      parked_at timestamptz NOT NULL,
      PRIMARY KEY (usr_id, context, version)
    )`);
  await knex.raw(`GRANT USAGE ON SCHEMA strangler_sync TO ${SYNC_ROLE}`);
  await knex.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA strangler_sync TO ${SYNC_ROLE}`);
  await knex.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON public.users TO ${SYNC_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`REVOKE ALL ON public.users FROM ${SYNC_ROLE}`);
  await knex.raw('DROP TABLE strangler_sync.pending_events');
  await knex.raw('DROP TABLE strangler_sync.reverse_positions');
}
