import type { Knex } from 'knex';

// A parked event is applied later, possibly rejected then: its dead letter must point at the Kafka
// message it came from (the sink keys dead letters by those coordinates, so a replay records it once).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE strangler_sync.pending_events
      ADD COLUMN topic text NOT NULL DEFAULT '',
      ADD COLUMN kafka_partition integer NOT NULL DEFAULT 0,
      ADD COLUMN kafka_offset bigint NOT NULL DEFAULT -1`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE strangler_sync.pending_events DROP COLUMN topic, DROP COLUMN kafka_partition, DROP COLUMN kafka_offset');
}
