import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type Direction = 'forward' | 'reverse';
export type Outcome = 'applied' | 'unchanged' | 'duplicate' | 'not-owned' | 'ignored' | 'parked' | 'dead-letter';

/** The contract's strangler_cdc_* metrics, plus the last applied source position per direction. */
export interface SyncMetrics {
  events: Counter<'direction' | 'context' | 'outcome'>;
  lag: Histogram<'direction'>;
  deadLetters: Counter<'direction'>;
  lastAppliedPosition: Gauge<'direction'>;
  lastAppliedAt: Gauge<'direction'>;
}

export function createSyncMetrics(registry: Registry): SyncMetrics {
  return {
    events: new Counter({
      name: 'strangler_cdc_events_total',
      help: 'Change events handled by the sync workers, by direction, context and outcome',
      labelNames: ['direction', 'context', 'outcome'] as const,
      registers: [registry],
    }),
    // A bucket on each lag threshold the guards use (1 s for reads, 5 s as the alert).
    lag: new Histogram({
      name: 'strangler_cdc_lag_seconds',
      help: 'Time from the source commit to the change being applied on the other side',
      labelNames: ['direction'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'strangler_cdc_dead_letters_total',
      help: 'Events the sync could not apply and recorded as dead letters',
      labelNames: ['direction'] as const,
      registers: [registry],
    }),
    lastAppliedPosition: new Gauge({
      name: 'strangler_cdc_last_applied_position',
      help: 'Source position of the newest applied change: the commit LSN (forward) or the Kafka offset (reverse)',
      labelNames: ['direction'] as const,
      registers: [registry],
    }),
    lastAppliedAt: new Gauge({
      name: 'strangler_cdc_last_applied_timestamp_seconds',
      help: 'When the newest change was applied, seconds since the epoch',
      labelNames: ['direction'] as const,
      registers: [registry],
    }),
  };
}

/** What a batch tells the worker's health: the source-to-applied lag of its newest applied event. */
export interface AppliedBatch {
  lagSeconds: number | null;
}

/**
 * After a batch's COMMIT, in either direction: its outcomes counted, each applied change's lag from its
 * source commit observed, the newest applied position and time set.
 */
export function reportBatch(
  metrics: SyncMetrics,
  direction: Direction,
  counts: readonly { context: string; outcome: Outcome }[],
  applied: readonly { sourceMs: number; position: number | null }[],
  now: number,
): AppliedBatch {
  for (const { context, outcome } of counts) metrics.events.inc({ direction, context, outcome });
  let lagSeconds: number | null = null;
  for (const { sourceMs, position } of applied) {
    lagSeconds = Math.max(0, now - sourceMs) / 1000;
    metrics.lag.observe({ direction }, lagSeconds);
    if (position !== null) metrics.lastAppliedPosition.set({ direction }, position);
  }
  if (applied.length > 0) metrics.lastAppliedAt.set({ direction }, now / 1000);
  return { lagSeconds };
}
