import { Failure, isFailure } from '../platform/failure';
import type { Database, UnitOfWork } from '../platform/unit-of-work';
import { preconditionFailure } from '../platform/versioning';
import { checkDisplayName } from './domain/persona-rules';
import { checkProfileChange, createProfile, erasureOf, reviseProfile, type PersonaField, type Profile } from './domain/profile';
import { deleteProfile, findProfile, insertProfile, lockProfile, PROFILE_ROLE, recordProfileEvent, updateProfile } from './profiles.repository';

export interface ProfileDependencies {
  db: Database;
  clock: () => Date;
}

const profileNotFound = () => new Failure('PROFILE.PROFILE_NOT_FOUND', 'no profile with this id');

export function showProfile(deps: ProfileDependencies, id: number): Promise<Profile | Failure> {
  return deps.db.read(PROFILE_ROLE, async (sql) => (await findProfile(sql, id)) ?? profileNotFound());
}

/**
 * PATCH semantics: named fields are set (null clears), the others stay. `accepted` are the versions If-Match
 * names (undefined: unconditional). Order as in legacy: field rules, then the profile; the precondition
 * only once the profile exists, since legacy knows no If-Match and answers an unknown id with 404.
 */
export async function changeProfile(
  deps: ProfileDependencies,
  id: number,
  request: { readonly [field in PersonaField]?: string | null },
  accepted: readonly number[] | undefined,
): Promise<Profile | Failure> {
  const change = checkProfileChange(request);
  if (isFailure(change)) return change;
  return deps.db.transaction(async (uow) => {
    const sql = uow.as(PROFILE_ROLE);
    const profile = await lockProfile(sql, id);
    if (!profile) return profileNotFound();
    const stale = preconditionFailure(accepted, profile.version);
    if (stale) return stale;
    const revision = reviseProfile(profile, change, deps.clock());
    if (!revision) return profile;
    await updateProfile(sql, revision.profile, revision.changed);
    await recordProfileEvent(sql, revision.event);
    return revision.profile;
  });
}

/**
 * Profile's rule for a sign-up, without writing anything: the registration process checks every context's
 * rules before its first write, in legacy's order (email, password, then the display name), so a request
 * breaking several rules, or one with a taken email, gets the same first failure from both backends.
 */
export function checkProfileStart(input: { displayName: string | null | undefined }): Failure | undefined {
  return checkDisplayName(input.displayName ?? null);
}

/** Sign-up's part in profile, inside registration's transaction: the persona starts with its display name. */
export async function startProfile(
  uow: UnitOfWork,
  input: { id: number; displayName: string | null | undefined },
  deps: ProfileDependencies,
): Promise<void | Failure> {
  const created = createProfile(input.id, input.displayName ?? null, deps.clock());
  if (isFailure(created)) return created;
  const sql = uow.as(PROFILE_ROLE);
  await insertProfile(sql, created.profile);
  await recordProfileEvent(sql, created.event);
}

/** Erasure's part in profile: gone with an event when it existed, nothing at all otherwise. */
export async function eraseProfile(uow: UnitOfWork, id: number, deps: ProfileDependencies): Promise<void> {
  const sql = uow.as(PROFILE_ROLE);
  const erased = await deleteProfile(sql, id);
  if (erased) await recordProfileEvent(sql, erasureOf(erased, deps.clock()));
}
