import type { Knex } from 'knex';

/** The role the sync workers log in as, in both databases, so that their writes are recognisable. */
export const SYNC_ROLE = 'strangler_sync';

// Roles are cluster-wide: whichever database migrates first creates it; racing test databases both see
// "it exists now".
export async function ensureSyncRole(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$ BEGIN
      CREATE ROLE ${SYNC_ROLE} LOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`);
}
