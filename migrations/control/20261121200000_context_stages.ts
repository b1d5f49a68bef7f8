import type { Knex } from 'knex';

// The migration's control plane: which stage each context is in. The proxy writes it (promotions and
// rollbacks), the cdc workers read it to know who owns each context's writes. Both read the table, not
// each other's code.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE control.context_stages (
      context text PRIMARY KEY CHECK (context IN ('identity', 'profile', 'preferences')),
      stage text NOT NULL CHECK (stage IN ('legacy', 'shadow', 'canary', 'reads', 'writes', 'retired')),
      canary_percent smallint NOT NULL DEFAULT 0 CHECK (canary_percent BETWEEN 0 AND 100),
      version integer NOT NULL DEFAULT 1,
      changed_at timestamptz NOT NULL DEFAULT now()
    )`);
  await knex.raw(`
    INSERT INTO control.context_stages (context, stage)
    VALUES ('identity', 'legacy'), ('profile', 'legacy'), ('preferences', 'legacy')`);

  // Whatever a sync could not apply, with the reason and the original event, so that nothing is lost
  // silently and an operator can repair and replay it.
  await knex.raw(`
    CREATE TABLE control.dead_letters (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      direction text NOT NULL CHECK (direction IN ('forward', 'reverse')),
      context text,
      reason_code text NOT NULL,
      reason text NOT NULL,
      usr_id bigint,
      topic text NOT NULL,
      kafka_partition integer NOT NULL,
      kafka_offset bigint NOT NULL,
      event jsonb,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (direction, context, topic, kafka_partition, kafka_offset)
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE control.dead_letters');
  await knex.raw('DROP TABLE control.context_stages');
}
