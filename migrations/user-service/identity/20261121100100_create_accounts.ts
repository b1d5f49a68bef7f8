import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Ids never collide, whichever side creates the account: accounts registered here draw from 10^12 up,
  // accounts brought over from legacy keep their usr_id, and legacy's bigserial would need a trillion
  // sign-ups to reach this range, so the two stay apart even after a rollback sends sign-ups back to
  // legacy. The maximum is 2^53 - 1 because ids travel as JSON numbers.
  await knex.raw(`CREATE SEQUENCE identity.account_ids AS bigint START WITH 1000000000000 MAXVALUE 9007199254740991`);
  await knex.raw(`
    CREATE TABLE identity.accounts (
      id bigint PRIMARY KEY,
      -- Trimmed and lower-cased by the domain, so uniqueness is a plain constraint. The widths are legacy's
      -- (email_addr, pwd_hash): every legacy row fits here, and every row here fits back into legacy.
      email varchar(320) NOT NULL CONSTRAINT accounts_email_key UNIQUE,
      password_hash varchar(200) NOT NULL,
      status text NOT NULL CONSTRAINT accounts_status_known CHECK (status IN ('active', 'suspended', 'closed')),
      created_at timestamptz NOT NULL,
      last_login_at timestamptz,
      version integer NOT NULL CONSTRAINT accounts_version_positive CHECK (version >= 1),
      updated_at timestamptz NOT NULL
    )`);
  await knex.raw(`ALTER SEQUENCE identity.account_ids OWNED BY identity.accounts.id`);
}

export async function down(knex: Knex): Promise<void> {
  // Drops the sequence too (OWNED BY).
  await knex.raw('DROP TABLE identity.accounts');
}
