import type { Knex } from 'knex';

// Read-your-writes across proxy instances (proxy/read-your-writes/): what one instance learns about a user's
// write, every instance must see before the client can read again, whichever instance the read reaches.
export async function up(knex: Knex): Promise<void> {
  // A user who wrote to legacy while the new service serves the context's reads: their reads stay on legacy
  // until the forward sync has applied legacy's WAL up to `legacy_lsn` in their partition (cdc's caught-up
  // answer). NULL: the position could not be taken yet (cdc unreachable); the next release check takes one.
  await knex.raw(`
    CREATE TABLE control.writer_pins (
      usr_id bigint PRIMARY KEY,
      legacy_lsn pg_lsn,
      pinned_at timestamptz NOT NULL DEFAULT now()
    )`);
  await knex.raw('CREATE INDEX writer_pins_by_age ON control.writer_pins (pinned_at)');
  // A user the new service has just signed up (expect_legacy_row) or erased (not): their requests bound for
  // legacy wait until the reverse sync has made legacy agree.
  await knex.raw(`
    CREATE TABLE control.existence_gates (
      usr_id bigint PRIMARY KEY,
      expect_legacy_row boolean NOT NULL,
      gated_at timestamptz NOT NULL DEFAULT now()
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE control.existence_gates');
  await knex.raw('DROP TABLE control.writer_pins');
}
