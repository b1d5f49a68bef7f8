import type { Knex } from 'knex';

// Change-data capture of `users` by Debezium (cdc/connectors/legacy-users.json).
export async function up(knex: Knex): Promise<void> {
  // Without FULL, updates that leave a TOASTed column (a large bio) untouched carry the placeholder
  // `__debezium_unavailable_value` instead of its value, and `before` holds only the key.
  await knex.raw('ALTER TABLE public.users REPLICA IDENTITY FULL');

  // Debezium's signal table: inserting an `execute-snapshot` row starts an incremental snapshot
  // (how `strangler resync` repairs a context). The column shapes are Debezium's.
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS public.debezium_signal (
      id varchar(42) PRIMARY KEY,
      type varchar(32) NOT NULL,
      data varchar(2048)
    )`);

  // The connector writes here on every heartbeat, so its replication slot keeps advancing even while
  // `users` is idle and the cluster's other database (user_service) keeps producing WAL.
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS public.debezium_heartbeat (
      id smallint PRIMARY KEY,
      beat_ts timestamptz NOT NULL
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS public.debezium_heartbeat');
  await knex.raw('DROP TABLE IF EXISTS public.debezium_signal');
  await knex.raw('ALTER TABLE public.users REPLICA IDENTITY DEFAULT');
}
