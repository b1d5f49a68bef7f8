import type { Knex } from 'knex';

// All four settings are nullable: new preferences start empty, exactly like a new legacy row.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE preferences.preferences (
      -- The account's id, assigned by identity.
      id bigint PRIMARY KEY,
      -- Canonical BCP 47 (en-US). At most 10 characters: legacy's POSIX column must hold it while the
      -- reverse sync runs.
      locale varchar(10),
      -- An IANA name, stored as sent (links such as US/Eastern included).
      time_zone varchar(64),
      marketing_emails boolean,
      theme text CONSTRAINT preferences_theme_known CHECK (theme IN ('light', 'dark', 'system')),
      version integer NOT NULL CONSTRAINT preferences_version_positive CHECK (version >= 1),
      updated_at timestamptz NOT NULL
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE preferences.preferences');
}
