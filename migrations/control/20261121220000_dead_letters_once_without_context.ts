import type { Knex } from 'knex';

// A dead letter that cannot be attributed to a context (an unparseable event, a TRUNCATE) has a null
// context; with NULLs distinct, the unique key let every replay record it again.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE control.dead_letters DROP CONSTRAINT dead_letters_direction_context_topic_kafka_partition_kafka__key');
  await knex.raw(`ALTER TABLE control.dead_letters ADD CONSTRAINT dead_letters_once
    UNIQUE NULLS NOT DISTINCT (direction, context, topic, kafka_partition, kafka_offset)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE control.dead_letters DROP CONSTRAINT dead_letters_once');
  await knex.raw('ALTER TABLE control.dead_letters ADD UNIQUE (direction, context, topic, kafka_partition, kafka_offset)');
}
