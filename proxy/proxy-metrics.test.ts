import { Registry } from 'prom-client';
import { createProxyMetrics } from './proxy-metrics';

const live = { stateStore: () => ({ reachable: true, ageMs: 0 }), pinnedUsers: () => 0, heldWrites: () => new Map([['profile', 3]]), leaseWritable: () => false };

async function requestSamples(registry: Registry) {
  const metric = await registry.getSingleMetric('strangler_proxy_requests_total')!.get();
  return metric.values.map((v) => [v.labels, v.value]);
}

describe('strangler_proxy_requests_total, counted through the tally', () => {
  test('counts per series reach the counter at every read, and keep adding up across reads', async () => {
    const registry = new Registry();
    const metrics = createProxyMetrics(registry, live);
    metrics.requests.add('identity', 'account.read', 'legacy', '200');
    metrics.requests.add('identity', 'account.read', 'legacy', '200');
    metrics.requests.add('identity', 'account.read', 'new', '200');
    metrics.requests.add('profile', 'profile.write', 'proxy', '503');
    expect(await requestSamples(registry)).toEqual([
      [{ context: 'identity', route: 'account.read', backend: 'legacy', status: '200' }, 2],
      [{ context: 'identity', route: 'account.read', backend: 'new', status: '200' }, 1],
      [{ context: 'profile', route: 'profile.write', backend: 'proxy', status: '503' }, 1],
    ]);
    metrics.requests.add('identity', 'account.read', 'legacy', '200');
    expect(await requestSamples(registry)).toEqual([
      [{ context: 'identity', route: 'account.read', backend: 'legacy', status: '200' }, 3],
      [{ context: 'identity', route: 'account.read', backend: 'new', status: '200' }, 1],
      [{ context: 'profile', route: 'profile.write', backend: 'proxy', status: '503' }, 1],
    ]);
    // The exposition text, which is what Prometheus reads, carries the same numbers.
    expect(await registry.metrics()).toContain('strangler_proxy_requests_total{context="identity",route="account.read",backend="legacy",status="200"} 3');
  });

  test('series whose label values would run together without a separator stay apart', async () => {
    const registry = new Registry();
    const metrics = createProxyMetrics(registry, live);
    metrics.requests.add('identity', 'account.read', 'legacy', '200');
    metrics.requests.add('identityaccount', '.read', 'legacy', '200');
    expect((await requestSamples(registry)).map(([, value]) => value)).toEqual([1, 1]);
  });

  test('writes waiting out a hand-over and a lapsed lease are read at scrape time', async () => {
    const registry = new Registry();
    createProxyMetrics(registry, live);
    const text = await registry.metrics();
    expect(text).toContain('strangler_proxy_held_writes{context="profile"} 3');
    expect(text).toContain('strangler_proxy_held_writes{context="identity"} 0');
    expect(text).toContain('strangler_proxy_lease_writable 0');
  });
});
