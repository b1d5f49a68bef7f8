// The admin port's /metrics under PROXY_WORKERS > 1: the primary's own metrics and every worker's, merged
// series by series with prom-client's AggregatorRegistry.aggregate and each metric's `aggregator`: counters
// and histograms add up, gauges say how they combine where they are defined (proxy-metrics.ts), default
// process metrics carry prom-client's own choices (CPU and memory summed, event-loop lag averaged, start
// time omitted).
import { AggregatorRegistry, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { MetricsSnapshot } from './worker-channel';

type Metric = MetricObjectWithValues<MetricValue<string>>;

/** Counters and histograms: the series that only count up over a worker's life. */
export function cumulativeOnly(snapshot: MetricsSnapshot): MetricsSnapshot {
  // The type is a string at run time ('counter'), whatever prom-client's typings say.
  return snapshot.filter((metric) => ['counter', 'histogram'].includes(String(metric.type)));
}

/** Every series of the snapshots added up (metric by metric, series by series): the totals of workers gone. */
export function addUp(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const metrics = new Map<string, { metric: Metric; series: Map<string, MetricValue<string>> }>();
  for (const snapshot of snapshots) {
    for (const metric of snapshot) {
      let total = metrics.get(metric.name);
      if (!total) metrics.set(metric.name, (total = { metric, series: new Map() }));
      for (const sample of metric.values) {
        const key = seriesKey(sample);
        const sum = total.series.get(key);
        total.series.set(key, sum ? { ...sum, value: sum.value + sample.value } : { ...sample });
      }
    }
  }
  return [...metrics.values()].map(({ metric, series }) => ({ ...metric, values: [...series.values()] }));
}

function seriesKey(sample: MetricValue<string>): string {
  const labels = Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([(sample as { metricName?: string }).metricName ?? '', labels]);
}

/**
 * What each worker last answered, and the counts of workers that have exited. A worker's counters die with it,
 * and a sum that drops reads to Prometheus as a counter reset (rate() would count the survivors' whole totals
 * again); so an exited worker's counters and histograms, as of its last answer, stay in the sums for good.
 * A worker that is alive but does not answer in time counts with its last answer's counters and histograms;
 * its gauges are left out rather than shown stale.
 */
export class MergedMetrics {
  private readonly latest = new Map<number, MetricsSnapshot>();
  private retired: MetricsSnapshot = [];

  /** A worker's answer, as it arrives. */
  record(workerId: number, snapshot: MetricsSnapshot): void {
    this.latest.set(workerId, snapshot);
  }

  /** The worker has exited: what it had counted by its last answer is kept (anything after that is lost). */
  retire(workerId: number): void {
    const last = this.latest.get(workerId);
    this.latest.delete(workerId);
    if (last) this.retired = addUp([this.retired, cumulativeOnly(last)]);
  }

  /**
   * The merged registry for one scrape: `own` (the primary's) first, then the workers in `round` order
   * (the order `first` aggregates by), each with its fresh answer or, when it gave none, its last counts.
   */
  merge(own: MetricsSnapshot, round: readonly { workerId: number; answered: boolean }[]): Registry {
    const parts: MetricsSnapshot[] = [own, this.retired];
    for (const { workerId, answered } of round) {
      const last = this.latest.get(workerId);
      if (last) parts.push(answered ? last : cumulativeOnly(last));
    }
    return AggregatorRegistry.aggregate(parts);
  }
}

/**
 * The primary's registry: its own metrics (the admin's, its process's) are registered here as on any registry;
 * what /metrics serves (metrics()) is those merged with every worker's.
 */
export class ClusterRegistry extends Registry {
  constructor(private readonly mergeWith: (own: MetricsSnapshot) => Promise<Registry>) {
    super();
  }

  override async metrics(): Promise<string> {
    return (await this.mergeWith(await this.getMetricsAsJSON())).metrics();
  }
}
