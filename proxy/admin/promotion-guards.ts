// What must hold before a context moves one stage forward (issue #5, point 6), as pure functions of facts
// gathered elsewhere (gatherFacts in context-changes.ts), so that every threshold edge is unit-tested without a stack.
import type { Stage } from './stage-transitions';

export interface GuardThresholds {
  /** Compared rows (match + mismatch) needed since entering shadow before the rate means anything. */
  readonly minShadowSample: number;
  /** Highest mismatch / (match + mismatch) allowed to leave shadow. */
  readonly maxShadowMismatchRate: number;
  /** Highest forward-sync lag (source commit to applied, of the last applied event) to serve reads from the new service. */
  readonly maxForwardLagSeconds: number;
  /** Most events the forward sync may have waiting. */
  readonly maxForwardBacklog: number;
  /** How old the clean verify may be when writes are handed over. */
  readonly maxVerifyAgeSeconds: number;
}

/** Shadow comparisons of all proxy instances since the context entered its current stage. */
export interface ShadowFacts {
  readonly since: Date;
  readonly match: number;
  readonly mismatch: number;
  /** Differences explained by the forward sync's lag: neither a match nor a mismatch. */
  readonly lag: number;
  readonly error: number;
}

/** One worker as the cdc /healthz reports it. */
export interface SyncWorkerFacts {
  readonly name: string;
  readonly state: string;
  readonly healthy: boolean;
  readonly backlog: number | null;
  readonly lastLagSeconds?: number | null;
  readonly reason?: string;
}

export type SyncFacts = { readonly reachable: true; readonly workers: readonly SyncWorkerFacts[] } | { readonly reachable: false; readonly reason: string };

/** The latest verifier run that covered the context, with its drift counts for that context. */
export interface VerifyFacts {
  readonly runId: number;
  readonly finishedAt: Date;
  readonly missing: number;
  readonly extra: number;
  readonly different: number;
  readonly unsyncable: number;
}

export interface PromotionFacts {
  readonly shadow: ShadowFacts;
  readonly sync: SyncFacts;
  readonly verify: VerifyFacts | null;
}

export type GuardName =
  | 'shadow-mismatch-rate'
  | 'forward-sync-healthy'
  | 'forward-sync-lag'
  | 'forward-sync-backlog'
  | 'reverse-sync-running'
  | 'verify-clean';

export interface GuardResult {
  readonly guard: GuardName;
  readonly passed: boolean;
  /** Why it holds or fails, in words an operator can act on. */
  readonly reason: string;
  /** What was measured, for the audit log and `strangler status --json`. */
  readonly measured: Readonly<Record<string, string | number | boolean | null>>;
}

/** Which guards a promotion *into* `to` must pass. */
export function guardsFor(to: Stage): readonly GuardName[] {
  switch (to) {
    case 'legacy':
    case 'shadow':
      // Shadow serves nothing from the new service; comparing is how confidence is built.
      return [];
    case 'canary':
      return ['shadow-mismatch-rate', 'forward-sync-healthy', 'forward-sync-lag', 'forward-sync-backlog'];
    case 'reads':
      return ['forward-sync-healthy', 'forward-sync-lag', 'forward-sync-backlog'];
    case 'writes':
      return ['reverse-sync-running', 'verify-clean'];
    case 'retired':
      return ['reverse-sync-running'];
  }
}

const ratio = (value: number) => Number(value.toFixed(6));

export function shadowMismatchRate(shadow: ShadowFacts, thresholds: GuardThresholds): GuardResult {
  const sample = shadow.match + shadow.mismatch;
  const rate = sample === 0 ? null : ratio(shadow.mismatch / sample);
  const measured = { since: shadow.since.toISOString(), match: shadow.match, mismatch: shadow.mismatch, lag: shadow.lag, error: shadow.error, sample, rate, minSample: thresholds.minShadowSample, maxRate: thresholds.maxShadowMismatchRate };
  if (sample < thresholds.minShadowSample) {
    return { guard: 'shadow-mismatch-rate', passed: false, reason: `only ${sample} shadow comparisons since ${measured.since} (lag-explained ones excluded); at least ${thresholds.minShadowSample} needed`, measured };
  }
  const passed = rate !== null && rate <= thresholds.maxShadowMismatchRate;
  return { guard: 'shadow-mismatch-rate', passed, reason: `shadow mismatch rate ${rate} over ${sample} comparisons ${passed ? 'within' : 'above'} the maximum ${thresholds.maxShadowMismatchRate}`, measured };
}

function worker(sync: SyncFacts, name: 'forward' | 'reverse'): SyncWorkerFacts | string {
  if (!sync.reachable) return `cdc workers unreachable: ${sync.reason}`;
  return sync.workers.find((w) => w.name === name) ?? `the cdc workers report no ${name} worker`;
}

function workerHealthy(guard: 'forward-sync-healthy' | 'reverse-sync-running', sync: SyncFacts, name: 'forward' | 'reverse'): GuardResult {
  const found = worker(sync, name);
  if (typeof found === 'string') return { guard, passed: false, reason: found, measured: { state: null, healthy: null } };
  const measured = { state: found.state, healthy: found.healthy };
  if (found.healthy && found.state === 'running') return { guard, passed: true, reason: `${name} sync running and healthy`, measured };
  return { guard, passed: false, reason: `${name} sync is ${found.state}${found.healthy ? '' : ', unhealthy'}${found.reason ? `: ${found.reason}` : ''}`, measured };
}

function forwardLag(sync: SyncFacts, thresholds: GuardThresholds): GuardResult {
  const found = worker(sync, 'forward');
  const maxLagSeconds = thresholds.maxForwardLagSeconds;
  if (typeof found === 'string') return { guard: 'forward-sync-lag', passed: false, reason: found, measured: { lagSeconds: null, maxLagSeconds } };
  const lag = found.lastLagSeconds ?? null;
  // No event applied yet since the workers started: nothing is late. The backlog guard covers the
  // events that might be waiting.
  if (lag === null) return { guard: 'forward-sync-lag', passed: true, reason: 'the forward sync has applied no event since it started; no lag to measure', measured: { lagSeconds: null, maxLagSeconds } };
  const passed = lag <= maxLagSeconds;
  return { guard: 'forward-sync-lag', passed, reason: `forward sync lag ${lag} s ${passed ? 'within' : 'above'} the maximum ${maxLagSeconds} s`, measured: { lagSeconds: lag, maxLagSeconds } };
}

function forwardBacklog(sync: SyncFacts, thresholds: GuardThresholds): GuardResult {
  const found = worker(sync, 'forward');
  const maxBacklog = thresholds.maxForwardBacklog;
  if (typeof found === 'string') return { guard: 'forward-sync-backlog', passed: false, reason: found, measured: { backlog: null, maxBacklog } };
  if (found.backlog === null) return { guard: 'forward-sync-backlog', passed: false, reason: 'the forward sync\'s backlog has not been measured yet', measured: { backlog: null, maxBacklog } };
  const passed = found.backlog <= maxBacklog;
  return { guard: 'forward-sync-backlog', passed, reason: `forward sync backlog ${found.backlog} event(s) ${passed ? 'within' : 'above'} the maximum ${maxBacklog}`, measured: { backlog: found.backlog, maxBacklog } };
}

function verifyClean(verify: VerifyFacts | null, thresholds: GuardThresholds, now: Date): GuardResult {
  const maxAgeSeconds = thresholds.maxVerifyAgeSeconds;
  if (verify === null) return { guard: 'verify-clean', passed: false, reason: 'no verifier run covers this context; run `strangler verify <context>`', measured: { runId: null, maxAgeSeconds } };
  const ageSeconds = Math.max(0, Math.round((now.getTime() - verify.finishedAt.getTime()) / 1000));
  const measured = { runId: verify.runId, finishedAt: verify.finishedAt.toISOString(), ageSeconds, maxAgeSeconds, missing: verify.missing, extra: verify.extra, different: verify.different, unsyncable: verify.unsyncable };
  const drifting = verify.missing + verify.extra + verify.different;
  if (drifting > 0) {
    return { guard: 'verify-clean', passed: false, reason: `verify run ${verify.runId} found drift: ${verify.missing} missing, ${verify.extra} extra, ${verify.different} different; repair with \`strangler resync\` and verify again`, measured };
  }
  if (ageSeconds > maxAgeSeconds) {
    return { guard: 'verify-clean', passed: false, reason: `the latest clean verify (run ${verify.runId}) is ${ageSeconds} s old, older than ${maxAgeSeconds} s; verify again`, measured };
  }
  // Unsyncable rows are legacy's dirt the ACL refuses by design: reported, not failed (as `strangler verify` does).
  return { guard: 'verify-clean', passed: true, reason: `verify run ${verify.runId} clean, ${ageSeconds} s old`, measured };
}

/** Every guard a promotion into `to` must pass, each evaluated (not stopping at the first failure). */
export function evaluateGuards(to: Stage, facts: PromotionFacts, thresholds: GuardThresholds, now: Date): GuardResult[] {
  return guardsFor(to).map((guard) => {
    switch (guard) {
      case 'shadow-mismatch-rate':
        return shadowMismatchRate(facts.shadow, thresholds);
      case 'forward-sync-healthy':
        return workerHealthy(guard, facts.sync, 'forward');
      case 'forward-sync-lag':
        return forwardLag(facts.sync, thresholds);
      case 'forward-sync-backlog':
        return forwardBacklog(facts.sync, thresholds);
      case 'reverse-sync-running':
        return workerHealthy(guard, facts.sync, 'reverse');
      case 'verify-clean':
        return verifyClean(facts.verify, thresholds, now);
    }
  });
}

export const failedGuards = (results: readonly GuardResult[]) => results.filter((result) => !result.passed);
