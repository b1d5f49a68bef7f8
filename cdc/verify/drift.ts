// What the verifier decides about one user in one context, and how it walks the tables: pure, so the
// rules are unit-tested apart from the databases. A legacy row is compared with a context's stored state
// through the forward ACL, the very translation the forward sync applies, so "same" here means "the
// sync would write nothing".
import type { LegacyUserRow } from '../debezium/change-event';
import { accountTarget, personaTarget, settingsTarget, type ContextTarget } from '../forward/context-targets';
import {
  legacyUserToAccount,
  legacyUserToPersona,
  legacyUserToSettings,
  sameAccount,
  samePersona,
  sameSettings,
  type Translation,
} from '../forward/legacy-user.acl';
import type { Context } from '../ownership/ownership-map';

/**
 * `missing`: in legacy, not in the context. `extra`: in the context, not in legacy. `different`: in both,
 * content differs. `unsyncable`: the forward ACL rejects the legacy row (the dead letters' counterpart):
 * known and explained, so it is reported but is not drift.
 */
export const DRIFT_KINDS = ['missing', 'extra', 'different', 'unsyncable'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];
/** The kinds that mean the two sides disagree without a recorded reason. */
export const DRIFT_KINDS_THAT_FAIL: readonly DriftKind[] = ['missing', 'extra', 'different'];

export interface ContextLane<S extends { id: number }> {
  target: ContextTarget<S>;
  /** `stored` is the context's current state, when it has one: identity keeps its creation time from it. */
  translate(row: LegacyUserRow, stored: S | undefined): Translation<S>;
  same(a: S, b: S): boolean;
}

// Without created_ts the forward sync keeps the stored creation time, else takes updated_ts or the time it
// observed the row; the verifier cannot know the latter, so a row without either timestamp and without an
// account is `missing` anyway and the placeholder instant never reaches a comparison.
const NO_OBSERVATION = new Date(0);

export const LANES: { readonly [C in Context]: ContextLane<any> } = {
  identity: {
    target: accountTarget,
    translate: (row, stored) => legacyUserToAccount(row, { observedAt: NO_OBSERVATION, ...(stored ? { storedCreatedAt: stored.createdAt } : {}) }),
    same: sameAccount,
  },
  profile: { target: personaTarget, translate: (row) => legacyUserToPersona(row), same: samePersona },
  preferences: { target: settingsTarget, translate: (row) => legacyUserToSettings(row), same: sameSettings },
};

/** One user in one context: a kind of drift, or undefined when both sides agree (or neither has it). */
export function classify<S extends { id: number }>(lane: ContextLane<S>, legacy: LegacyUserRow | undefined, stored: S | undefined): DriftKind | undefined {
  if (legacy === undefined) return stored === undefined ? undefined : 'extra';
  const translated = lane.translate(legacy, stored);
  // A rejected row is unsyncable whether or not the context still holds an older state of it.
  if (!translated.ok) return 'unsyncable';
  if (stored === undefined) return 'missing';
  return lane.same(translated.state, stored) ? undefined : 'different';
}

/** Every id present on either side, in ascending order, with what each side holds. */
export function classifyAll<S extends { id: number }>(lane: ContextLane<S>, legacy: ReadonlyMap<number, LegacyUserRow>, stored: ReadonlyMap<number, S>): Map<number, DriftKind> {
  const drift = new Map<number, DriftKind>();
  const ids = [...new Set([...legacy.keys(), ...stored.keys()])].sort((a, b) => a - b);
  for (const id of ids) {
    const kind = classify(lane, legacy.get(id), stored.get(id));
    if (kind !== undefined) drift.set(id, kind);
  }
  return drift;
}

/** One keyset page of one side: the ids read (ascending) and whether the page was full. */
export interface Page {
  readonly ids: readonly number[];
  readonly full: boolean;
}

/**
 * The upper bound (inclusive) of the chunk the pages cover together. Each side reads at most `chunkSize`
 * ids above the previous bound; a full page may stop short of ids another side already read, so the chunk
 * ends at the smallest last id of the full pages, and ids above it are read again with the next chunk.
 * Infinity when no page was full: every side is exhausted past the bound.
 */
export function chunkUpperBound(pages: readonly Page[]): number {
  let bound = Number.POSITIVE_INFINITY;
  for (const page of pages) {
    if (!page.full) continue;
    const last = page.ids[page.ids.length - 1];
    if (last !== undefined && last < bound) bound = last;
  }
  return bound;
}

/**
 * The drift that stands after the re-check: a row counts only if it still drifts when read again, and
 * then with the kind the re-check saw (a sync in flight may have turned `missing` into `different`).
 */
export function confirmedDrift(firstPass: ReadonlyMap<number, DriftKind>, recheck: ReadonlyMap<number, DriftKind>): Map<number, DriftKind> {
  const confirmed = new Map<number, DriftKind>();
  for (const id of firstPass.keys()) {
    const kind = recheck.get(id);
    if (kind !== undefined) confirmed.set(id, kind);
  }
  return confirmed;
}

export type DriftCounts = Record<DriftKind, number>;

export interface ContextDrift {
  readonly context: Context;
  readonly counts: DriftCounts;
  /** Drifting ids per kind, ascending: ids only, never a value. */
  readonly ids: Readonly<Record<DriftKind, readonly number[]>>;
}

export function summarise(context: Context, drift: ReadonlyMap<number, DriftKind>): ContextDrift {
  const ids: Record<DriftKind, number[]> = { missing: [], extra: [], different: [], unsyncable: [] };
  for (const [id, kind] of [...drift].sort(([a], [b]) => a - b)) ids[kind].push(id);
  const counts = Object.fromEntries(DRIFT_KINDS.map((kind) => [kind, ids[kind].length])) as DriftCounts;
  return { context, counts, ids };
}

/** Whether a context's drift fails verification: unsyncable rows are reported, not failed. */
export function isDrifting(drift: ContextDrift): boolean {
  return DRIFT_KINDS_THAT_FAIL.some((kind) => drift.counts[kind] > 0);
}
