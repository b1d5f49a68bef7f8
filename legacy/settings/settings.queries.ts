import type { Pool } from 'pg';
import type { PreferencesRow } from './preferences';

export type PreferencesColumns = Partial<Pick<PreferencesRow, 'pref_lang' | 'pref_tz' | 'email_optin_flg' | 'theme_cd'>>;

const WRITABLE_COLUMNS = ['pref_lang', 'pref_tz', 'email_optin_flg', 'theme_cd'] as const;

const PREFERENCES_COLUMNS = 'usr_id, pref_lang, pref_tz, email_optin_flg, theme_cd';

export async function findPreferences(pool: Pool, id: number): Promise<PreferencesRow | undefined> {
  const { rows } = await pool.query<PreferencesRow>(`select ${PREFERENCES_COLUMNS} from public.users where usr_id = $1`, [id]);
  return rows[0];
}

export async function updatePreferences(pool: Pool, id: number, change: PreferencesColumns): Promise<PreferencesRow | undefined> {
  const columns = WRITABLE_COLUMNS.filter((column) => change[column] !== undefined);
  const assignments = columns.map((column, position) => `${column} = $${position + 2}`);
  const { rows } = await pool.query<PreferencesRow>(
    `update public.users set ${[...assignments, `updated_ts = timezone('utc', now())`].join(', ')}
      where usr_id = $1 returning ${PREFERENCES_COLUMNS}`,
    [id, ...columns.map((column) => change[column])],
  );
  return rows[0];
}
