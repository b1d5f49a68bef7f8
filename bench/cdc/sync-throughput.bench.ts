// Apply rate against produce rate: legacy takes row updates, Debezium turns them into events on the users
// topic (its end offset climbs), the forward worker applies and commits them (its group's committed offset
// follows). Both rates come from the same sampler, so they share its resolution. Two ways to write:
// `steady` paces the updates at a fixed rate (the "steady writes": does the worker keep up?), and
// `throughput` writes them as fast as legacy takes them (a burst: the worker's capacity against Debezium's).
import { seedLegacyUsers } from '../../migrations/legacy/seed/seed-legacy-users';
import { openSyncBench, round, sampleOffsets, sleep, until, type BenchOptions, type BenchResult, type OffsetSample } from './sync-bench-harness';

const SAMPLE_EVERY_MS = 100;

/** Rows per UPDATE (one transaction each) and writers side by side. */
const ROWS_PER_TRANSACTION = 200;
const WRITERS = 2;

/** First sample where `value` passed `from`, and first where it reached `to`. */
function window(samples: OffsetSample[], value: (s: OffsetSample) => number, from: number, to: number): { start: number; end: number } {
  const start = samples.find((s) => value(s) > from);
  const end = samples.find((s) => value(s) >= to);
  if (!start || !end) throw new Error('the sampler never saw the whole stream');
  // The stream began after the last sample that had not moved yet; take that sample as its start.
  const before = samples[samples.indexOf(start) - 1] ?? start;
  return { start: before.at, end: end.at };
}

/** The rates between the samples nearest to 20% and 80% of the write period. */
function steadyMiddle(samples: OffsetSample[], from: number, to: number): { produceRate: number; applyRate: number; seconds: number } {
  const at = (t: number) => samples.reduce((best, s) => (Math.abs(s.at - t) < Math.abs(best.at - t) ? s : best));
  const first = at(from + (to - from) * 0.2);
  const last = at(from + (to - from) * 0.8);
  const seconds = (last.at - first.at) / 1000;
  return { produceRate: (last.end - first.end) / seconds, applyRate: (last.committed - first.committed) / seconds, seconds };
}

export const DEFAULT_STEADY_RATE = 2_000;
/** Paced writes go out every TICK_MS, against the start so a slow tick does not slow the run. */
const TICK_MS = 10;

export function syncThroughputBench(options: BenchOptions): Promise<BenchResult> {
  const users = options.quick ? 5_000 : 20_000;
  return applyAgainstProduce(options, { users, changes: users * (options.quick ? 4 : 5) });
}

export function syncSteadyBench(options: BenchOptions): Promise<BenchResult> {
  const rate = options.steadyRate ?? DEFAULT_STEADY_RATE;
  const seconds = options.quick ? 10 : 30;
  return applyAgainstProduce(options, { users: 20_000, changes: rate * seconds, pacedRate: rate });
}

async function applyAgainstProduce(options: BenchOptions, { users, changes, pacedRate }: { users: number; changes: number; pacedRate?: number }): Promise<BenchResult> {
  const bench = await openSyncBench(pacedRate ? 'steady' : 'throughput');
  try {
    options.progress(`seeding ${users} legacy users`);
    await seedLegacyUsers({ pool: bench.legacy, count: users, seed: 7 });
    await bench.startForwardWorker();
    await until('the worker to apply the seeded users', async () => {
      const { end, committed } = await bench.offsets();
      return end >= users && committed >= end ? true : undefined;
    }, { timeoutMs: 10 * 60_000, everyMs: 500 });
    const { end: startOffset } = await bench.offsets();

    const sampler = sampleOffsets(bench, SAMPLE_EVERY_MS);
    const writeStarted = performance.now();
    // Each change renames one user; the n-th change goes to user (n mod users) + 1, so every row changes
    // once per lap. A range that runs past the last user wraps to the first, in a second statement.
    const update = async (from: number, count: number): Promise<void> => {
      const first = (from % users) + 1;
      const last = Math.min(users, first + count - 1);
      await bench.legacy.query(
        `UPDATE public.users SET disp_nm = 'Bench ' || usr_id || ' change ' || $3::int, updated_ts = timezone('utc', now()) WHERE usr_id BETWEEN $1 AND $2`,
        [first, last, from],
      );
      const rest = count - (last - first + 1);
      if (rest > 0) await update(from + (last - first + 1), rest);
    };
    if (pacedRate) {
      const perTick = Math.max(1, Math.round((pacedRate * TICK_MS) / 1000));
      options.progress(`writing ${changes} row updates at ${pacedRate}/s (${perTick} rows every ${TICK_MS} ms) over ${users} users`);
      const writes: Promise<unknown>[] = [];
      for (let tick = 0; tick * perTick < changes; tick++) {
        const wait = writeStarted + tick * TICK_MS - performance.now();
        if (wait > 0) await sleep(wait);
        writes.push(update(tick * perTick, Math.min(perTick, changes - tick * perTick)));
      }
      await Promise.all(writes);
    } else {
      options.progress(`writing ${changes} row updates as fast as legacy takes them (${ROWS_PER_TRANSACTION} rows a transaction, ${WRITERS} writers) over ${users} users`);
      let next = 0;
      const writer = async () => {
        while (next < changes) {
          const from = next;
          const count = Math.min(ROWS_PER_TRANSACTION, changes - from);
          next += count;
          await update(from, count);
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, writer));
    }
    const writeMs = performance.now() - writeStarted;
    const progressTimer = setInterval(() => {
      const last = sampler.samples[sampler.samples.length - 1];
      if (last) options.progress(`  produced ${last.end - startOffset}/${changes}, applied ${last.committed - startOffset}/${changes}`);
    }, 5_000);
    try {
      await until('the worker to apply every update', async () => {
        const last = sampler.samples[sampler.samples.length - 1];
        return last && last.committed >= startOffset + changes ? true : undefined;
      }, { timeoutMs: 15 * 60_000, everyMs: 250 });
    } finally {
      clearInterval(progressTimer);
    }
    const samples = await sampler.stop();

    const produced = window(samples, (s) => s.end, startOffset, startOffset + changes);
    const applied = window(samples, (s) => s.committed, startOffset, startOffset + changes);
    const wholeProduceRate = changes / ((produced.end - produced.start) / 1000);
    const wholeApplyRate = changes / ((applied.end - applied.start) / 1000);
    // Steady writes: both rates over the same middle of the write period, where neither the start-up nor
    // the last change's lag weighs in. A burst has no steady middle: its rates are over each whole stream.
    const middle = pacedRate ? steadyMiddle(samples, writeStarted, writeStarted + writeMs) : undefined;
    const produceRate = middle?.produceRate ?? wholeProduceRate;
    const applyRate = middle?.applyRate ?? wholeApplyRate;
    const maxBacklog = Math.max(...samples.map((s) => s.end - s.committed));
    const deadLetters = Number((await bench.control.query<{ n: string }>('SELECT count(*) AS n FROM control.dead_letters')).rows[0]!.n);
    return {
      name: pacedRate ? `apply rate vs produce rate, steady writes at ${pacedRate}/s` : 'apply rate vs produce rate, burst',
      ratio: { label: 'apply / produce', value: round(applyRate / produceRate), reading: '>= 1: the forward worker keeps up with Debezium; < 1: it is the bottleneck' },
      baseline: { label: 'Debezium produce rate', value: round(produceRate, 0), unit: 'events/s' },
      measured: { label: 'forward apply rate', value: round(applyRate, 0), unit: 'events/s' },
      raw: {
        changes,
        users,
        ...(pacedRate ? { pacedRate } : {}),
        legacyWriteRate: round(changes / (writeMs / 1000), 0),
        legacyWriteSeconds: round(writeMs / 1000),
        ...(middle ? { steadyWindowSeconds: round(middle.seconds), wholeStreamApplyOverProduce: round(wholeApplyRate / wholeProduceRate) } : {}),
        produceSeconds: round((produced.end - produced.start) / 1000),
        applySeconds: round((applied.end - applied.start) / 1000),
        maxBacklogEvents: maxBacklog,
        appliedLastAfterProducedLastSeconds: round((applied.end - produced.end) / 1000),
        sampleEveryMs: SAMPLE_EVERY_MS,
        deadLettersIncludingSeed: deadLetters,
      },
    };
  } finally {
    await bench.close();
  }
}
