import http, { type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { until } from '../../cdc/test/until';
import { runMigrationSet } from '../../migrations/migrate';
import { migrationSets } from '../../migrations/migration-sets';
import { dropDatabase, endPool, throwawayDatabaseUrl } from '../../migrations/test/throwaway-database';
import { startProxy, type ProxyOptions, type RunningProxy } from '../proxy-server';
import type { Context, Stage } from '../stages/stages';

export const testLogger: Logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

/** A forward sync that never catches up (pins hold for ever) or always has (pins go at the first check). */
export const syncNeverCaughtUp = { sourcePosition: async () => '0/1', caughtUp: async () => false };
export const syncAlwaysCaughtUp = { sourcePosition: async () => '0/1', caughtUp: async () => true };

/** A throwaway `strangler` control database, migrated, with a way to set a context's row directly. */
export interface ControlPlane {
  readonly url: string;
  readonly pool: Pool;
  setStage(context: Context, stage: Stage, options?: { canaryPercent?: number; writesHeld?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

/** `shared`: a control database someone else (a sync sandbox) created, migrated and drops. */
export async function startControlPlane(url = throwawayDatabaseUrl('proxy_control_it'), shared = false): Promise<ControlPlane> {
  if (!shared) await runMigrationSet(migrationSets.control, url);
  const pool = new Pool({ connectionString: url, max: 4 });
  // Tests drop the database under a running proxy (an unreachable store): idle clients then fail here.
  pool.on('error', (error) => testLogger.debug({ err: error }, 'control pool client failed'));
  return {
    url,
    pool,
    async setStage(context, stage, { canaryPercent = 0, writesHeld = false } = {}) {
      await pool.query(
        `UPDATE control.context_stages SET stage = $2, canary_percent = $3, version = version + 1, changed_at = now(),
           writes_held_since = CASE WHEN $4 THEN now() END, writes_held_reason = CASE WHEN $4 THEN 'test' END
         WHERE context = $1`,
        [context, stage, canaryPercent, writesHeld],
      );
    },
    async stop() {
      await endPool(pool);
      if (!shared) await dropDatabase(url);
    },
  };
}

export interface UpstreamHit {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * A tiny real upstream that says which side it is and what it received: routing tests need to know who
 * answered, not what a user is. `delayMs` makes it slow, `bodyBytes` makes its answer large.
 */
export interface EchoUpstream {
  readonly url: string;
  readonly hits: UpstreamHit[];
  delayMs: number;
  bodyBytes: number;
  /** When set, requests are answered with these JSON bodies in turn (the last one from then on). */
  answers: unknown[] | undefined;
  stop(): Promise<void>;
}

export async function startEchoUpstream(side: string): Promise<EchoUpstream> {
  const upstream = { hits: [] as UpstreamHit[], delayMs: 0, bodyBytes: 0, answers: undefined } as EchoUpstream;
  const server: Server = http.createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const hit = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      upstream.hits.push(hit);
      const scripted = upstream.answers && (upstream.answers.length > 1 ? upstream.answers.shift() : upstream.answers[0]);
      const answer = () => {
        if (res.destroyed) return;
        const padding = upstream.bodyBytes > 0 ? 'x'.repeat(upstream.bodyBytes) : undefined;
        const body = JSON.stringify(scripted ?? { side, method: hit.method, url: hit.url, bodyLength: hit.body.length, ...(padding ? { padding } : {}) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      };
      if (upstream.delayMs > 0) setTimeout(answer, upstream.delayMs);
      else answer();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return Object.assign(upstream, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

export interface TestProxy extends RunningProxy {
  readonly url: string;
  readonly registry: Registry;
  /** The value of one sample of a metric, 0 when absent. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

export async function startTestProxy(options: Partial<ProxyOptions> & Pick<ProxyOptions, 'legacyUrl' | 'newServiceUrl' | 'control'>): Promise<TestProxy> {
  const registry = options.registry ?? new Registry();
  const proxy = await startProxy({ host: '127.0.0.1', port: 0, registry, logger: testLogger, stagePollMs: 100, ...options });
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${proxy.port}`,
    registry,
    async metric(name: string, labels: Record<string, string> = {}) {
      const found = (await registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val));
      return found?.value ?? 0;
    },
  });
}

/** A JSON request answered in full. */
export async function call(url: string, method = 'GET', json?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const response = await fetch(url, {
    method,
    headers: { ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: response.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : undefined };
}

/** Sets a context's stage and waits until every given proxy acts on it. */
export async function enterStage(control: ControlPlane, proxies: readonly RunningProxy[], context: Context, stage: Stage, options: { canaryPercent?: number; writesHeld?: boolean } = {}): Promise<void> {
  await control.setStage(context, stage, options);
  const held = options.writesHeld ?? false;
  await until(`${context} in ${stage}${held ? ', writes held' : ''}`, () =>
    proxies.every((proxy) => {
      const seen = proxy.health().contexts.find((c) => c.context === context);
      return seen?.stage === stage && seen.canaryPercent === (options.canaryPercent ?? 0) && seen.writesHeld === held;
    }) ? true : undefined,
  { timeoutMs: 5_000, everyMs: 20 });
}

/** A throwaway control plane, two echo upstreams (legacy and new) and a proxy in front: the routing tests' rig. */
export interface EchoRig {
  readonly control: ControlPlane;
  readonly legacy: EchoUpstream;
  readonly fresh: EchoUpstream;
  readonly proxy: TestProxy;
  enter(context: Context, stage: Stage, options?: { canaryPercent?: number; writesHeld?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export async function startEchoRig(options: Partial<ProxyOptions> = {}): Promise<EchoRig> {
  const control = await startControlPlane();
  const legacy = await startEchoUpstream('legacy');
  const fresh = await startEchoUpstream('new');
  const proxy = await startTestProxy({ legacyUrl: legacy.url, newServiceUrl: fresh.url, control: control.pool, ...options });
  return {
    control,
    legacy,
    fresh,
    proxy,
    enter: (context, stage, stageOptions) => enterStage(control, [proxy], context, stage, stageOptions),
    async stop() {
      await proxy.stop();
      await Promise.all([legacy.stop(), fresh.stop()]);
      await control.stop();
    },
  };
}
