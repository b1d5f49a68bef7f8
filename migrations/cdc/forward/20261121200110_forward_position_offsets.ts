import type { Knex } from 'knex';

// Snapshot rows carry no LSN, so the LSN alone cannot tell a redelivered snapshot row from a new one:
// the Kafka offset of the last applied event per row can (the capture topic has one partition).
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE sync.forward_positions ADD COLUMN kafka_offset numeric(20)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE sync.forward_positions DROP COLUMN kafka_offset');
}
