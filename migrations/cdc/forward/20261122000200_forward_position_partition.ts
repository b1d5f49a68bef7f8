import type { Knex } from 'knex';

// The capture topic now has several partitions (a user's changes always land in the same one, keyed by
// usr_id). Offsets only compare within a partition: should the partition count ever change, a row's next
// change may come from another partition, whose offsets say nothing about this one's. Rows recorded
// before this column existed came from the single partition 0.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE sync.forward_positions ADD COLUMN kafka_partition integer NOT NULL DEFAULT 0');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE sync.forward_positions DROP COLUMN kafka_partition');
}
