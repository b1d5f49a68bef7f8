import type { Knex } from 'knex';

// The monolith's shared table, column for column as CONTRACT.md fixes it. No check constraints: old rows
// carry codes and emails that today's rules reject, and the table has to keep accepting them.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table public.users (
      usr_id          bigserial primary key,
      email_addr      varchar(320) not null,
      pwd_hash        varchar(200) not null,
      acct_stat_cd    char(1)      not null,
      disp_nm         varchar(100),
      bio_txt         text,
      avatar_url      varchar(500),
      pref_lang       varchar(10),
      pref_tz         varchar(64),
      email_optin_flg char(1),
      theme_cd        varchar(10),
      last_login_ts   timestamp,
      created_ts      timestamp default timezone('utc', now()),
      updated_ts      timestamp default timezone('utc', now())
    )
  `);
  // One rule serves both uniqueness and login: logins look users up by this same expression.
  await knex.raw(`create unique index users_email_addr_norm_key on public.users (lower(btrim(email_addr)))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table public.users');
}
