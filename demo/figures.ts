/**
 * The live figures the demo shows, computed from what the processes export: the proxy's and the cdc's
 * /metrics (see proxy/proxy-metrics.ts, cdc/metrics/sync-metrics.ts) and the cdc's /healthz.
 */
import { sumBy, sumOf, type Sample } from './prometheus-text';

export interface SyncWorkerReport {
  readonly name: string;
  readonly state: string;
  readonly healthy: boolean;
  readonly backlog: number | null;
  readonly lastLagSeconds: number | null;
}

export interface Figures {
  /** Answers the proxy gave, by the backend that served them (`legacy`, `new`, `proxy` for its own answers). */
  readonly requestsByBackend: Readonly<Record<string, number>>;
  /** 5xx answers by backend; the proxy's own (a held write past its bound, a lapsed lease) reached a client as errors. */
  readonly errorsByBackend: Readonly<Record<string, number>>;
  readonly heldWrites: number;
  readonly shadow: { readonly match: number; readonly mismatch: number; readonly lag: number; readonly error: number };
  readonly stageByContext: Readonly<Record<string, string>>;
  readonly canaryByContext: Readonly<Record<string, number>>;
  readonly sync: readonly SyncWorkerReport[];
  /** Drifting rows (missing + extra + different) of the latest verify run, per context. */
  readonly verifyDriftByContext: Readonly<Record<string, number>>;
  readonly deadLetters: number;
}

const FAILING_DRIFT_KINDS = new Set(['missing', 'extra', 'different']);

export function figuresFrom(proxy: readonly Sample[], cdc: readonly Sample[], sync: readonly SyncWorkerReport[]): Figures {
  const requests = sumBy(proxy, 'strangler_proxy_requests_total', 'backend');
  const errors = sumBy(proxy, 'strangler_proxy_requests_total', 'backend', (s) => /^5\d\d$/.test(s.labels.status ?? ''));
  const stageByContext: Record<string, string> = {};
  for (const sample of proxy) {
    if (sample.name === 'strangler_context_stage' && sample.value === 1) stageByContext[sample.labels.context ?? ''] = sample.labels.stage ?? '';
  }
  const canaryByContext: Record<string, number> = {};
  for (const sample of proxy) {
    if (sample.name === 'strangler_canary_percent') canaryByContext[sample.labels.context ?? ''] = sample.value;
  }
  const drift = sumBy(cdc, 'strangler_verify_drift_rows', 'context', (s) => FAILING_DRIFT_KINDS.has(s.labels.kind ?? ''));
  // Writes kept through a hand-over and then forwarded: the proxy working as designed, not errors.
  const heldWrites = sumOf(proxy, 'strangler_proxy_held_writes_total');
  return {
    requestsByBackend: Object.fromEntries(requests),
    errorsByBackend: Object.fromEntries(errors),
    heldWrites,
    shadow: {
      match: sumOf(proxy, 'strangler_shadow_comparisons_total', { result: 'match' }),
      mismatch: sumOf(proxy, 'strangler_shadow_comparisons_total', { result: 'mismatch' }),
      lag: sumOf(proxy, 'strangler_shadow_comparisons_total', { result: 'lag' }),
      error: sumOf(proxy, 'strangler_shadow_comparisons_total', { result: 'error' }),
    },
    stageByContext,
    canaryByContext,
    sync,
    verifyDriftByContext: Object.fromEntries(drift),
    deadLetters: sumOf(cdc, 'strangler_cdc_dead_letters_total'),
  };
}

function perBackend(values: Readonly<Record<string, number>>): string {
  const entries = Object.entries(values).filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '0' : entries.map(([backend, n]) => `${backend} ${n}`).join(', ');
}

function syncLine(worker: SyncWorkerReport): string {
  const lag = worker.lastLagSeconds === null ? '-' : `${worker.lastLagSeconds.toFixed(2)} s`;
  const backlog = worker.backlog === null ? '?' : String(worker.backlog);
  return `${worker.name} ${worker.healthy ? worker.state : `${worker.state}!`} lag ${lag} backlog ${backlog}`;
}

/** One or two lines for the terminal; `rates` (requests per second by backend) when known. */
export function renderFigures(figures: Figures, rates?: Readonly<Record<string, number>>): string[] {
  const stages = Object.entries(figures.stageByContext).sort(([a], [b]) => a.localeCompare(b))
    .map(([context, stage]) => `${context} ${stage}${stage === 'canary' ? ` ${figures.canaryByContext[context] ?? 0}%` : ''}`).join(' | ');
  const rate = rates ? ` (${perBackend(Object.fromEntries(Object.entries(rates).map(([b, r]) => [b, Math.round(r)])))} /s)` : '';
  const { match, mismatch, lag, error } = figures.shadow;
  const drift = Object.entries(figures.verifyDriftByContext).filter(([, n]) => n > 0).map(([c, n]) => `${c} ${n}`).join(', ') || '0';
  return [
    `stages: ${stages || 'unknown'}`,
    `requests ${perBackend(figures.requestsByBackend)}${rate} · 5xx ${perBackend(figures.errorsByBackend)} · held writes ${figures.heldWrites}`
      + ` · shadow ${match} match / ${mismatch} mismatch / ${lag} lag / ${error} error`
      + ` · sync ${figures.sync.map(syncLine).join('; ') || 'unknown'} · verify drift ${drift} · dead letters ${figures.deadLetters}`,
  ];
}

/** Requests per second by backend between two readings `seconds` apart. */
export function requestRates(before: Figures, after: Figures, seconds: number): Record<string, number> {
  const rates: Record<string, number> = {};
  if (seconds <= 0) return rates;
  for (const [backend, count] of Object.entries(after.requestsByBackend)) {
    rates[backend] = Math.max(0, count - (before.requestsByBackend[backend] ?? 0)) / seconds;
  }
  return rates;
}
