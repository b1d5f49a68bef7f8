// The migration stages of CONTRACT.md as a state machine the operators drive: one stage forward at a time,
// back to any earlier stage, and a canary percentage that only means something in `canary`. Pure: the admin
// API asks it what a request would change before it touches the control plane. The proxy shares the stage
// vocabulary with the cdc workers through the control.context_stages table, not through code; within the
// proxy, the data plane's stages module is the one vocabulary.
import { CONTEXTS, isContext, isStage, STAGES, writesOwnerOf, type Context, type Stage, type WritesOwner } from '../stages/stages';

export { CONTEXTS, isContext, isStage, STAGES, writesOwnerOf, type Context, type Stage, type WritesOwner };

export type SyncDirection = 'forward' | 'reverse';

export function nextStage(stage: Stage): Stage | undefined {
  return STAGES[STAGES.indexOf(stage) + 1];
}

const rank = (stage: Stage) => STAGES.indexOf(stage);

export interface ContextPosition {
  readonly stage: Stage;
  readonly canaryPercent: number;
}

/**
 * The hand-over of writes a transition makes, if any. The side that loses them must have been drained by
 * its sync direction before the flip (cdc/README.md, drain-before-flip): forward when legacy loses them,
 * reverse when the new service does.
 */
export interface WritesFlip {
  readonly losing: WritesOwner;
  readonly drain: SyncDirection;
}

export interface Transition {
  readonly action: 'promote' | 'rollback';
  readonly from: ContextPosition;
  readonly to: ContextPosition;
  readonly writesFlip: WritesFlip | null;
}

export type TransitionRefusalCode = 'ADMIN.INVALID_TRANSITION' | 'ADMIN.INVALID_REQUEST' | 'ADMIN.NOT_IN_CANARY';

export interface TransitionRefusal {
  readonly refused: TransitionRefusalCode;
  readonly message: string;
}

export const isRefusal = (value: object): value is TransitionRefusal => 'refused' in value;

function writesFlipOf(from: Stage, to: Stage): WritesFlip | null {
  const losing = writesOwnerOf(from);
  if (losing === writesOwnerOf(to)) return null;
  return { losing, drain: losing === 'legacy' ? 'forward' : 'reverse' };
}

/**
 * Entering `canary` (either way) starts at the percentage given, or at the configured initial one; every
 * other transition leaves the percentage as it was, since only `canary` reads it.
 */
function canaryPercentAfter(from: ContextPosition, to: Stage, percent: number | undefined, initialCanaryPercent: number): number | TransitionRefusal {
  if (to === 'canary') return percent ?? initialCanaryPercent;
  if (percent !== undefined) return { refused: 'ADMIN.INVALID_REQUEST', message: `percent applies only when entering canary, not ${to}` };
  return from.canaryPercent;
}

/** One stage forward; `to`, when given, must name exactly that stage. */
export function planPromotion(from: ContextPosition, request: { to?: Stage; percent?: number }, initialCanaryPercent: number): Transition | TransitionRefusal {
  const next = nextStage(from.stage);
  if (next === undefined) return { refused: 'ADMIN.INVALID_TRANSITION', message: `the context is already ${from.stage}, the last stage; nothing to promote to` };
  if (request.to !== undefined && request.to !== next) {
    const why = rank(request.to) <= rank(from.stage) ? `${request.to} is not ahead of ${from.stage} (use rollback to go back)` : `a promotion moves exactly one stage forward: ${from.stage} → ${next}, not ${request.to}`;
    return { refused: 'ADMIN.INVALID_TRANSITION', message: why };
  }
  const canaryPercent = canaryPercentAfter(from, next, request.percent, initialCanaryPercent);
  if (typeof canaryPercent !== 'number') return canaryPercent;
  return { action: 'promote', from, to: { stage: next, canaryPercent }, writesFlip: writesFlipOf(from.stage, next) };
}

/** Back to any earlier stage, in one step. */
export function planRollback(from: ContextPosition, request: { to: Stage; percent?: number }, initialCanaryPercent: number): Transition | TransitionRefusal {
  if (rank(request.to) >= rank(from.stage)) {
    return { refused: 'ADMIN.INVALID_TRANSITION', message: `a rollback goes to an earlier stage; ${request.to} is not before ${from.stage}` };
  }
  const canaryPercent = canaryPercentAfter(from, request.to, request.percent, initialCanaryPercent);
  if (typeof canaryPercent !== 'number') return canaryPercent;
  return { action: 'rollback', from, to: { stage: request.to, canaryPercent }, writesFlip: writesFlipOf(from.stage, request.to) };
}

/**
 * The canary percentage changes only in `canary`: elsewhere nobody reads it, and accepting it would let an
 * operator believe they had limited exposure in `reads`, where every user is on the new service.
 */
export function planCanary(from: ContextPosition, percent: number): ContextPosition | TransitionRefusal {
  if (from.stage !== 'canary') return { refused: 'ADMIN.NOT_IN_CANARY', message: `the canary percentage applies only in the canary stage; the context is in ${from.stage}` };
  return { stage: 'canary', canaryPercent: percent };
}
