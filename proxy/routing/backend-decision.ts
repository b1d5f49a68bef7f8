import { writesOwnerOf, type ContextStage, type Stage } from '../stages/stages';
import { inCanary } from './canary-bucket';

export type Backend = 'legacy' | 'new';

export type Decision =
  | { readonly action: 'forward'; readonly backend: Backend; readonly mirror: boolean; readonly pinsWriter: boolean }
  | { readonly action: 'hold-write' };

export interface DecisionInput {
  /** The context's current stage; undefined for legacy-only routes and requests no route matches. */
  readonly stage: ContextStage | undefined;
  readonly kind: 'read' | 'write';
  readonly userId: string | null;
  /** The user wrote through this instance and the forward sync has not applied that write yet. */
  readonly pinned: boolean;
  /**
   * No route matched, but the path lies in the context's path space (route-table.ts's `spaceOf`):
   * `kind` then says whether the method is safe (GET, HEAD, OPTIONS: `read`) or not (`write`).
   */
  readonly unmatched?: boolean;
}

const LEGACY: Decision = { action: 'forward', backend: 'legacy', mirror: false, pinsWriter: false };

/** Reads may be served by the new service while legacy still owns the writes: a writer must then be pinned. */
export function readsMayOutrunWrites(stage: Stage): boolean {
  return stage === 'canary' || stage === 'reads';
}

/**
 * Which side serves one request, from the context's stage alone. Writes never split: every write of a
 * context goes to its write owner (never retried or failed over), and while a hold is set, to neither.
 */
export function decideBackend({ stage, kind, userId, pinned, unmatched = false }: DecisionInput): Decision {
  if (stage === undefined) return LEGACY;
  if (unmatched) {
    // Whatever the context's owner of writes answers there (its 404, or a route legacy has and the table
    // lacks) is the answer: a write the table does not know must never be acknowledged by the other side.
    if (kind === 'write' && stage.writesHeldSince !== null) return { action: 'hold-write' };
    return { action: 'forward', backend: writesOwnerOf(stage.stage), mirror: false, pinsWriter: false };
  }
  if (kind === 'write') {
    if (stage.writesHeldSince !== null) return { action: 'hold-write' };
    const backend: Backend = writesOwnerOf(stage.stage);
    return { action: 'forward', backend, mirror: false, pinsWriter: backend === 'legacy' };
  }
  switch (stage.stage) {
    case 'legacy':
      return LEGACY;
    case 'shadow':
      return { action: 'forward', backend: 'legacy', mirror: true, pinsWriter: false };
    case 'canary':
      // A read without a user (none in the contract today) has no bucket: legacy, which owns the writes, is right.
      if (userId === null || pinned || !inCanary(userId, stage.canaryPercent)) return LEGACY;
      return { action: 'forward', backend: 'new', mirror: false, pinsWriter: false };
    case 'reads':
      return pinned ? LEGACY : { action: 'forward', backend: 'new', mirror: false, pinsWriter: false };
    case 'writes':
    case 'retired':
      return { action: 'forward', backend: 'new', mirror: false, pinsWriter: false };
  }
}
