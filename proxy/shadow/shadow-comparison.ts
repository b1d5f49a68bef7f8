import type { Normalisation, ShadowRules } from '../routing/route-table';

/** One side's answer as the comparison sees it. */
export interface ObservedResponse {
  readonly status: number;
  /** The parsed JSON body; undefined when there was none. */
  readonly body: unknown;
}

/**
 * A value as it may be stored and shown: never the value itself (it may be an email, a name, a hash), only
 * its type and size; booleans and null are safe to show, as are the fields listed in REVEALED_FIELDS.
 */
export type RedactedValue =
  | { readonly type: 'absent' | 'null' | 'object' | 'array' | 'string' | 'number' | 'boolean'; readonly length?: number; readonly value?: unknown };

export interface Difference {
  /** A field path such as `email` or `items.2.name`; `$status` for the HTTP status. */
  readonly path: string;
  readonly legacy: RedactedValue;
  readonly new: RedactedValue;
}

export interface ComparisonOutcome {
  readonly equal: boolean;
  /** At most MAX_DIFFERENCES, redacted. */
  readonly differences: readonly Difference[];
}

const MAX_DIFFERENCES = 20;

/** Fields whose values are never personal (statuses, counts, flags): shown as they are in a sample. */
const REVEALED_FIELDS = new Set(['$status', 'status', 'theme', 'marketingEmails', 'active', 'suspended', 'closed']);

export function redact(path: string, value: unknown): RedactedValue {
  if (value === undefined) return { type: 'absent' };
  if (value === null) return { type: 'null' };
  if (typeof value === 'boolean') return { type: 'boolean', value };
  const reveal = REVEALED_FIELDS.has(path);
  if (typeof value === 'number') return reveal ? { type: 'number', value } : { type: 'number' };
  if (typeof value === 'string') return reveal ? { type: 'string', length: value.length, value } : { type: 'string', length: value.length };
  if (Array.isArray(value)) return { type: 'array', length: value.length };
  return { type: 'object', length: Object.keys(value as object).length };
}

function normalise(value: unknown, how: Normalisation): unknown {
  if (typeof value !== 'string') return value;
  switch (how) {
    case 'case-fold':
      return value.trim().toLowerCase();
    case 'timestamp-ms':
    case 'timestamp-s': {
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) return value;
      return how === 'timestamp-ms' ? ms : Math.floor(ms / 1000);
    }
  }
}

/**
 * Compares the two sides' answers as JSON under a route's rules: object key order never matters, ignored
 * fields are skipped, normalised fields are compared after their normalisation. Statuses must agree.
 */
export function compareResponses(legacy: ObservedResponse, candidate: ObservedResponse, rules: ShadowRules): ComparisonOutcome {
  const differences: Difference[] = [];
  if (legacy.status !== candidate.status) {
    differences.push({ path: '$status', legacy: redact('$status', legacy.status), new: redact('$status', candidate.status) });
  }
  const ignore = new Set(rules.ignore);
  const walk = (path: string, a: unknown, b: unknown): void => {
    if (differences.length >= MAX_DIFFERENCES || ignore.has(path)) return;
    const how = rules.normalise[path];
    if (how) {
      a = normalise(a, how);
      b = normalise(b, how);
    }
    if (isPlainObject(a) && isPlainObject(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const key of [...keys].sort()) walk(path ? `${path}.${key}` : key, a[key], b[key]);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) walk(path ? `${path}.${i}` : String(i), a[i], b[i]);
      return;
    }
    if (!Object.is(a, b)) differences.push({ path: path || '$body', legacy: redact(path, a), new: redact(path, b) });
  };
  walk('', legacy.body, candidate.body);
  return { equal: differences.length === 0, differences };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
