// Every stage, through the real client port, a real control database and two real upstreams that say who
// they are: who serves reads and writes, canary stickiness, held writes, unknown routes, and the metrics.
import { canaryBucket } from './canary-bucket';
import { call, startEchoRig, syncNeverCaughtUp, type ControlPlane, type EchoRig, type EchoUpstream, type TestProxy } from '../test/proxy-harness';
import type { Context, Stage } from '../stages/stages';

describe('stage routing through the client port', () => {
  let rig: EchoRig;
  let control: ControlPlane;
  let legacy: EchoUpstream;
  let fresh: EchoUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    // A short hold bound: a held write's 503 is what one test here looks at (kept writes: handover/).
    rig = await startEchoRig({ progress: syncNeverCaughtUp, hold: { maxHoldMs: 300 } });
    ({ control, legacy, fresh, proxy } = rig);
  });

  afterAll(async () => {
    await rig?.stop();
  });

  /** Sets a stage and waits until this proxy acts on it. */
  const enter = (context: Context, stage: Stage, options: { canaryPercent?: number; writesHeld?: boolean } = {}) => rig.enter(context, stage, options);
  const side = async (method: string, path: string, json?: unknown) => (await call(`${proxy.url}${path}`, method, json)).body?.side as string;

  test.each([
    ['legacy', 'legacy', 'legacy'],
    ['shadow', 'legacy', 'legacy'],
    ['reads', 'new', 'legacy'],
    ['writes', 'new', 'new'],
    ['retired', 'new', 'new'],
  ] as const)('in %s, profile reads are served by %s and writes by %s; other contexts stay put', async (stage, reads, writes) => {
    await enter('profile', stage);
    // A user of its own per stage: a write pins its writer to legacy (read-your-writes, tested on its own).
    const user = 100 + ['legacy', 'shadow', 'reads', 'writes', 'retired'].indexOf(stage);
    expect(await side('GET', `/api/users/${user}/profile`)).toBe(reads);
    expect(await side('PATCH', `/api/users/${user}/profile`, { displayName: 'x' })).toBe(writes);
    expect(await side('GET', '/api/users/7/account')).toBe('legacy');
    expect(await side('GET', '/api/users/7/preferences')).toBe('legacy');
  });

  test('identity writes without an id in the path (sign-up, sign-in) follow identity\'s write owner', async () => {
    await enter('identity', 'reads');
    expect(await side('POST', '/api/users', { email: 'a@example.com', password: 'password1' })).toBe('legacy');
    expect(await side('POST', '/api/sessions', { email: 'a@example.com', password: 'password1' })).toBe('legacy');
    await enter('identity', 'writes');
    expect(await side('POST', '/api/users', { email: 'a@example.com', password: 'password1' })).toBe('new');
    expect(await side('POST', '/api/sessions', { email: 'a@example.com', password: 'password1' })).toBe('new');
    expect(await side('DELETE', '/api/users/7')).toBe('new');
    await enter('identity', 'legacy');
  });

  test('the users-by-status report and unknown requests always go to legacy, even with every context retired', async () => {
    for (const context of ['identity', 'profile', 'preferences'] as const) await enter(context, 'retired');
    expect(await side('GET', '/api/reports/users-by-status')).toBe('legacy');
    expect(await side('GET', '/somewhere/else?x=1')).toBe('legacy');
    expect(await side('GET', '/API/USERS/7/PROFILE/')).toBe('new');
    expect(await proxy.metric('strangler_proxy_requests_total', { context: 'none', route: 'unmatched', backend: 'legacy', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(await proxy.metric('strangler_proxy_requests_total', { context: 'legacy-only', route: 'reports.users-by-status', backend: 'legacy' })).toBeGreaterThanOrEqual(1);
    for (const context of ['identity', 'profile', 'preferences'] as const) await enter(context, 'legacy');
  });

  test('user-flips-between-sides never happens: in canary a user is served by one side on every route of the context, and stays there as the percentage rises', async () => {
    const users = Array.from({ length: 60 }, (_, i) => String(1000 + i));
    let servedByNewBefore = new Set<string>();
    for (const percent of [10, 40, 80]) {
      await enter('preferences', 'canary', { canaryPercent: percent });
      const servedByNew = new Set<string>();
      for (const user of users) {
        const first = await side('GET', `/api/users/${user}/preferences`);
        const again = await side('GET', `/api/users/${user}/preferences?again=1`);
        expect([user, again]).toEqual([user, first]);
        expect([user, first]).toEqual([user, canaryBucket(user) < percent ? 'new' : 'legacy']);
        if (first === 'new') servedByNew.add(user);
      }
      // Writes after the reads: a write pins its writer to legacy until the sync has it (tested on its own).
      for (const user of users.slice(0, 10)) expect(await side('PATCH', `/api/users/${Number(user) + 5000}/preferences`, { theme: 'dark' })).toBe('legacy');
      for (const user of servedByNewBefore) expect([user, servedByNew.has(user)]).toEqual([user, true]);
      servedByNewBefore = servedByNew;
    }
    expect(servedByNewBefore.size).toBeGreaterThan(0);
    expect(await proxy.metric('strangler_canary_percent', { context: 'preferences' })).toBe(80);
    expect(await proxy.metric('strangler_context_stage', { context: 'preferences', stage: 'canary' })).toBe(1);
    expect(await proxy.metric('strangler_context_stage', { context: 'preferences', stage: 'legacy' })).toBe(0);
    await enter('preferences', 'legacy');
  });

  test('a write held past the bound gets a retryable 503 and reaches neither side; reads go on', async () => {
    await enter('profile', 'reads', { writesHeld: true });
    const before = { legacy: legacy.hits.length, fresh: fresh.hits.length };
    const held = await call(`${proxy.url}/api/users/7/profile`, 'PATCH', { displayName: 'held' });
    expect([held.status, held.body?.error?.code, held.headers.get('retry-after')]).toEqual([503, 'PROXY.WRITES_HELD', '1']);
    expect({ legacy: legacy.hits.length, fresh: fresh.hits.length }).toEqual(before);
    expect(await side('GET', '/api/users/7/profile')).toBe('new');
    expect(await side('PATCH', '/api/users/7/account', { status: 'active' })).toBe('legacy');
    await enter('profile', 'reads');
    expect(await side('PATCH', '/api/users/7/profile', { displayName: 'released' })).toBe('legacy');
    await enter('profile', 'legacy');
  });

  test('requests are counted by route key and the side that served them, with the upstream\'s own time apart', async () => {
    await call(`${proxy.url}/api/users/99/profile`);
    expect(await proxy.metric('strangler_proxy_requests_total', { context: 'profile', route: 'profile.read', backend: 'legacy', status: '200' })).toBeGreaterThanOrEqual(1);
    const metrics = await proxy.registry.metrics();
    expect(metrics).toMatch(/strangler_proxy_request_duration_seconds_bucket\{le="0.002",context="profile",backend="legacy"\}/);
    expect(metrics).toMatch(/strangler_proxy_upstream_duration_seconds_count\{context="profile",backend="legacy"\} [1-9]/);
    expect(metrics).not.toMatch(/route="\/api/);
  });
});
