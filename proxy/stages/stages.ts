/** The contexts the migration moves and the stages of CONTRACT.md, in the order a promotion walks them. */
export const CONTEXTS = ['identity', 'profile', 'preferences'] as const;
export type Context = (typeof CONTEXTS)[number];

export const STAGES = ['legacy', 'shadow', 'canary', 'reads', 'writes', 'retired'] as const;
export type Stage = (typeof STAGES)[number];

export function isContext(value: unknown): value is Context {
  return typeof value === 'string' && (CONTEXTS as readonly string[]).includes(value);
}

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

export type WritesOwner = 'legacy' | 'new';

/** Who owns a context's writes in each stage (CONTRACT.md's table): the one rule routing and the admin API share. */
export function writesOwnerOf(stage: Stage): WritesOwner {
  return stage === 'writes' || stage === 'retired' ? 'new' : 'legacy';
}

/** One context's row of control.context_stages, as the proxy acts on it. */
export interface ContextStage {
  readonly context: Context;
  readonly stage: Stage;
  readonly canaryPercent: number;
  readonly version: number;
  readonly changedAt: Date;
  /** Set while a promotion or rollback drains the losing sync direction: the context's writes get 503. */
  readonly writesHeldSince: Date | null;
}

export type StageTable = Readonly<Record<Context, ContextStage>>;

/** A row of control.context_stages as the database gives it. */
export interface ContextStageRecord {
  readonly context: string;
  readonly stage: string;
  readonly canary_percent: number | string;
  readonly version: number | string;
  readonly changed_at: Date;
  readonly writes_held_since: Date | null;
}
