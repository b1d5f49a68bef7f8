import type { Knex } from 'knex';

// What the proxy's instances share through the control plane: a write hold (the drain-before-flip of
// cdc/README.md), the audit log of every operator action, and the shadow comparisons of every instance, so
// that guards and the admin API see the whole fleet rather than the one instance that answers.
export async function up(knex: Knex): Promise<void> {
  // While set, every proxy instance answers the context's writes with a retryable 503 instead of sending
  // them to either side: the moment a promotion or rollback waits for the losing sync direction to drain.
  await knex.raw(`
    ALTER TABLE control.context_stages
      ADD COLUMN writes_held_since timestamptz,
      ADD COLUMN writes_held_reason text`);

  await knex.raw(`
    CREATE TABLE control.audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor text NOT NULL,
      context text NOT NULL CHECK (context IN ('identity', 'profile', 'preferences')),
      action text NOT NULL CHECK (action IN ('promote', 'rollback', 'canary')),
      from_stage text NOT NULL,
      to_stage text NOT NULL,
      from_canary_percent smallint NOT NULL,
      to_canary_percent smallint NOT NULL,
      reason text,
      forced boolean NOT NULL DEFAULT false,
      -- The guards as evaluated at the time: what was checked, what held, what failed and was overridden.
      guards jsonb NOT NULL DEFAULT '[]'::jsonb
    )`);
  await knex.raw('CREATE INDEX audit_log_by_context ON control.audit_log (context, at DESC)');

  // Counts per minute and instance-independent: each instance adds its own counts with an upsert.
  await knex.raw(`
    CREATE TABLE control.shadow_comparisons (
      context text NOT NULL CHECK (context IN ('identity', 'profile', 'preferences')),
      result text NOT NULL CHECK (result IN ('match', 'mismatch', 'lag', 'error')),
      minute timestamptz NOT NULL,
      count bigint NOT NULL,
      PRIMARY KEY (context, result, minute)
    )`);

  // A bounded sample of the differences (the writer trims it), PII redacted before it gets here: field
  // paths and redacted values only, never an email, a hash or a name.
  await knex.raw(`
    CREATE TABLE control.shadow_mismatches (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      observed_at timestamptz NOT NULL DEFAULT now(),
      context text NOT NULL CHECK (context IN ('identity', 'profile', 'preferences')),
      route text NOT NULL,
      result text NOT NULL CHECK (result IN ('mismatch', 'lag')),
      usr_id bigint,
      differences jsonb NOT NULL
    )`);
  await knex.raw('CREATE INDEX shadow_mismatches_by_context ON control.shadow_mismatches (context, id DESC)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE control.shadow_mismatches');
  await knex.raw('DROP TABLE control.shadow_comparisons');
  await knex.raw('DROP TABLE control.audit_log');
  await knex.raw('ALTER TABLE control.context_stages DROP COLUMN writes_held_since, DROP COLUMN writes_held_reason');
}
