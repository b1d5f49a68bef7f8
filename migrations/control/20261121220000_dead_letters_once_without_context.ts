import type { Knex } from 'knex';

// A dead letter that cannot be attributed to a context (an unparseable event, a TRUNCATE) has a null
// context; with NULLs distinct, the unique key let every replay record it again.
export async function up(knex: Knex): Promise<void> {
  // Replays have already recorded some twice: keep the first record of each.
  await knex.raw(`
    DELETE FROM control.dead_letters later USING control.dead_letters earlier
    WHERE later.id > earlier.id
      AND later.direction = earlier.direction AND later.context IS NOT DISTINCT FROM earlier.context
      AND later.topic = earlier.topic AND later.kafka_partition = earlier.kafka_partition
      AND later.kafka_offset = earlier.kafka_offset`);
  await knex.raw('ALTER TABLE control.dead_letters DROP CONSTRAINT dead_letters_direction_context_topic_kafka_partition_kafka__key');
  await knex.raw(`ALTER TABLE control.dead_letters ADD CONSTRAINT dead_letters_once
    UNIQUE NULLS NOT DISTINCT (direction, context, topic, kafka_partition, kafka_offset)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE control.dead_letters DROP CONSTRAINT dead_letters_once');
  await knex.raw('ALTER TABLE control.dead_letters ADD UNIQUE (direction, context, topic, kafka_partition, kafka_offset)');
}
