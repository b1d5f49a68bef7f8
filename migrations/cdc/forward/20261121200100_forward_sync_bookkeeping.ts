import type { Knex } from 'knex';
import { ensureSyncRole, SYNC_ROLE } from '../sync-role';

// In user_service: where the forward sync keeps its place per legacy row, and what it may touch.
export async function up(knex: Knex): Promise<void> {
  await ensureSyncRole(knex);
  // The newest legacy change applied for each row, as Debezium's (commit LSN, LSN) pair. The apply
  // transaction locks and advances it, so an event redelivered after a crash, or re-emitted by a
  // restarted connector, is refused instead of applied twice or over a newer change.
  await knex.raw(`
    CREATE TABLE sync.forward_positions (
      usr_id bigint PRIMARY KEY,
      commit_lsn numeric(20) NOT NULL,
      lsn numeric(20) NOT NULL,
      applied_at timestamptz NOT NULL
    )`);
  await knex.raw(`GRANT USAGE ON SCHEMA sync TO ${SYNC_ROLE}`);
  await knex.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON sync.forward_positions TO ${SYNC_ROLE}`);
  // The contexts' tables and outboxes: the forward sync writes each context's state and its
  // *SyncedFromLegacy event, in one transaction with the position above.
  for (const [schema, table] of [['identity', 'accounts'], ['profile', 'profiles'], ['preferences', 'preferences']] as const) {
    await knex.raw(`GRANT USAGE ON SCHEMA ${schema} TO ${SYNC_ROLE}`);
    await knex.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${schema}.${table} TO ${SYNC_ROLE}`);
    await knex.raw(`GRANT INSERT ON ${schema}.outbox TO ${SYNC_ROLE}`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const schema of ['identity', 'profile', 'preferences']) await knex.raw(`REVOKE ALL ON ALL TABLES IN SCHEMA ${schema} FROM ${SYNC_ROLE}`);
  await knex.raw('DROP TABLE sync.forward_positions');
}
