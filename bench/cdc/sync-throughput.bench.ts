// Apply rate against produce rate: legacy takes row updates as fast as it can, Debezium turns them into
// events on the users topic (its end offset climbs), the forward worker applies and commits them (its
// group's committed offset follows). Both rates come from the same sampler, so they share its resolution.
import { seedLegacyUsers } from '../../migrations/legacy/seed/seed-legacy-users';
import { openSyncBench, round, sampleOffsets, until, type BenchOptions, type BenchResult, type OffsetSample } from './sync-bench-harness';

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

export async function syncThroughputBench(options: BenchOptions): Promise<BenchResult> {
  const users = options.quick ? 5_000 : 20_000;
  const rounds = options.quick ? 4 : 5;
  const changes = users * rounds;
  const bench = await openSyncBench('throughput');
  try {
    options.progress(`seeding ${users} legacy users`);
    await seedLegacyUsers({ pool: bench.legacy, count: users, seed: 7 });
    await bench.startForwardWorker();
    await until('the worker to apply the seeded users', async () => {
      const { end, committed } = await bench.offsets();
      return end >= users && committed >= end ? true : undefined;
    }, { timeoutMs: 10 * 60_000, everyMs: 500 });
    const { end: startOffset } = await bench.offsets();

    options.progress(`writing ${changes} row updates (${rounds} rounds over ${users} users, ${ROWS_PER_TRANSACTION} rows a transaction, ${WRITERS} writers)`);
    const sampler = sampleOffsets(bench, SAMPLE_EVERY_MS);
    const writeStarted = performance.now();
    let nextBatch = 0;
    const batches = Math.ceil(users / ROWS_PER_TRANSACTION) * rounds;
    const batchesPerRound = Math.ceil(users / ROWS_PER_TRANSACTION);
    const writer = async () => {
      for (let batch = nextBatch++; batch < batches; batch = nextBatch++) {
        const round = Math.floor(batch / batchesPerRound);
        const first = (batch % batchesPerRound) * ROWS_PER_TRANSACTION + 1;
        await bench.legacy.query(
          `UPDATE public.users SET disp_nm = 'Bench ' || usr_id || ' round ' || $3::int, updated_ts = timezone('utc', now()) WHERE usr_id BETWEEN $1 AND $2`,
          [first, Math.min(users, first + ROWS_PER_TRANSACTION - 1), round],
        );
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, writer));
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
    const produceRate = changes / ((produced.end - produced.start) / 1000);
    const applyRate = changes / ((applied.end - applied.start) / 1000);
    const maxBacklog = Math.max(...samples.map((s) => s.end - s.committed));
    const deadLetters = Number((await bench.control.query<{ n: string }>('SELECT count(*) AS n FROM control.dead_letters')).rows[0]!.n);
    return {
      name: 'apply rate vs produce rate',
      ratio: { label: 'apply / produce', value: round(applyRate / produceRate), reading: '>= 1: the forward worker keeps up with Debezium; < 1: it is the bottleneck' },
      baseline: { label: 'Debezium produce rate', value: round(produceRate, 0), unit: 'events/s' },
      measured: { label: 'forward apply rate', value: round(applyRate, 0), unit: 'events/s' },
      raw: {
        changes,
        users,
        legacyWriteRate: round(changes / (writeMs / 1000), 0),
        legacyWriteSeconds: round(writeMs / 1000),
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
