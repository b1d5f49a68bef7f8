import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CONTEXTS, STAGES, type StageTable } from './stages/stages';

// A bucket exactly on the 2 ms added-latency target, finer below it where the proxy's own time lives.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type ProxyMetrics = ReturnType<typeof createProxyMetrics>;

/** The contract's strangler_proxy_*, strangler_shadow_*, stage and canary metrics, on an injected registry. */
export interface LiveReadings {
  /** The stage store as this instance last saw it; read at scrape time. */
  stateStore(): { reachable: boolean; ageMs: number | null };
  pinnedUsers(): number;
  /** Writes waiting out a hand-over right now, per context. */
  heldWrites(): ReadonlyMap<string, number>;
  /** Whether this instance's lease lets it start writes now. */
  leaseWritable(): boolean;
}

type RequestLabels = Record<'context' | 'route' | 'backend' | 'status', string>;

/**
 * Counts for strangler_proxy_requests_total, gathered per series and handed to the counter when it is
 * collected (every scrape, every read of the registry), one inc per series. Every client request is counted:
 * prom-client's inc with four labels costs about 1.5 µs (label checks and hashing) where this costs 20 ns,
 * and the whole proxy spends about 40 µs of CPU per request (bench/proxy/README.md).
 */
export class RequestTally {
  private readonly series = new Map<string, { labels: RequestLabels; count: number }>();

  add(context: string, route: string, backend: string, status: string): void {
    const key = `${context}\u0000${route}\u0000${backend}\u0000${status}`;
    const entry = this.series.get(key);
    if (entry) entry.count += 1;
    else this.series.set(key, { labels: { context, route, backend, status }, count: 1 });
  }

  flushInto(counter: Counter<keyof RequestLabels>): void {
    for (const entry of this.series.values()) {
      if (entry.count === 0) continue;
      counter.inc(entry.labels, entry.count);
      entry.count = 0;
    }
  }
}

export function createProxyMetrics(registry: Registry, live: LiveReadings) {
  const tally = new RequestTally();
  const metrics = {
    requests: tally,
    requestsCounter: new Counter({
      name: 'strangler_proxy_requests_total',
      help: 'Client requests by route key (never a raw path), the context, the side that served it (legacy, new, proxy) and the status sent',
      labelNames: ['context', 'route', 'backend', 'status'] as const,
      registers: [registry],
      collect() {
        tally.flushInto(this);
      },
    }),
    requestDuration: new Histogram({
      name: 'strangler_proxy_request_duration_seconds',
      help: 'Whole request at the proxy: first byte in to last byte out',
      labelNames: ['context', 'backend'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    upstreamDuration: new Histogram({
      name: 'strangler_proxy_upstream_duration_seconds',
      help: "The upstream's own time: request sent to response headers; the difference to the request duration is the proxy's",
      labelNames: ['context', 'backend'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    upstreamFailures: new Counter({
      name: 'strangler_proxy_upstream_failures_total',
      help: 'Upstream requests that failed before a response: unreachable (refused), timeout, reset',
      labelNames: ['context', 'backend', 'reason'] as const,
      registers: [registry],
    }),
    existenceWaits: new Counter({
      name: 'strangler_proxy_existence_waits_total',
      help: 'Requests for a user the new service had just signed up or erased, held until legacy agreed (agreed) or the wait ran out (timed-out)',
      labelNames: ['context', 'outcome'] as const,
      registers: [registry],
    }),
    heldWrites: new Counter({
      name: 'strangler_proxy_held_writes_total',
      help: 'Writes that arrived while their context was being handed over, kept until the flip (or answered 503 past the bound)',
      labelNames: ['context'] as const,
      registers: [registry],
    }),
    heldWritesWaiting: new Gauge({
      name: 'strangler_proxy_held_writes',
      help: 'Writes waiting out a hand-over right now',
      labelNames: ['context'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const context of CONTEXTS) this.set({ context }, live.heldWrites().get(context) ?? 0);
      },
    }),
    writeHold: new Histogram({
      name: 'strangler_proxy_write_hold_seconds',
      help: 'How long a write waited out a hand-over, by how it ended: forwarded, expired (503 past PROXY_HOLD_MAX_MS or PROXY_HOLD_MAX_WRITES), client-left',
      labelNames: ['context', 'outcome'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30],
      registers: [registry],
    }),
    fencedWrites: new Counter({
      name: 'strangler_proxy_fenced_writes_total',
      help: "Writes refused with 503 PROXY.LEASE_LAPSED because this instance's lease in the control plane had lapsed",
      labelNames: ['context'] as const,
      registers: [registry],
    }),
    leaseWritable: new Gauge({
      name: 'strangler_proxy_lease_writable',
      help: "1 while this instance's lease lets it forward writes; 0 once it has lapsed (cut off from the control plane, or fenced)",
      registers: [registry],
      // Across PROXY_WORKERS: 0 as soon as one worker's lease has lapsed.
      aggregator: 'min',
      collect() {
        this.set(live.leaseWritable() ? 1 : 0);
      },
    }),
    stage: new Gauge({
      name: 'strangler_context_stage',
      help: "1 for each context's current stage, 0 for the others",
      labelNames: ['context', 'stage'] as const,
      registers: [registry],
      // Across PROXY_WORKERS (proxy/cluster/): one worker's view, so exactly one stage is 1 per context even mid-change.
      aggregator: 'first',
    }),
    canaryPercent: new Gauge({
      name: 'strangler_canary_percent',
      help: "Percentage of users whose reads the new service serves in the canary stage",
      labelNames: ['context'] as const,
      registers: [registry],
      // Across PROXY_WORKERS: the same worker's view as the stage.
      aggregator: 'first',
    }),
    writesHeld: new Gauge({
      name: 'strangler_proxy_writes_held',
      help: "1 while a context's writes are held",
      labelNames: ['context'] as const,
      registers: [registry],
      // Across PROXY_WORKERS: held as soon as one worker holds them.
      aggregator: 'max',
    }),
    stateStoreUp: new Gauge({
      name: 'strangler_proxy_state_store_up',
      help: 'Whether the last read of control.context_stages succeeded; 0 means the instance serves the last stages it read',
      registers: [registry],
      // Across PROXY_WORKERS: 0 as soon as one worker serves on stale stages.
      aggregator: 'min',
      collect() {
        this.set(live.stateStore().reachable ? 1 : 0);
      },
    }),
    stateAge: new Gauge({
      name: 'strangler_proxy_state_age_seconds',
      help: 'Time since the stages this instance acts on were last read',
      registers: [registry],
      // Across PROXY_WORKERS: the oldest view among the workers.
      aggregator: 'max',
      collect() {
        const { ageMs } = live.stateStore();
        this.set(ageMs === null ? -1 : ageMs / 1000);
      },
    }),
    pins: new Gauge({
      name: 'strangler_proxy_read_your_writes_pins',
      help: 'Users whose reads are pinned to legacy until the forward sync has applied their write',
      registers: [registry],
      collect() {
        this.set(live.pinnedUsers());
      },
    }),
    pinsUnshared: new Counter({
      name: 'strangler_proxy_read_your_writes_pins_unshared_total',
      help: 'Pins that could not be written to the control plane (only the instance that took them knows them)',
      registers: [registry],
    }),
    pinsEvicted: new Counter({
      name: 'strangler_proxy_read_your_writes_pins_evicted_total',
      help: 'Pins dropped because the pin map was full (raise PROXY_MAX_PINS if this moves)',
      registers: [registry],
    }),
    shadowComparisons: new Counter({
      name: 'strangler_shadow_comparisons_total',
      help: 'Shadow comparisons of mirrored reads: match, mismatch, lag (a difference the forward sync caught up with), error',
      labelNames: ['context', 'result'] as const,
      registers: [registry],
    }),
    shadowDropped: new Counter({
      name: 'strangler_shadow_dropped_total',
      help: 'Reads not mirrored because the shadow mirror was saturated or the response was too large to compare',
      labelNames: ['context', 'reason'] as const,
      registers: [registry],
    }),
    shadowInFlight: new Gauge({
      name: 'strangler_shadow_in_flight',
      help: 'Mirrored reads being compared right now',
      registers: [registry],
    }),
  };
  return metrics;
}

export function observeStages(metrics: ProxyMetrics, table: StageTable): void {
  for (const context of CONTEXTS) {
    const current = table[context];
    for (const stage of STAGES) metrics.stage.set({ context, stage }, current.stage === stage ? 1 : 0);
    metrics.canaryPercent.set({ context }, current.canaryPercent);
    metrics.writesHeld.set({ context }, current.writesHeldSince ? 1 : 0);
  }
}
