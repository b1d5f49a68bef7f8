import type { Pool } from 'pg';
import type { ProfileRow } from './profile';

export interface ProfileChange {
  readonly displayName?: string | null;
  readonly bio?: string | null;
  readonly avatarUrl?: string | null;
}

const COLUMN_BY_FIELD = { displayName: 'disp_nm', bio: 'bio_txt', avatarUrl: 'avatar_url' } as const;

const PROFILE_COLUMNS = `usr_id, disp_nm, bio_txt, avatar_url, updated_ts at time zone 'UTC' as updated_ts`;

export async function findProfile(pool: Pool, id: number): Promise<ProfileRow | undefined> {
  const { rows } = await pool.query<ProfileRow>(`select ${PROFILE_COLUMNS} from public.users where usr_id = $1`, [id]);
  return rows[0];
}

/** Writes only the fields the change names, so an untouched large bio is not rewritten. */
export async function updateProfile(pool: Pool, id: number, change: ProfileChange): Promise<ProfileRow | undefined> {
  const fields = (Object.keys(COLUMN_BY_FIELD) as (keyof ProfileChange)[]).filter((field) => change[field] !== undefined);
  const assignments = fields.map((field, position) => `${COLUMN_BY_FIELD[field]} = $${position + 2}`);
  const { rows } = await pool.query<ProfileRow>(
    `update public.users set ${[...assignments, `updated_ts = timezone('utc', now())`].join(', ')}
      where usr_id = $1 returning ${PROFILE_COLUMNS}`,
    [id, ...fields.map((field) => change[field])],
  );
  return rows[0];
}
