import type { Knex } from 'knex';

// The table's checks repeat the domain's invariants so that no writer (a sync worker, a hand-run fix)
// can store a persona the API would refuse; the domain's failures stay the ones clients see.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE profile.profiles (
      -- The account's id, assigned by identity: a profile never has an id of its own.
      id bigint PRIMARY KEY,
      -- varchar(n) counts characters (code points), as the domain and legacy do.
      display_name varchar(100),
      bio text CONSTRAINT profiles_bio_length CHECK (char_length(bio) <= 20000),
      -- No "?" in the pattern: knex.raw would take it for a binding and send "$1".
      avatar_url varchar(500) CONSTRAINT profiles_avatar_url_http CHECK (avatar_url ~* '^(http|https)://'),
      version integer NOT NULL CONSTRAINT profiles_version_positive CHECK (version >= 1),
      updated_at timestamptz NOT NULL
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE profile.profiles');
}
