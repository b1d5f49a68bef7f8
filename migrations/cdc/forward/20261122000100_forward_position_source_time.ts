import type { Knex } from 'knex';

// Legacy's commit time of the newest change processed per row: the proxy's read-your-writes pin asks for
// it (a user's reads stay on legacy until the change they wrote has reached the contexts).
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE sync.forward_positions ADD COLUMN source_committed_at timestamptz');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE sync.forward_positions DROP COLUMN source_committed_at');
}
