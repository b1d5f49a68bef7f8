// Who owns each context's writes, derived from its migration stage (CONTRACT.md): the single switch
// both syncs obey. Forward sync applies a context only while legacy owns its writes, reverse sync only
// while the new service does.

export const CONTEXTS = ['identity', 'profile', 'preferences'] as const;
export type Context = (typeof CONTEXTS)[number];

export const STAGES = ['legacy', 'shadow', 'canary', 'reads', 'writes', 'retired'] as const;
export type Stage = (typeof STAGES)[number];

export type WritesOwner = 'legacy' | 'new';

export function writesOwnerOf(stage: Stage): WritesOwner {
  return stage === 'writes' || stage === 'retired' ? 'new' : 'legacy';
}

export type Stages = Readonly<Record<Context, Stage>>;

export interface Ownership {
  /** Who owns the writes of the context's own state (a profile's display name, an account's status). */
  writesOf(context: Context): WritesOwner;
  /**
   * Who creates and erases users. Signing up and erasing are identity's routes (POST /api/users,
   * DELETE /api/users/:id), so a user's profile and preferences come into being, and go, with the
   * account, on whichever side owns identity's writes: otherwise a user signed up on one side would
   * never get a profile on the other.
   */
  existence(): WritesOwner;
}

export function ownershipOf(stages: Stages): Ownership {
  return {
    writesOf: (context) => writesOwnerOf(stages[context]),
    existence: () => writesOwnerOf(stages.identity),
  };
}

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}
