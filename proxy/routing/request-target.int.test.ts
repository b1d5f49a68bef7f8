// The request-target forms of issue 10 through the real client port, with two echo upstreams that say
// which side answered and what request-target and Host they received.
import { until } from '../../cdc/test/until';
import { startEchoRig, syncNeverCaughtUp, type EchoRig, type EchoUpstream, type TestProxy } from '../test/proxy-harness';
import { sendRaw } from '../test/raw-request';
import type { Context, Stage } from '../stages/stages';

describe('request-targets through the client port', () => {
  let rig: EchoRig;
  let legacy: EchoUpstream;
  let fresh: EchoUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    // A pin is released only when cdc reports the write applied; this cdc never does, so pins stay.
    rig = await startEchoRig({ progress: syncNeverCaughtUp });
    ({ legacy, fresh, proxy } = rig);
  });

  afterAll(async () => {
    await rig?.stop();
  });

  beforeEach(() => {
    legacy.hits.length = 0;
    fresh.hits.length = 0;
  });

  const enter = (context: Context, stage: Stage, writesHeld = false) => rig.enter(context, stage, { writesHeld });
  const sideOf = (body: string) => (JSON.parse(body) as { side: string }).side;

  test('absolute-form-write-reaches-its-owner: PATCH http://host/api/users/11/profile with profile in writes reaches the new service, as origin-form', async () => {
    await enter('profile', 'writes');
    const answer = await sendRaw(proxy.port, 'PATCH', 'http://api.example.com/api/users/11/profile?x=1', { host: 'somewhere-else.example' });
    expect([answer.status, sideOf(answer.body)]).toEqual([200, 'new']);
    expect(legacy.hits).toEqual([]);
    // RFC 9112 §3.2.2: the target's authority replaces the Host the client sent.
    expect(fresh.hits.map((hit) => [hit.method, hit.url, hit.headers.host, hit.headers['x-forwarded-host']])).toEqual([['PATCH', '/api/users/11/profile?x=1', 'api.example.com', 'api.example.com']]);
    expect(await proxy.metric('strangler_proxy_requests_total', { context: 'profile', route: 'profile.change', backend: 'new', status: '200' })).toBeGreaterThanOrEqual(1);
    await enter('profile', 'legacy');
  });

  test('fragment-never-falls-through-to-legacy: a target the proxy cannot classify safely gets 400 PROXY.INVALID_TARGET and reaches neither side', async () => {
    await enter('profile', 'writes');
    for (const target of ['/api/users/11/profile#x', '/api/users/11/../11/profile', '/api/users/%31%31/profile', '/api//users/11/profile', '/api/users/11;v=1/profile', '/api/users/1%2F1/profile', '*', 'ftp://h/api/users/11/profile', 'http://user@h/api/users/11/profile']) {
      const answer = await sendRaw(proxy.port, 'PATCH', target);
      expect([target, answer.status, answer.code, answer.headers]).toEqual([target, 400, 'PROXY.INVALID_TARGET', expect.stringMatching(/content-type: application\/json/i)]);
    }
    expect([legacy.hits, fresh.hits]).toEqual([[], []]);
    expect(await proxy.metric('strangler_proxy_requests_total', { context: 'none', route: 'invalid-target', backend: 'proxy', status: '400' })).toBeGreaterThanOrEqual(9);
    await enter('profile', 'legacy');
  });

  test('connect-is-answered-not-dropped: CONNECT gets a 400 JSON answer instead of a silently closed socket', async () => {
    const answer = await sendRaw(proxy.port, 'CONNECT', 'api.example.com:443', { host: 'api.example.com:443' });
    expect([answer.status, answer.code, JSON.parse(answer.body)]).toEqual([400, 'PROXY.INVALID_TARGET', { error: { code: 'PROXY.INVALID_TARGET', message: expect.stringContaining('CONNECT') } }]);
    expect([legacy.hits, fresh.hits]).toEqual([[], []]);
  });

  test('unmatched-write-in-a-context-reaches-its-owner: requests no route matches under profile\'s paths go where profile\'s writes go', async () => {
    await enter('profile', 'writes');
    for (const [method, target] of [['PUT', '/api/users/11/profile'], ['POST', '/api/users/11/profile/avatar'], ['GET', '/api/users/11/profile/x']]) {
      const answer = await sendRaw(proxy.port, method!, target!);
      expect([method, target, sideOf(answer.body)]).toEqual([method, target, 'new']);
    }
    // Outside every context's paths, legacy as before.
    expect(sideOf((await sendRaw(proxy.port, 'PUT', '/somewhere/else')).body)).toBe('legacy');
    expect(await proxy.metric('strangler_proxy_requests_total', { context: 'profile', route: 'unmatched', backend: 'new', status: '200' })).toBe(3);
    await enter('profile', 'legacy');
  });

  test('held-context-holds-its-unmatched-writes: while profile\'s writes are held its unmatched PUT waits for the hand-over, its unmatched GET does not', async () => {
    await enter('profile', 'writes', true);
    const put = sendRaw(proxy.port, 'PUT', '/api/users/11/profile');
    const get = await sendRaw(proxy.port, 'GET', '/api/users/11/profile/x');
    expect([get.status, sideOf(get.body)]).toEqual([200, 'new']);
    await until('the PUT kept by the hold', () => (proxy.health().contexts.find((c) => c.context === 'profile')?.heldWrites === 1 ? true : undefined), { timeoutMs: 5_000, everyMs: 20 });
    expect(fresh.hits.map((hit) => hit.method)).toEqual(['GET']);
    await enter('profile', 'writes');
    const answer = await put;
    expect([answer.status, sideOf(answer.body)]).toEqual([200, 'new']);
    expect(legacy.hits).toEqual([]);
    await enter('profile', 'legacy');
  });

  test('leading-zero-id-pins-its-user: a write to /api/users/011/preferences pins user 11, whose next read stays on legacy', async () => {
    await enter('preferences', 'reads');
    expect(sideOf((await sendRaw(proxy.port, 'GET', '/api/users/11/preferences')).body)).toBe('new');
    expect(sideOf((await sendRaw(proxy.port, 'PATCH', '/api/users/011/preferences')).body)).toBe('legacy');
    await until('user 11 pinned', () => (proxy.health().pinnedUsers >= 1 ? true : undefined), { timeoutMs: 5_000, everyMs: 20 });
    expect(sideOf((await sendRaw(proxy.port, 'GET', '/api/users/11/preferences')).body)).toBe('legacy');
    expect(sideOf((await sendRaw(proxy.port, 'GET', '/api/users/0011/preferences')).body)).toBe('legacy');
    await enter('preferences', 'legacy');
  });
});
