import { Failure, isFailure } from '../platform/failure';
import type { Database, UnitOfWork } from '../platform/unit-of-work';
import { preconditionFailure } from '../platform/versioning';
import {
  changePreferences, checkPreferencesChange, createPreferences, erasureOf, type Preferences, type PreferencesRequest,
} from './domain/preferences';
import {
  deletePreferences, findPreferences, insertPreferences, lockPreferences, PREFERENCES_ROLE, recordPreferencesEvent, updatePreferences,
} from './preferences.repository';

export interface PreferencesDependencies {
  db: Database;
  clock: () => Date;
}

const preferencesNotFound = () => new Failure('PREFERENCES.PREFERENCES_NOT_FOUND', 'no preferences for this id');

export function showPreferences(deps: PreferencesDependencies, id: number): Promise<Preferences | Failure> {
  return deps.db.read(PREFERENCES_ROLE, async (sql) => (await findPreferences(sql, id)) ?? preferencesNotFound());
}

/**
 * PATCH semantics: named settings are made, the others stay. `accepted` are the versions If-Match names
 * (undefined: unconditional). Order as in legacy: setting rules, then the preferences; the precondition
 * only once they exist, since legacy knows no If-Match and answers an unknown id with 404.
 */
export async function adjustPreferences(
  deps: PreferencesDependencies,
  id: number,
  request: PreferencesRequest,
  accepted: readonly number[] | undefined,
): Promise<Preferences | Failure> {
  const change = checkPreferencesChange(request);
  if (isFailure(change)) return change;
  return deps.db.transaction(async (uow) => {
    const sql = uow.as(PREFERENCES_ROLE);
    const preferences = await lockPreferences(sql, id);
    if (!preferences) return preferencesNotFound();
    const stale = preconditionFailure(accepted, preferences.version);
    if (stale) return stale;
    const revision = changePreferences(preferences, change, deps.clock());
    if (!revision) return preferences;
    await updatePreferences(sql, revision.preferences, revision.changed);
    await recordPreferencesEvent(sql, revision.event);
    return revision.preferences;
  });
}

/** Sign-up's part in preferences, inside registration's transaction: a subject with no settings made yet. */
export async function startPreferences(uow: UnitOfWork, input: { id: number }, deps: PreferencesDependencies): Promise<void> {
  const { preferences, event } = createPreferences(input.id, deps.clock());
  const sql = uow.as(PREFERENCES_ROLE);
  await insertPreferences(sql, preferences);
  await recordPreferencesEvent(sql, event);
}

/** Erasure's part in preferences: gone with an event when they existed, nothing at all otherwise. */
export async function erasePreferences(uow: UnitOfWork, id: number, deps: PreferencesDependencies): Promise<void> {
  const sql = uow.as(PREFERENCES_ROLE);
  const erased = await deletePreferences(sql, id);
  if (erased) await recordPreferencesEvent(sql, erasureOf(erased, deps.clock()));
}
