// Reading public.users as the forward ACL expects it (LegacyUserRow), for the verifier and resync.
import type { LegacyUserRow } from '../debezium/change-event';

// Timestamps as text in PostgreSQL's own ISO form, whatever the session's DateStyle: node-pg would parse
// `timestamp without time zone` as local time, and legacyTimestamp reads this text exactly.
const timestampText = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ${column}`;

/** `SELECT <every column> FROM public.users`, to be followed by a WHERE clause. */
export const LEGACY_USERS_SELECT = `SELECT usr_id, email_addr, pwd_hash, acct_stat_cd, disp_nm, bio_txt, avatar_url, pref_lang, pref_tz,
  email_optin_flg, theme_cd, ${timestampText('last_login_ts')}, ${timestampText('created_ts')}, ${timestampText('updated_ts')}
  FROM public.users`;

export function legacyRowOf(raw: Record<string, unknown>): LegacyUserRow {
  // bigint arrives as text; ids stay below 2^53 (they travel as JSON numbers everywhere).
  return { ...(raw as unknown as LegacyUserRow), usr_id: Number(raw.usr_id) };
}
