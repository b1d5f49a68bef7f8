// Writes that arrive during a hand-over are kept, not refused: through the real client port, a real control
// database and two real upstreams that say who they are.
import { until } from '../../cdc/test/until';
import { call, startEchoRig, syncNeverCaughtUp, type EchoRig, type EchoUpstream, type TestProxy } from '../test/proxy-harness';
import type { Context, Stage } from '../stages/stages';

describe('writes kept through a hand-over', () => {
  let rig: EchoRig;
  let legacy: EchoUpstream;
  let fresh: EchoUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    rig = await startEchoRig({ progress: syncNeverCaughtUp, hold: { maxWrites: 3, maxHoldMs: 10_000 } });
    ({ legacy, fresh, proxy } = rig);
  });

  afterAll(async () => {
    await rig?.stop();
  });

  const enter = (context: Context, stage: Stage, writesHeld = false) => rig.enter(context, stage, { writesHeld });
  const waiting = (context: Context, count: number) =>
    until(`${count} writes kept for ${context}`, () => (proxy.health().contexts.find((c) => c.context === context)?.heldWrites === count ? true : undefined), { timeoutMs: 5_000, everyMs: 10 });
  const patches = (upstream: EchoUpstream, path: string) => upstream.hits.filter((hit) => hit.method === 'PATCH' && hit.url === path).length;

  test('held-write-reaches-the-new-owner-after-the-flip: kept writes go to the side that owns them once the hold lifts', async () => {
    await enter('profile', 'reads', true);
    const answers = [1, 2].map((n) => call(`${proxy.url}/api/users/41/profile`, 'PATCH', { displayName: `kept ${n}` }));
    await waiting('profile', 2);
    expect(await proxy.metric('strangler_proxy_held_writes', { context: 'profile' })).toBe(2);
    // Reads and other contexts' writes go on meanwhile.
    expect((await call(`${proxy.url}/api/users/41/profile`)).body?.side).toBe('new');
    expect((await call(`${proxy.url}/api/users/41/account`, 'PATCH', { status: 'active' })).body?.side).toBe('legacy');
    expect(patches(legacy, '/api/users/41/profile') + patches(fresh, '/api/users/41/profile')).toBe(0);

    await enter('profile', 'writes');
    const answered = await Promise.all(answers);
    expect(answered.map((a) => [a.status, a.body?.side])).toEqual([[200, 'new'], [200, 'new']]);
    expect(fresh.hits.filter((hit) => hit.url === '/api/users/41/profile' && hit.method === 'PATCH').map((hit) => JSON.parse(hit.body.toString()).displayName).sort()).toEqual(['kept 1', 'kept 2']);
    expect(patches(legacy, '/api/users/41/profile')).toBe(0);
    expect(await proxy.metric('strangler_proxy_held_writes', { context: 'profile' })).toBe(0);
    expect(await proxy.metric('strangler_proxy_write_hold_seconds', { context: 'profile', outcome: 'forwarded' })).toBeGreaterThanOrEqual(0);
    expect((await proxy.registry.metrics())).toMatch(/strangler_proxy_write_hold_seconds_count\{context="profile",outcome="forwarded"\} 2/);
    await enter('profile', 'legacy');
  });

  test('abandoned-hand-over-returns-writes-to-the-old-owner: a hold lifted without a flip sends them where they were going', async () => {
    await enter('preferences', 'reads', true);
    const answer = call(`${proxy.url}/api/users/42/preferences`, 'PATCH', { theme: 'dark' });
    await waiting('preferences', 1);
    await enter('preferences', 'reads');
    expect(((await answer).body?.side)).toBe('legacy');
    await enter('preferences', 'legacy');
  });

  test('a full queue refuses the next write at once with a retryable 503; the kept ones still go on', async () => {
    await enter('identity', 'reads', true);
    const kept = [1, 2, 3].map((n) => call(`${proxy.url}/api/users/${50 + n}/account`, 'PATCH', { status: 'active' }));
    await waiting('identity', 3);
    const refused = await call(`${proxy.url}/api/users/60/account`, 'PATCH', { status: 'active' });
    expect([refused.status, refused.body?.error?.code, refused.headers.get('retry-after')]).toEqual([503, 'PROXY.WRITES_HELD', '1']);
    await enter('identity', 'writes');
    expect((await Promise.all(kept)).map((a) => a.body?.side)).toEqual(['new', 'new', 'new']);
    expect(fresh.hits.some((hit) => hit.url === '/api/users/60/account') || legacy.hits.some((hit) => hit.url === '/api/users/60/account')).toBe(false);
    await enter('identity', 'legacy');
  });
});
