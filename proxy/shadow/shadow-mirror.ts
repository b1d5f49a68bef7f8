import http from 'node:http';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { ProxyMetrics } from '../proxy-metrics';
import type { RouteDefinition } from '../routing/route-table';
import type { Context } from '../stages/stages';
import { compareResponses, type Difference, type ObservedResponse } from './shadow-comparison';

export type ShadowResult = 'match' | 'mismatch' | 'lag' | 'error';

export interface ShadowMirrorOptions {
  readonly legacyUrl: string;
  readonly newServiceUrl: string;
  /** Keep-alive agents of their own, so mirrored reads never queue behind client traffic for a socket. */
  readonly legacyAgent: http.Agent;
  readonly newAgent: http.Agent;
  readonly control: Pool;
  readonly logger: Logger;
  readonly metrics: ProxyMetrics;
  readonly clock: () => Date;
  /** Mirrored reads in flight at once; beyond it a read is not mirrored (and counted as dropped). */
  readonly maxInFlight: number;
  readonly timeoutMs: number;
  /** A difference is looked at again this many times, this far apart, before it counts as a mismatch. */
  readonly lagRechecks: number;
  readonly lagRecheckDelayMs: number;
  /** How often the counts and samples go to the control plane. */
  readonly flushEveryMs: number;
  /** The newest mismatches kept per context in control.shadow_mismatches. */
  readonly samplesKept: number;
}

interface Sample {
  readonly context: Context;
  readonly route: string;
  readonly result: 'mismatch' | 'lag';
  readonly userId: string | null;
  readonly differences: readonly Difference[];
}

/** Samples written per context per flush: a storm of mismatches must not become a storm of inserts. */
const SAMPLES_PER_FLUSH = 10;

/**
 * The shadow stage's comparison, entirely off the client's path: legacy has already answered the client
 * when a read gets here. The new service is asked the same read, both answers are compared under the
 * route's rules, and a difference is looked at again (both sides re-read) before it counts: one that
 * disappears was the forward sync catching up (`lag`), one that stays is a `mismatch`. Counts go to
 * control.shadow_comparisons per minute (each instance adds its own), a redacted sample of differences to
 * control.shadow_mismatches, so the guards and the admin API see the whole fleet.
 */
export class ShadowMirror {
  private inFlight = 0;
  private readonly counts = new Map<string, number>();
  private samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();
  private flushing: Promise<void> | undefined;

  constructor(private readonly options: ShadowMirrorOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushEveryMs);
    this.timer.unref();
  }

  /** Waits for the comparisons under way, then writes what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([...this.running]);
    await this.flush();
  }

  /** Called once legacy's answer to a shadowed read is complete. Never throws, never waits. */
  mirror(context: Context, route: RouteDefinition, userId: string | null, path: string, headers: http.IncomingHttpHeaders, legacy: ObservedResponse): void {
    if (this.inFlight >= this.options.maxInFlight) {
      this.options.metrics.shadowDropped.inc({ context, reason: 'saturated' });
      return;
    }
    this.inFlight += 1;
    this.options.metrics.shadowInFlight.set(this.inFlight);
    const work = this.compare(context, route, userId, path, headers, legacy)
      .then((result) => this.count(context, result))
      .catch((error: unknown) => {
        this.options.logger.error({ err: error, route: route.key }, 'shadow comparison failed');
        this.count(context, 'error');
      })
      .finally(() => {
        this.inFlight -= 1;
        this.options.metrics.shadowInFlight.set(this.inFlight);
        this.running.delete(work);
      });
    this.running.add(work);
  }

  private async compare(context: Context, route: RouteDefinition, userId: string | null, path: string, headers: http.IncomingHttpHeaders, legacy: ObservedResponse): Promise<ShadowResult> {
    const rules = route.shadow ?? { ignore: [], normalise: {} };
    // Legacy answered something that is not JSON: there is nothing to compare it with.
    if (!isParsedJson(legacy.body)) return 'error';
    const mirrored = await this.read(this.options.newServiceUrl, this.options.newAgent, path, headers);
    if (mirrored === 'error') return 'error';
    const first = compareResponses(legacy, mirrored, rules);
    if (first.equal) return 'match';
    for (let attempt = 0; attempt < this.options.lagRechecks; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, this.options.lagRecheckDelayMs));
      const [again, againNew] = await Promise.all([
        this.read(this.options.legacyUrl, this.options.legacyAgent, path, headers),
        this.read(this.options.newServiceUrl, this.options.newAgent, path, headers),
      ]);
      if (again === 'error' || againNew === 'error') break;
      if (compareResponses(again, againNew, rules).equal) {
        this.sample({ context, route: route.key, result: 'lag', userId, differences: first.differences });
        return 'lag';
      }
    }
    this.sample({ context, route: route.key, result: 'mismatch', userId, differences: first.differences });
    return 'mismatch';
  }

  private read(baseUrl: string, agent: http.Agent, path: string, headers: http.IncomingHttpHeaders): Promise<ObservedResponse | 'error'> {
    return new Promise((resolve) => {
      const request = http.request(`${baseUrl}${path}`, {
        method: 'GET',
        agent,
        headers: { accept: headers.accept ?? 'application/json', 'x-strangler-shadow': '1' },
        timeout: this.options.timeoutMs,
      });
      request.on('timeout', () => request.destroy(new Error('shadow read timed out')));
      request.on('error', (error) => {
        this.options.logger.warn({ err: error }, 'shadow read failed');
        resolve('error');
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', () => resolve('error'));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 500) return resolve('error');
          const parsed = parseJson(Buffer.concat(chunks));
          resolve(parsed === INVALID ? 'error' : { status, body: parsed });
        });
      });
      request.end();
    });
  }

  private count(context: Context, result: ShadowResult): void {
    this.options.metrics.shadowComparisons.inc({ context, result });
    const minute = new Date(Math.floor(this.options.clock().getTime() / 60_000) * 60_000).toISOString();
    const key = `${context}|${result}|${minute}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  private sample(sample: Sample): void {
    if (this.samples.filter((s) => s.context === sample.context).length < SAMPLES_PER_FLUSH) this.samples.push(sample);
  }

  /** Writes the counts and samples gathered since the last flush; on failure they wait for the next one. */
  flush(): Promise<void> {
    this.flushing ??= this.writeOut().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writeOut(): Promise<void> {
    if (this.counts.size === 0 && this.samples.length === 0) return;
    const counts = [...this.counts.entries()];
    const samples = this.samples;
    this.counts.clear();
    this.samples = [];
    const client = await this.options.control.connect().catch((error: unknown) => error as Error);
    if (client instanceof Error) {
      this.restore(counts, samples);
      this.options.logger.warn({ err: client }, 'cannot write shadow comparisons to the control plane: kept for the next flush');
      return;
    }
    try {
      await client.query('BEGIN');
      for (const [key, count] of counts) {
        const [context, result, minute] = key.split('|');
        await client.query(
          `INSERT INTO control.shadow_comparisons (context, result, minute, count) VALUES ($1, $2, $3, $4)
           ON CONFLICT (context, result, minute) DO UPDATE SET count = control.shadow_comparisons.count + EXCLUDED.count`,
          [context, result, minute, count],
        );
      }
      for (const sample of samples) {
        await client.query('INSERT INTO control.shadow_mismatches (context, route, result, usr_id, differences) VALUES ($1, $2, $3, $4, $5)', [
          sample.context,
          sample.route,
          sample.result,
          sample.userId,
          JSON.stringify(sample.differences),
        ]);
      }
      for (const context of new Set(samples.map((s) => s.context))) {
        await client.query(
          `DELETE FROM control.shadow_mismatches WHERE context = $1
             AND id < (SELECT min(id) FROM (SELECT id FROM control.shadow_mismatches WHERE context = $1 ORDER BY id DESC LIMIT $2) AS newest)`,
          [context, this.options.samplesKept],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => this.options.logger.warn({ err: rollbackError }, 'rollback of a failed shadow flush failed'));
      this.restore(counts, samples);
      this.options.logger.warn({ err: error }, 'cannot write shadow comparisons to the control plane: kept for the next flush');
    } finally {
      client.release();
    }
  }

  private restore(counts: [string, number][], samples: Sample[]): void {
    for (const [key, count] of counts) this.counts.set(key, (this.counts.get(key) ?? 0) + count);
    this.samples = [...samples, ...this.samples].slice(0, SAMPLES_PER_FLUSH * 3);
  }
}

const INVALID = Symbol('invalid JSON');

export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return INVALID;
  }
}

export function isParsedJson(value: unknown): boolean {
  return value !== INVALID;
}
