import { Failure } from '../../platform/failure';
import { checkAvatarUrl, checkBio, checkDisplayName } from './persona-rules';
import type { ProfileCreated, ProfileErased, ProfileUpdated, PublicPersona } from './profile-events';

/** A user's public persona: what others see of them. Its id is the account's, assigned by identity. */
export interface Profile {
  readonly id: number;
  readonly displayName: string | null;
  readonly bio: string | null;
  readonly avatarUrl: string | null;
  readonly updatedAt: Date;
  /** Starts at 1 and grows by one with every change; the resource's ETag. */
  readonly version: number;
}

export type PersonaField = 'displayName' | 'bio' | 'avatarUrl';

declare const checked: unique symbol;

/** Fields to set, null clearing one; only `checkProfileChange` makes one, so no unchecked value reaches a profile. */
export type ProfileChange = { readonly [field in PersonaField]?: string | null } & { readonly [checked]: true };

const PERSONA_FIELDS: readonly PersonaField[] = ['displayName', 'bio', 'avatarUrl'];

const RULE_OF: Readonly<Record<PersonaField, (value: string | null) => Failure | undefined>> = {
  displayName: checkDisplayName,
  bio: checkBio,
  avatarUrl: checkAvatarUrl,
};

/**
 * Checks the named fields in legacy's order (displayName, bio, avatarUrl), so the first broken rule is the
 * failure either backend reports. Checked before the profile is looked up: legacy answers a broken rule
 * with 400 even for an unknown id.
 */
export function checkProfileChange(request: { readonly [field in PersonaField]?: string | null }): ProfileChange | Failure {
  const named = PERSONA_FIELDS.filter((field) => request[field] !== undefined);
  for (const field of named) {
    const broken = RULE_OF[field](request[field] as string | null);
    if (broken) return broken;
  }
  return Object.fromEntries(named.map((field) => [field, request[field]])) as ProfileChange;
}

export function publicPersona(profile: Profile): PublicPersona {
  return {
    id: profile.id,
    displayName: profile.displayName,
    bio: profile.bio,
    avatarUrl: profile.avatarUrl,
    updatedAt: profile.updatedAt.toISOString(),
  };
}

/** The persona a sign-up starts: a display name if one was given, nothing else yet. */
export function createProfile(id: number, displayName: string | null, at: Date): { profile: Profile; event: ProfileCreated } | Failure {
  const broken = checkDisplayName(displayName);
  if (broken) return broken;
  const profile: Profile = { id, displayName, bio: null, avatarUrl: null, updatedAt: at, version: 1 };
  return { profile, event: { type: 'profile.ProfileCreated', aggregateId: id, version: 1, occurredAt: at, data: publicPersona(profile) } };
}

export interface ProfileRevision {
  readonly profile: Profile;
  /** The fields whose value actually changed: the only ones worth writing (a large bio stays untouched). */
  readonly changed: readonly PersonaField[];
  readonly event: ProfileUpdated;
}

/** Undefined when nothing would change (`{}` or the current values): no new version, no event, no write. */
export function reviseProfile(profile: Profile, change: ProfileChange, at: Date): ProfileRevision | undefined {
  const changed = PERSONA_FIELDS.filter((field) => change[field] !== undefined && change[field] !== profile[field]);
  if (changed.length === 0) return undefined;
  const revised: Profile = {
    ...profile,
    ...Object.fromEntries(changed.map((field) => [field, change[field]])),
    updatedAt: at,
    version: profile.version + 1,
  };
  return {
    profile: revised,
    changed,
    event: { type: 'profile.ProfileUpdated', aggregateId: profile.id, version: revised.version, occurredAt: at, data: publicPersona(revised) },
  };
}

/** Erasure is the profile's last change: it takes the next version, so consumers can order it after the rest. */
export function erasureOf(profile: Profile, at: Date): ProfileErased {
  return { type: 'profile.ProfileErased', aggregateId: profile.id, version: profile.version + 1, occurredAt: at, data: { id: profile.id } };
}
