/**
 * A persona as the public sees it: the API's body and the data of the created and updated events.
 * A type, not an interface, so it stays assignable to the outbox's plain JSON record.
 */
export type PublicPersona = {
  readonly id: number;
  readonly displayName: string | null;
  readonly bio: string | null;
  readonly avatarUrl: string | null;
  /** ISO 8601 UTC. */
  readonly updatedAt: string;
};

interface ProfileEventOf<Type extends string, Data> {
  readonly type: Type;
  readonly aggregateId: number;
  /** The profile's version after the change. */
  readonly version: number;
  readonly occurredAt: Date;
  readonly data: Data;
}

export type ProfileCreated = ProfileEventOf<'profile.ProfileCreated', PublicPersona>;
export type ProfileUpdated = ProfileEventOf<'profile.ProfileUpdated', PublicPersona>;
/** Carries the id only: an erased persona leaves nothing personal behind, not even in the event log. */
export type ProfileErased = ProfileEventOf<'profile.ProfileErased', { readonly id: number }>;

export type ProfileEvent = ProfileCreated | ProfileUpdated | ProfileErased;
