// Two workers' real registries (createProxyMetrics, as startProxy builds them) merged as the primary's
// /metrics merges them: what must add up does, and what describes the shared control plane is not doubled.
import { Counter, Gauge, Registry } from 'prom-client';
import { createProxyMetrics, observeStages, type LiveReadings } from '../proxy-metrics';
import { CONTEXTS, type Context, type Stage, type StageTable } from '../stages/stages';
import { MergedMetrics, addUp, cumulativeOnly } from './merged-metrics';

function worker(live: Partial<LiveReadings> = {}) {
  const registry = new Registry();
  const readings: LiveReadings = { stateStore: () => ({ reachable: true, ageMs: 100 }), pinnedUsers: () => 0, heldWrites: () => new Map(), leaseWritable: () => true, ...live };
  return { registry, metrics: createProxyMetrics(registry, readings) };
}

function table(stages: Partial<Record<Context, { stage: Stage; canaryPercent?: number; held?: boolean }>>): StageTable {
  return Object.fromEntries(
    CONTEXTS.map((context) => {
      const row = stages[context] ?? { stage: 'legacy' as Stage };
      return [context, { context, stage: row.stage, canaryPercent: row.canaryPercent ?? 0, version: 1, changedAt: new Date(0), writesHeldSince: row.held ? new Date(0) : null }];
    }),
  ) as unknown as StageTable;
}

async function samples(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Object.fromEntries((metric?.values ?? []).map((v) => [`${(v as { metricName?: string }).metricName ?? name}${JSON.stringify(v.labels)}`, v.value]));
}

const both = (a: { registry: Registry }, b: { registry: Registry }) => Promise.all([a.registry.getMetricsAsJSON(), b.registry.getMetricsAsJSON()]);

describe('metrics merged across PROXY_WORKERS', () => {
  test('request counts and latency histograms add up over the workers', async () => {
    const a = worker();
    const b = worker();
    a.metrics.requests.add('identity', 'account.read', 'legacy', '200');
    a.metrics.requests.add('identity', 'account.read', 'legacy', '200');
    b.metrics.requests.add('identity', 'account.read', 'legacy', '200');
    b.metrics.requests.add('profile', 'profile.write', 'proxy', '503');
    a.metrics.requestDuration.observe({ context: 'identity', backend: 'legacy' }, 0.0015);
    b.metrics.requestDuration.observe({ context: 'identity', backend: 'legacy' }, 0.003);
    const merged = new MergedMetrics();
    const [sa, sb] = await both(a, b);
    merged.record(1, sa);
    merged.record(2, sb);
    const registry = merged.merge([], [{ workerId: 1, answered: true }, { workerId: 2, answered: true }]);

    expect(await samples(registry, 'strangler_proxy_requests_total')).toEqual({
      'strangler_proxy_requests_total{"context":"identity","route":"account.read","backend":"legacy","status":"200"}': 3,
      'strangler_proxy_requests_total{"context":"profile","route":"profile.write","backend":"proxy","status":"503"}': 1,
    });
    const text = await registry.metrics();
    expect(text).toContain('strangler_proxy_request_duration_seconds_bucket{le="0.002",context="identity",backend="legacy"} 1');
    expect(text).toContain('strangler_proxy_request_duration_seconds_bucket{le="0.005",context="identity",backend="legacy"} 2');
    expect(text).toContain('strangler_proxy_request_duration_seconds_count{context="identity",backend="legacy"} 2');
  });

  test('the stage gauge stays at 1 for one stage per context, also while the workers disagree mid-change', async () => {
    const a = worker();
    const b = worker();
    // Worker 1 has read the promotion to canary at 30%; worker 2 has not yet.
    observeStages(a.metrics, table({ identity: { stage: 'canary', canaryPercent: 30 } }));
    observeStages(b.metrics, table({ identity: { stage: 'shadow' } }));
    const merged = new MergedMetrics();
    const [sa, sb] = await both(a, b);
    merged.record(1, sa);
    merged.record(2, sb);
    const registry = merged.merge([], [{ workerId: 1, answered: true }, { workerId: 2, answered: true }]);
    const stages = await samples(registry, 'strangler_context_stage');

    for (const context of CONTEXTS) {
      const ones = Object.entries(stages).filter(([key, value]) => key.includes(`"context":"${context}"`) && value === 1);
      expect(ones).toHaveLength(1);
    }
    expect(stages['strangler_context_stage{"context":"identity","stage":"canary"}']).toBe(1);
    expect(stages['strangler_context_stage{"context":"profile","stage":"legacy"}']).toBe(1);
    expect(await samples(registry, 'strangler_canary_percent')).toMatchObject({ 'strangler_canary_percent{"context":"identity"}': 30 });
  });

  test('a worker cut off from the stage store or its lease shows: up is the least, age the oldest, a hold the most', async () => {
    const a = worker();
    const b = worker({ stateStore: () => ({ reachable: false, ageMs: 7_000 }), leaseWritable: () => false });
    observeStages(a.metrics, table({ profile: { stage: 'writes', held: true } }));
    observeStages(b.metrics, table({ profile: { stage: 'writes' } }));
    const merged = new MergedMetrics();
    const [sa, sb] = await both(a, b);
    merged.record(1, sa);
    merged.record(2, sb);
    const registry = merged.merge([], [{ workerId: 1, answered: true }, { workerId: 2, answered: true }]);

    expect(await samples(registry, 'strangler_proxy_state_store_up')).toEqual({ 'strangler_proxy_state_store_up{}': 0 });
    expect(await samples(registry, 'strangler_proxy_state_age_seconds')).toEqual({ 'strangler_proxy_state_age_seconds{}': 7 });
    expect(await samples(registry, 'strangler_proxy_lease_writable')).toEqual({ 'strangler_proxy_lease_writable{}': 0 });
    expect((await samples(registry, 'strangler_proxy_writes_held'))['strangler_proxy_writes_held{"context":"profile"}']).toBe(1);
  });

  test('two healthy workers on the same store report it up once, not twice', async () => {
    const merged = new MergedMetrics();
    const [sa, sb] = await both(worker(), worker());
    merged.record(1, sa);
    merged.record(2, sb);
    const registry = merged.merge([], [{ workerId: 1, answered: true }, { workerId: 2, answered: true }]);
    expect(await samples(registry, 'strangler_proxy_state_store_up')).toEqual({ 'strangler_proxy_state_store_up{}': 1 });
    expect(await samples(registry, 'strangler_proxy_lease_writable')).toEqual({ 'strangler_proxy_lease_writable{}': 1 });
  });

  test('every gauge of the data plane has a decided way to combine (a new one must choose)', async () => {
    // sum: the worker's own share of something host-wide (its pins, its mirrors, its waiting writes).
    const decided: Record<string, string> = {
      strangler_context_stage: 'first',
      strangler_canary_percent: 'first',
      strangler_proxy_writes_held: 'max',
      strangler_proxy_state_store_up: 'min',
      strangler_proxy_state_age_seconds: 'max',
      strangler_proxy_lease_writable: 'min',
      strangler_proxy_held_writes: 'sum',
      strangler_proxy_read_your_writes_pins: 'sum',
      strangler_shadow_in_flight: 'sum',
    };
    const gauges = (await worker().registry.getMetricsAsJSON()).filter((m) => String(m.type) === 'gauge');
    expect(Object.fromEntries(gauges.map((m) => [m.name, m.aggregator]))).toEqual(decided);
  });

  test('the counts of a worker that exited stay in the sums, so the merged counter never goes back', async () => {
    const a = worker();
    const b = worker();
    for (let i = 0; i < 5; i++) a.metrics.requests.add('identity', 'account.read', 'legacy', '200');
    for (let i = 0; i < 3; i++) b.metrics.requests.add('identity', 'account.read', 'legacy', '200');
    observeStages(a.metrics, table({ identity: { stage: 'shadow' } }));
    const merged = new MergedMetrics();
    const [sa, sb] = await both(a, b);
    merged.record(1, sa);
    merged.record(2, sb);
    const key = 'strangler_proxy_requests_total{"context":"identity","route":"account.read","backend":"legacy","status":"200"}';
    expect((await samples(merged.merge([], [{ workerId: 1, answered: true }, { workerId: 2, answered: true }]), 'strangler_proxy_requests_total'))[key]).toBe(8);

    // Worker 1 dies; its replacement (worker 3) starts from zero and serves one request.
    merged.retire(1);
    const c = worker();
    c.metrics.requests.add('identity', 'account.read', 'legacy', '200');
    observeStages(c.metrics, table({ identity: { stage: 'canary' } }));
    merged.record(3, await c.registry.getMetricsAsJSON());
    const after = merged.merge([], [{ workerId: 2, answered: true }, { workerId: 3, answered: true }]);
    expect((await samples(after, 'strangler_proxy_requests_total'))[key]).toBe(9);
    // Its gauges went with it: the stage is the replacement's alone.
    const stages = await samples(after, 'strangler_context_stage');
    expect(stages['strangler_context_stage{"context":"identity","stage":"canary"}']).toBe(1);
    expect(stages['strangler_context_stage{"context":"identity","stage":"shadow"}']).toBe(0);
  });

  test('a worker that does not answer a scrape counts with its last counts, and its stale gauges are left out', async () => {
    const a = worker();
    const b = worker({ stateStore: () => ({ reachable: false, ageMs: 1_000 }) });
    a.metrics.requests.add('identity', 'account.read', 'legacy', '200');
    b.metrics.requests.add('identity', 'account.read', 'legacy', '200');
    const merged = new MergedMetrics();
    const [sa, sb] = await both(a, b);
    merged.record(1, sa);
    merged.record(2, sb);
    const registry = merged.merge([], [{ workerId: 1, answered: true }, { workerId: 2, answered: false }]);
    expect(Object.values(await samples(registry, 'strangler_proxy_requests_total'))).toEqual([2]);
    expect(await samples(registry, 'strangler_proxy_state_store_up')).toEqual({ 'strangler_proxy_state_store_up{}': 1 });
  });

  test("the primary's own metrics (the admin's) come through beside the workers'", async () => {
    const own = new Registry();
    new Counter({ name: 'strangler_admin_changes_total', help: 'h', labelNames: ['context'], registers: [own] }).inc({ context: 'identity' });
    new Gauge({ name: 'strangler_proxy_instances', help: 'h', labelNames: ['state'], registers: [own] }).set({ state: 'live' }, 2);
    const merged = new MergedMetrics();
    merged.record(1, await worker().registry.getMetricsAsJSON());
    const text = await merged.merge(await own.getMetricsAsJSON(), [{ workerId: 1, answered: true }]).metrics();
    expect(text).toContain('strangler_admin_changes_total{context="identity"} 1');
    expect(text).toContain('strangler_proxy_instances{state="live"} 2');
    expect(text).toContain('strangler_proxy_state_store_up 1');
  });
});

describe('addUp and cumulativeOnly', () => {
  test('series add up by name and labels; gauges are not cumulative', async () => {
    const r1 = new Registry();
    const r2 = new Registry();
    for (const registry of [r1, r2]) {
      new Counter({ name: 'c_total', help: 'h', labelNames: ['k'], registers: [registry] }).inc({ k: 'x' }, 2);
      new Gauge({ name: 'g', help: 'h', registers: [registry] }).set(5);
    }
    const total = addUp([cumulativeOnly(await r1.getMetricsAsJSON()), cumulativeOnly(await r2.getMetricsAsJSON())]);
    expect(total.map((m) => [m.name, m.values.map((v) => [v.labels, v.value])])).toEqual([['c_total', [[{ k: 'x' }, 4]]]]);
  });
});
