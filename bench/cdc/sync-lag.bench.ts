// End-to-end lag at a paced 1,000 row changes per second: each change updates a different legacy user
// once, so the user's row in sync.forward_positions turns up (or moves to a new Kafka offset) exactly when
// that change has been applied and committed in user_service. Lag = when a poller first sees it there
// minus when legacy acknowledged the UPDATE's commit (an upper bound of the commit time), both on this
// process's clock. The worker's own view (strangler_cdc_lag_seconds, from Debezium's source.ts_ms) is
// reported beside it, as bucket bounds.
import type { Histogram } from 'prom-client';
import type { LogConsumer } from '../../cdc/kafka/event-log';
import { seedLegacyUsers } from '../../migrations/legacy/seed/seed-legacy-users';
import { openSyncBench, quantile, round, sleep, until, type BenchOptions, type BenchResult } from './sync-bench-harness';

const DEFAULT_CHANGES_PER_SECOND = 1_000;
const TICK_MS = 20;
const POLL_EVERY_MS = 25;
const TARGET_P99_SECONDS = 1;

/** Bucket upper bound under which the histogram puts quantile q of the observations made since `before`. */
function histogramQuantile(buckets: Map<number, number>, before: Map<number, number>, q: number): number {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = (buckets.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const bound of bounds) {
    if ((buckets.get(bound) ?? 0) - (before.get(bound) ?? 0) >= q * total) return bound;
  }
  return Infinity;
}

async function lagBuckets(histogram: Histogram<'direction'>): Promise<Map<number, number>> {
  const { values } = await histogram.get();
  const buckets = new Map<number, number>();
  for (const value of values) {
    if (value.metricName !== 'strangler_cdc_lag_seconds_bucket' || value.labels.direction !== 'forward') continue;
    const le = (value.labels as Record<string, string | number | undefined>).le;
    buckets.set(le === '+Inf' ? Infinity : Number(le), value.value);
  }
  return buckets;
}

export async function syncLagBench(options: BenchOptions): Promise<BenchResult> {
  const seconds = options.quick ? 10 : 30;
  const rate = options.lagRate ?? DEFAULT_CHANGES_PER_SECOND;
  const changes = rate * seconds;
  // Whole rows per tick; the tick's length is adjusted so that the rate is exact.
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const tickMs = (perTick * 1000) / rate;
  const bench = await openSyncBench('lag');
  let observer: LogConsumer | undefined;
  try {
    options.progress(`seeding ${changes} legacy users (one change each)`);
    // One more user than changes: the lag observer's probe.
    await seedLegacyUsers({ pool: bench.legacy, count: changes + 1, seed: 11 });
    await bench.startForwardWorker();
    await until('the worker to apply the seeded users', async () => {
      const { end, committed } = await bench.offsets();
      return end >= changes && committed >= end ? true : undefined;
    }, { timeoutMs: 10 * 60_000, everyMs: 500 });
    // Splits the lag in two legs: legacy to Kafka (Debezium and Connect), Kafka to applied (the worker).
    // A second group reads the topic from its end and keeps each update's Kafka timestamp (Connect's
    // produce time, on this machine's clock).
    const inKafkaAt = new Map<number, number>();
    observer = bench.eventLog.consumer({ groupId: `${bench.group}-lag-observer`, topics: [bench.usersTopic], fromBeginning: false });
    await observer.run(async (messages) => {
      for (const message of messages) {
        if (message.value === null) continue;
        const event = JSON.parse(message.value.toString()) as { op?: string; after?: { usr_id?: number } };
        const id = event.after?.usr_id;
        if (event.op === 'u' && id !== undefined && !inKafkaAt.has(id)) inKafkaAt.set(id, Number(message.timestamp) - performance.timeOrigin);
      }
    });
    // Joining a new group takes a rebalance; a probe update shows when the observer reads.
    await until('the lag observer to read the topic', async () => {
      await bench.legacy.query("UPDATE public.users SET updated_ts = timezone('utc', now()) WHERE usr_id = $1", [changes + 1]);
      return inKafkaAt.has(changes + 1) ? true : undefined;
    }, { timeoutMs: 60_000, everyMs: 1_000 });
    await until('the worker to apply the probes', async () => {
      const { end, committed } = await bench.offsets();
      return committed >= end ? true : undefined;
    }, { timeoutMs: 60_000, everyMs: 200 });
    const histogram = bench.registry.getSingleMetric('strangler_cdc_lag_seconds') as Histogram<'direction'>;
    const bucketsBefore = await lagBuckets(histogram);
    // applied_at, not the Kafka offset: offsets only order the changes of one partition.
    const appliedBefore = (await bench.userService.query<{ max: string }>("SELECT coalesce(max(applied_at), '-infinity')::text AS max FROM sync.forward_positions")).rows[0]!.max;

    const ackedAt = new Map<number, number>();
    const seenAt = new Map<number, number>();
    let polling = true;
    let newest = appliedBefore;
    const poller = (async () => {
      while (polling) {
        const next = sleep(POLL_EVERY_MS);
        // applied_at is stamped before its transaction commits, and the partitions' transactions commit in
        // any order: look back a few seconds behind the newest one seen; the seen map keeps the first sighting.
        const { rows } = await bench.userService.query<{ usr_id: string; applied_at: string }>(
          "SELECT usr_id, applied_at::text AS applied_at FROM sync.forward_positions WHERE applied_at > $2::timestamptz AND applied_at >= $1::timestamptz - interval '5 seconds' ORDER BY applied_at", [newest, appliedBefore]);
        const now = performance.now();
        for (const row of rows) {
          if (Number(row.usr_id) <= changes && !seenAt.has(Number(row.usr_id))) seenAt.set(Number(row.usr_id), now);
        }
        if (rows.length > 0) newest = rows[rows.length - 1]!.applied_at;
        await next;
      }
    })();

    options.progress(`writing ${rate} changes/s for ${seconds} s (${perTick} rows every ${round(tickMs, 1)} ms)`);
    const started = performance.now();
    const writes: Promise<void>[] = [];
    let lastReport = started;
    for (let tick = 0; tick * perTick < changes; tick++) {
      // Paced against the start, not the previous tick, so a slow tick does not slow the whole run.
      const due = started + tick * tickMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const first = tick * perTick + 1;
      const last = Math.min(changes, first + perTick - 1);
      writes.push(bench.legacy.query(
        `UPDATE public.users SET disp_nm = 'Paced ' || usr_id, updated_ts = timezone('utc', now()) WHERE usr_id BETWEEN $1 AND $2`, [first, last],
      ).then(() => {
        const at = performance.now();
        for (let id = first; id <= last; id++) ackedAt.set(id, at);
      }));
      if (performance.now() - lastReport > 5_000) {
        lastReport = performance.now();
        options.progress(`  written ${last}/${changes}, seen applied ${seenAt.size}`);
      }
    }
    await Promise.all(writes);
    const writeSeconds = (performance.now() - started) / 1000;
    await until('every paced change to be applied', async () => (seenAt.size >= changes ? true : undefined), { timeoutMs: 10 * 60_000, everyMs: 250 });
    polling = false;
    await poller;

    const lags = [...ackedAt].map(([id, acked]) => (seenAt.get(id)! - acked) / 1000).sort((a, b) => a - b);
    const p50 = quantile(lags, 0.5);
    const p99 = quantile(lags, 0.99);
    const toKafka = [...ackedAt].filter(([id]) => inKafkaAt.has(id)).map(([id, acked]) => (inKafkaAt.get(id)! - acked) / 1000).sort((a, b) => a - b);
    const toApplied = [...inKafkaAt].filter(([id]) => ackedAt.has(id)).map(([id, inKafka]) => (seenAt.get(id)! - inKafka) / 1000).sort((a, b) => a - b);
    const bucketsAfter = await lagBuckets(histogram);
    return {
      name: `lag at ${rate.toLocaleString('en-US')} changes/s`,
      ratio: { label: 'p99 lag / 1 s target', value: round(p99 / TARGET_P99_SECONDS), reading: '< 1: within the target (p99 under one second)' },
      baseline: { label: 'target p99', value: TARGET_P99_SECONDS, unit: 's' },
      measured: { label: 'end-to-end p99 lag', value: round(p99, 3), unit: 's' },
      raw: {
        changes,
        targetRate: rate,
        achievedWriteRate: round(changes / writeSeconds, 0),
        p50Seconds: round(p50, 3),
        p90Seconds: round(quantile(lags, 0.9), 3),
        p99Seconds: round(p99, 3),
        maxSeconds: round(lags[lags.length - 1]!, 3),
        pollEveryMs: POLL_EVERY_MS,
        workerHistogramP50AtMostSeconds: histogramQuantile(bucketsAfter, bucketsBefore, 0.5),
        workerHistogramP99AtMostSeconds: histogramQuantile(bucketsAfter, bucketsBefore, 0.99),
        legacyToKafkaP50Seconds: round(quantile(toKafka, 0.5), 3),
        legacyToKafkaP99Seconds: round(quantile(toKafka, 0.99), 3),
        kafkaToAppliedP50Seconds: round(quantile(toApplied, 0.5), 3),
        kafkaToAppliedP99Seconds: round(quantile(toApplied, 0.99), 3),
        changesSeenInKafka: toKafka.length,
      },
    };
  } finally {
    await observer?.stop();
    await bench.close();
  }
}
