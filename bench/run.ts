// npm run bench [-- --quick] [--only steady,throughput,lag,backfill,proxy] [--lag-rate 1000] [--steady-rate 2000]
// Runs the sync benchmarks in one process against the native stack (started here if it is not up),
// prints each result as a ratio against its same-run baseline with the raw numbers beside it, and writes
// everything to bench/results/<timestamp>.json. Everything shares one machine: read ratios, not rates.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { stackStatus, stackUp } from '../stack/native-stack';
import { backfillBench } from './cdc/backfill.bench';
import type { BenchOptions, BenchResult } from './cdc/sync-bench-harness';
import { proxyBench } from './proxy/proxy.bench';
import { syncLagBench } from './cdc/sync-lag.bench';
import { syncSteadyBench, syncThroughputBench } from './cdc/sync-throughput.bench';

const BENCHMARKS: Record<string, (options: BenchOptions) => Promise<BenchResult>> = {
  steady: syncSteadyBench,
  throughput: syncThroughputBench,
  lag: syncLagBench,
  backfill: backfillBench,
  proxy: proxyBench,
};

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function describe(result: BenchResult): string {
  const { ratio, baseline, measured } = result;
  return [
    `${result.name}: ${ratio.label} = ${ratio.value}`,
    `    ${measured.label}: ${measured.value} ${measured.unit}   baseline, ${baseline.label}: ${baseline.value} ${baseline.unit}`,
    `    (${ratio.reading})`,
    `    raw: ${JSON.stringify(result.raw)}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = argument('--only')?.split(',') ?? Object.keys(BENCHMARKS);
  const rateArgument = (name: string) => {
    const rate = argument(name) === undefined ? undefined : Number(argument(name));
    if (rate !== undefined && !(Number.isInteger(rate) && rate > 0)) throw new Error(`${name} takes a positive whole number of changes per second`);
    return rate;
  };
  const lagRate = rateArgument('--lag-rate');
  const steadyRate = rateArgument('--steady-rate');
  const unknown = only.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);

  const started = new Date();
  const clock = () => `${((Date.now() - started.getTime()) / 1000).toFixed(0).padStart(4)} s`;
  const progress = (line: string) => process.stdout.write(`[${clock()}] ${line}\n`);
  if (!(await stackStatus()).allUp) {
    progress('the native stack is not up: starting it (npm run stack:down stops it afterwards)');
    await stackUp();
  }
  progress(`${quick ? 'quick' : 'full'} run of ${only.join(', ')} on ${cpus().length} cores; load generator, PostgreSQL, Kafka, Connect and the worker share them`);

  const results: BenchResult[] = [];
  const failures: { name: string; error: string }[] = [];
  for (const name of only) {
    progress(`--- ${name}`);
    try {
      const result = await BENCHMARKS[name]!({ quick, ...(lagRate === undefined ? {} : { lagRate }), ...(steadyRate === undefined ? {} : { steadyRate }), progress: (line) => progress(`${name}: ${line}`) });
      results.push(result);
      process.stdout.write(`${describe(result)}\n`);
    } catch (error) {
      // One broken benchmark should not cost the others' numbers; the run still fails at the end.
      failures.push({ name, error: error instanceof Error ? error.stack ?? error.message : String(error) });
      progress(`${name} FAILED: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const folder = join(__dirname, 'results');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ startedAt: started.toISOString(), quick, cores: cpus().length, node: process.version, results, failures }, null, 2)}\n`);
  progress(`wrote ${file}`);
  if (failures.length > 0) process.exitCode = 1;
}

main().then(
  // kafkajs and pg leave timers behind on some error paths; a finished run must not hang.
  () => process.exit(),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
