import { appendToOutbox } from '../platform/outbox';
import type { ContextSql } from '../platform/unit-of-work';
import type { PersonaField, Profile } from './domain/profile';
import type { ProfileEvent } from './domain/profile-events';

/** The database role profile's SQL runs as: it reaches the profile schema and nothing else. */
export const PROFILE_ROLE = 'strangler_profile';

interface ProfileRow {
  readonly id: string;
  readonly display_name: string | null;
  readonly bio: string | null;
  readonly avatar_url: string | null;
  readonly version: number;
  readonly updated_at: Date;
}

const COLUMNS = 'id, display_name, bio, avatar_url, version, updated_at';
const COLUMN_OF: Readonly<Record<PersonaField, string>> = { displayName: 'display_name', bio: 'bio', avatarUrl: 'avatar_url' };

function profileFromRow(row: ProfileRow): Profile {
  return {
    // bigint arrives as a string; ids are JSON numbers below 2^53 (parseId refuses the rest).
    id: Number(row.id),
    displayName: row.display_name,
    bio: row.bio,
    avatarUrl: row.avatar_url,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export async function findProfile(sql: ContextSql, id: number): Promise<Profile | undefined> {
  const [row] = await sql.query<ProfileRow>(`SELECT ${COLUMNS} FROM profile.profiles WHERE id = $1`, [id]);
  return row && profileFromRow(row);
}

/** Locks the row until the transaction ends, so the If-Match check and the write see the same version. */
export async function lockProfile(sql: ContextSql, id: number): Promise<Profile | undefined> {
  const [row] = await sql.query<ProfileRow>(`SELECT ${COLUMNS} FROM profile.profiles WHERE id = $1 FOR UPDATE`, [id]);
  return row && profileFromRow(row);
}

export async function insertProfile(sql: ContextSql, profile: Profile): Promise<void> {
  await sql.query(
    `INSERT INTO profile.profiles (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`,
    [profile.id, profile.displayName, profile.bio, profile.avatarUrl, profile.version, profile.updatedAt],
  );
}

/** Writes only the changed fields: rewriting an untouched 20,000-character bio would re-TOAST it for nothing. */
export async function updateProfile(sql: ContextSql, profile: Profile, changed: readonly PersonaField[]): Promise<void> {
  const assignments = changed.map((field, position) => `${COLUMN_OF[field]} = $${position + 4}`);
  const updated = await sql.query(
    `UPDATE profile.profiles SET ${[...assignments, 'version = $2', 'updated_at = $3'].join(', ')}
      WHERE id = $1 AND version = $2 - 1 RETURNING id`,
    [profile.id, profile.version, profile.updatedAt, ...changed.map((field) => profile[field])],
  );
  // The row is locked; a miss here means a caller skipped lockProfile, which is a bug, not a conflict.
  if (updated.length !== 1) throw new Error(`profile ${profile.id} was not at version ${profile.version - 1}`);
}

/** Deletes the row and returns what it held, so erasure can be recorded at the next version. */
export async function deleteProfile(sql: ContextSql, id: number): Promise<Profile | undefined> {
  const [row] = await sql.query<ProfileRow>(`DELETE FROM profile.profiles WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
  return row && profileFromRow(row);
}

/** In the caller's transaction: the change and its event commit together or not at all. */
export async function recordProfileEvent(sql: ContextSql, event: ProfileEvent): Promise<void> {
  // schemaVersion 1: schemas/events/profile/*.v1.schema.json describe these envelopes.
  await appendToOutbox(sql, 'profile', { aggregateType: 'profile', schemaVersion: 1, ...event });
}
