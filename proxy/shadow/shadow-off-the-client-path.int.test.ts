// The shadow mirror never costs the client: a slow new service does not delay legacy's answer, and a
// saturated mirror drops reads (counted) instead of queueing them. Real sockets, tiny real upstreams.
import { until } from '../../cdc/test/until';
import { call, startControlPlane, startEchoUpstream, startTestProxy, type ControlPlane, type EchoUpstream, type TestProxy, syncNeverCaughtUp } from '../test/proxy-harness';

describe('shadow mirror off the client path', () => {
  let control: ControlPlane;
  let legacy: EchoUpstream;
  let fresh: EchoUpstream;
  let proxy: TestProxy;
  let lagging: TestProxy;

  beforeAll(async () => {
    control = await startControlPlane();
    legacy = await startEchoUpstream('legacy');
    fresh = await startEchoUpstream('new');
    await control.setStage('profile', 'shadow');
    proxy = await startTestProxy({
      legacyUrl: legacy.url,
      newServiceUrl: fresh.url,
      control: control.pool,
      progress: syncNeverCaughtUp,
      shadow: { maxInFlight: 2, lagRechecks: 0, flushEveryMs: 100, timeoutMs: 5_000 },
    });
    lagging = await startTestProxy({
      legacyUrl: legacy.url,
      newServiceUrl: fresh.url,
      control: control.pool,
      progress: syncNeverCaughtUp,
      shadow: { lagRechecks: 3, lagRecheckDelayMs: 50, flushEveryMs: 100 },
    });
  });

  afterAll(async () => {
    fresh.delayMs = 0;
    await proxy?.stop();
    await lagging?.stop();
    await Promise.all([legacy?.stop(), fresh?.stop()]);
    await control?.stop();
  });

  test('client-waits-for-shadow never happens: a new service 1.5 s slow leaves legacy\'s answer as fast as ever', async () => {
    fresh.delayMs = 1_500;
    const started = Date.now();
    const response = await call(`${proxy.url}/api/users/11/profile`);
    expect([response.status, response.body.side]).toEqual([200, 'legacy']);
    expect(Date.now() - started).toBeLessThan(700);
    // The mirrored read does happen, and the two echo servers differ: a mismatch, later.
    await until('the mirrored read compared', async () => ((await proxy.metric('strangler_shadow_comparisons_total', { context: 'profile', result: 'mismatch' })) === 1 ? true : undefined), { timeoutMs: 10_000 });
    expect(fresh.hits.filter((h) => h.url === '/api/users/11/profile' && h.headers['x-strangler-shadow'] === '1')).toHaveLength(1);
  });

  test('a saturated mirror drops reads and counts them; every client still gets its answer', async () => {
    fresh.delayMs = 1_000;
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => call(`${proxy.url}/api/users/${20 + i}/profile`)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    await until('drops counted', async () => ((await proxy.metric('strangler_shadow_dropped_total', { context: 'profile', reason: 'saturated' })) >= 4 ? true : undefined), { timeoutMs: 10_000 });
    await until('the mirror idle again', async () => ((await proxy.metric('strangler_shadow_in_flight')) === 0 ? true : undefined), { timeoutMs: 10_000 });
    expect(await proxy.metric('strangler_shadow_dropped_total', { context: 'profile', reason: 'saturated' })).toBe(4);
  });

  test('a difference that is gone when both sides are read again is lag, not a mismatch; one that stays is a mismatch', async () => {
    fresh.delayMs = 0;
    const counted = async (result: string) => lagging.metric('strangler_shadow_comparisons_total', { context: 'profile', result });
    // The new side is one change behind on its first answer, then catches up.
    legacy.answers = [{ id: 31, displayName: 'Renamed' }];
    fresh.answers = [{ id: 31, displayName: 'Old name' }, { id: 31, displayName: 'Renamed' }];
    expect((await call(`${lagging.url}/api/users/31/profile`)).body).toEqual({ id: 31, displayName: 'Renamed' });
    await until('the lag counted', async () => ((await counted('lag')) === 1 ? true : undefined), { timeoutMs: 10_000 });
    expect(await counted('mismatch')).toBe(0);

    fresh.answers = [{ id: 32, displayName: 'Never the same' }];
    legacy.answers = [{ id: 32, displayName: 'Different' }];
    await call(`${lagging.url}/api/users/32/profile`);
    await until('the mismatch counted', async () => ((await counted('mismatch')) === 1 ? true : undefined), { timeoutMs: 10_000 });
    await until('both in the control plane', async () => {
      const { rows } = await control.pool.query<{ usr_id: string; result: string }>("SELECT usr_id, result FROM control.shadow_mismatches WHERE usr_id IN (31, 32) ORDER BY usr_id");
      return rows.length === 2 ? rows : undefined;
    }, { timeoutMs: 10_000 }).then((rows) => expect(rows).toEqual([{ usr_id: '31', result: 'lag' }, { usr_id: '32', result: 'mismatch' }]));
    legacy.answers = undefined;
    fresh.answers = undefined;
  });

  test('the mismatch sample stays bounded: only the newest are kept per context', async () => {
    const bounded = await startTestProxy({
      legacyUrl: legacy.url,
      newServiceUrl: fresh.url,
      control: control.pool,
      progress: syncNeverCaughtUp,
      shadow: { lagRechecks: 0, flushEveryMs: 50, samplesKept: 2 },
    });
    try {
      legacy.answers = [{ displayName: 'one' }];
      fresh.answers = [{ displayName: 'other' }];
      for (const id of [41, 42, 43, 44]) {
        await call(`${bounded.url}/api/users/${id}/profile`);
        await until(`the mismatch of ${id} sampled`, async () => ((await control.pool.query('SELECT 1 FROM control.shadow_mismatches WHERE usr_id = $1', [id])).rowCount === 1 ? true : undefined), { timeoutMs: 10_000 });
      }
      const { rows } = await control.pool.query<{ usr_id: string }>("SELECT usr_id FROM control.shadow_mismatches WHERE context = 'profile' ORDER BY id");
      expect(rows.map((r) => r.usr_id)).toEqual(['43', '44']);
    } finally {
      legacy.answers = undefined;
      fresh.answers = undefined;
      await bounded.stop();
    }
  });
});
