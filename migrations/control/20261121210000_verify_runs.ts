import type { Knex } from 'knex';

// The verifier's results (cdc/verify/): one row per run, one row per context and kind of drift. Only ids
// are kept, never emails, hashes or names: this table feeds dashboards and operators' terminals.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE control.verify_runs (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      contexts text[] NOT NULL,
      chunk_size integer NOT NULL,
      legacy_rows bigint NOT NULL,
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL
    )`);
  // row_count is exact; ids may be cut short (ids_truncated) so one bad run cannot bloat the table.
  await knex.raw(`
    CREATE TABLE control.verify_drift (
      run_id bigint NOT NULL REFERENCES control.verify_runs (id) ON DELETE CASCADE,
      context text NOT NULL CHECK (context IN ('identity', 'profile', 'preferences')),
      kind text NOT NULL CHECK (kind IN ('missing', 'extra', 'different', 'unsyncable')),
      row_count bigint NOT NULL,
      ids bigint[] NOT NULL,
      ids_truncated boolean NOT NULL,
      PRIMARY KEY (run_id, context, kind)
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE control.verify_drift');
  await knex.raw('DROP TABLE control.verify_runs');
}
