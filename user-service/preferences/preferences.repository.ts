import { appendToOutbox } from '../platform/outbox';
import type { ContextSql } from '../platform/unit-of-work';
import type { Preferences, Setting } from './domain/preferences';
import type { PreferencesEvent } from './domain/preferences-events';
import type { Theme } from './domain/settings-rules';

/** The database role preferences' SQL runs as: it reaches the preferences schema and nothing else. */
export const PREFERENCES_ROLE = 'strangler_preferences';

interface PreferencesRow {
  readonly id: string;
  readonly locale: string | null;
  readonly time_zone: string | null;
  readonly marketing_emails: boolean | null;
  // The table's check constraint admits only the three themes.
  readonly theme: Theme | null;
  readonly version: number;
  readonly updated_at: Date;
}

const COLUMNS = 'id, locale, time_zone, marketing_emails, theme, version, updated_at';
const COLUMN_OF: Readonly<Record<Setting, string>> = {
  locale: 'locale',
  timeZone: 'time_zone',
  marketingEmails: 'marketing_emails',
  theme: 'theme',
};

function preferencesFromRow(row: PreferencesRow): Preferences {
  return {
    // bigint arrives as a string; ids are JSON numbers below 2^53 (parseId refuses the rest).
    id: Number(row.id),
    locale: row.locale,
    timeZone: row.time_zone,
    marketingEmails: row.marketing_emails,
    theme: row.theme,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export async function findPreferences(sql: ContextSql, id: number): Promise<Preferences | undefined> {
  const [row] = await sql.query<PreferencesRow>(`SELECT ${COLUMNS} FROM preferences.preferences WHERE id = $1`, [id]);
  return row && preferencesFromRow(row);
}

/** Locks the row until the transaction ends, so the If-Match check and the write see the same version. */
export async function lockPreferences(sql: ContextSql, id: number): Promise<Preferences | undefined> {
  const [row] = await sql.query<PreferencesRow>(`SELECT ${COLUMNS} FROM preferences.preferences WHERE id = $1 FOR UPDATE`, [id]);
  return row && preferencesFromRow(row);
}

export async function insertPreferences(sql: ContextSql, preferences: Preferences): Promise<void> {
  await sql.query(`INSERT INTO preferences.preferences (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
    preferences.id,
    preferences.locale,
    preferences.timeZone,
    preferences.marketingEmails,
    preferences.theme,
    preferences.version,
    preferences.updatedAt,
  ]);
}

export async function updatePreferences(sql: ContextSql, preferences: Preferences, changed: readonly Setting[]): Promise<void> {
  const assignments = changed.map((setting, position) => `${COLUMN_OF[setting]} = $${position + 4}`);
  const updated = await sql.query(
    `UPDATE preferences.preferences SET ${[...assignments, 'version = $2', 'updated_at = $3'].join(', ')}
      WHERE id = $1 AND version = $2 - 1 RETURNING id`,
    [preferences.id, preferences.version, preferences.updatedAt, ...changed.map((setting) => preferences[setting])],
  );
  // The row is locked; a miss here means a caller skipped lockPreferences, which is a bug, not a conflict.
  if (updated.length !== 1) throw new Error(`preferences ${preferences.id} were not at version ${preferences.version - 1}`);
}

/** Deletes the row and returns what it held, so erasure can be recorded at the next version. */
export async function deletePreferences(sql: ContextSql, id: number): Promise<Preferences | undefined> {
  const [row] = await sql.query<PreferencesRow>(`DELETE FROM preferences.preferences WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
  return row && preferencesFromRow(row);
}

/** In the caller's transaction: the change and its event commit together or not at all. */
export async function recordPreferencesEvent(sql: ContextSql, event: PreferencesEvent): Promise<void> {
  // schemaVersion 1: schemas/events/preferences/*.v1.schema.json describe these envelopes.
  await appendToOutbox(sql, 'preferences', { aggregateType: 'preferences', schemaVersion: 1, ...event });
}
