import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { round as roundTo } from '../cdc/sync-bench-harness';

const run = promisify(execFile);

export interface LatencySummary {
  readonly requests: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Completed requests per second over the measured window. */
  readonly rate: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summarise(latencies: number[], errors: number, seconds: number): LatencySummary {
  latencies.sort((a, b) => a - b);
  const round = (n: number) => roundTo(n, 3);
  return {
    requests: latencies.length,
    errors,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies.at(-1) ?? Number.NaN),
    rate: Math.round(latencies.length / seconds),
  };
}

function get(agent: http.Agent, url: URL, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.request({ host: url.hostname, port: url.port, path, method: 'GET', agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode === 200));
      response.on('error', () => resolve(false));
    });
    request.on('error', () => resolve(false));
    request.end();
  });
}

const pathOf = (i: number) => `/api/users/${1 + (i % 1000)}/account`;

/**
 * Open loop: requests are sent on a fixed schedule whatever the answers do, and each latency is measured
 * from the moment its request was due, so a stall shows in the tail instead of slowing the load down
 * (no coordinated omission). The schedule is kept by a 1 ms timer that sends every request that has come due:
 * spinning on setImmediate would hold one of the machine's two cores at 100% and starve the very processes
 * being measured. The timer's own lateness is in every target's figures alike, so it cancels out of "added".
 */
export async function pacedLoad(baseUrl: string, ratePerSecond: number, seconds: number): Promise<LatencySummary> {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(ratePerSecond * seconds);
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && started + (sent * 1000) / ratePerSecond <= now) {
        const due = started + (sent * 1000) / ratePerSecond;
        pending.push(
          get(agent, url, pathOf(sent)).then((ok) => {
            if (ok) latencies.push(performance.now() - due);
            else errors += 1;
          }),
        );
        sent += 1;
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
  agent.destroy();
  return summarise(latencies, errors, seconds);
}

export const WRK_BINARY = process.env.STRANGLER_WRK_BIN ?? '/usr/bin/wrk';

/**
 * Closed loop at a fixed concurrency, as fast as the target answers: its saturation throughput. Driven by
 * wrk (C, one thread), not by Node: a Node client costs about as much CPU per request as the proxy under
 * test, and on two cores it would measure how the two share the machine rather than what the target can do.
 * The script walks the same 1,000 account paths as the open loop.
 */
export async function saturationLoad(baseUrl: string, concurrency: number, seconds: number): Promise<LatencySummary> {
  if (!existsSync(WRK_BINARY)) throw new Error(`wrk is not installed at ${WRK_BINARY}: apt-get install -y wrk (or set STRANGLER_WRK_BIN)`);
  const folder = mkdtempSync(join(tmpdir(), 'strangler-bench-wrk-'));
  const script = join(folder, 'paths.lua');
  writeFileSync(script, String.raw`
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/api/users/" .. (1 + counter % 1000) .. "/account")
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("STRANGLER {\"requests\":%d,\"errors\":%d,\"micros\":%d,\"p50\":%d,\"p99\":%d,\"max\":%d}\n",
    summary.requests, errors, summary.duration, latency:percentile(50), latency:percentile(99), latency.max))
end
`);
  try {
    const { stdout } = await run(WRK_BINARY, ['-t1', `-c${concurrency}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, baseUrl]);
    const line = stdout.split('\n').find((l) => l.startsWith('STRANGLER '));
    if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
    const r = JSON.parse(line.slice('STRANGLER '.length)) as { requests: number; errors: number; micros: number; p50: number; p99: number; max: number };
    const ms = (micros: number) => Math.round(micros) / 1000;
    return { requests: r.requests, errors: r.errors, p50Ms: ms(r.p50), p99Ms: ms(r.p99), maxMs: ms(r.max), rate: Math.round((r.requests - r.errors) / (r.micros / 1e6)) };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
