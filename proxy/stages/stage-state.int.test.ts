// Stage changes reach every instance within a second, without a restart, and an instance that loses the
// stage store keeps routing on what it last read, and says so: a real control database, real upstreams.
import { Registry } from 'prom-client';
import { dropDatabase } from '../../migrations/test/throwaway-database';
import { until } from '../../cdc/test/until';
import { call, startControlPlane, startEchoUpstream, startTestProxy, type ControlPlane, type EchoUpstream, type TestProxy, syncAlwaysCaughtUp } from '../test/proxy-harness';


describe('stage state', () => {
  let legacy: EchoUpstream;
  let fresh: EchoUpstream;

  beforeAll(async () => {
    legacy = await startEchoUpstream('legacy');
    fresh = await startEchoUpstream('new');
  });

  afterAll(async () => {
    await Promise.all([legacy?.stop(), fresh?.stop()]);
  });

  test('two instances on one control database both apply an UPDATE within one second', async () => {
    const control = await startControlPlane();
    // The production poll interval, not the tests' faster one: this is the guarantee being checked.
    const instances = [
      await startTestProxy({ legacyUrl: legacy.url, newServiceUrl: fresh.url, control: control.pool, progress: syncAlwaysCaughtUp, stagePollMs: 250 }),
      await startTestProxy({ legacyUrl: legacy.url, newServiceUrl: fresh.url, control: control.pool, progress: syncAlwaysCaughtUp, stagePollMs: 250 }),
    ];
    try {
      for (const [stage, side] of [['reads', 'new'], ['legacy', 'legacy'], ['writes', 'new']] as const) {
        await control.setStage('identity', stage);
        const changedAt = Date.now();
        for (const instance of instances) {
          await until(`an instance serving identity reads from ${side}`, async () => ((await call(`${instance.url}/api/users/5/account`)).body?.side === side ? true : undefined), {
            timeoutMs: Math.max(0, 1_000 - (Date.now() - changedAt)),
            everyMs: 10,
          });
        }
        expect(Date.now() - changedAt).toBeLessThan(1_000);
      }
    } finally {
      await Promise.all(instances.map((i) => i.stop()));
      await control.stop();
    }
  });

  test('an unreachable stage store leaves the instance serving its last stages, degraded in health and the metric', async () => {
    const control = await startControlPlane();
    let proxy: TestProxy | undefined;
    try {
      await control.setStage('profile', 'reads');
      proxy = await startTestProxy({ legacyUrl: legacy.url, newServiceUrl: fresh.url, control: control.pool, progress: syncAlwaysCaughtUp });
      expect(proxy.health()).toMatchObject({ status: 'ok', stateStore: { reachable: true } });
      expect(await proxy.metric('strangler_proxy_state_store_up')).toBe(1);

      await dropDatabase(control.url);
      const running = proxy;
      await until('the store seen as unreachable', () => (running.health().stateStore.reachable ? undefined : true), { timeoutMs: 5_000, everyMs: 20 });
      const health = proxy.health();
      expect(health).toMatchObject({ status: 'degraded', stateStore: { reachable: false } });
      expect(health.contexts.find((c) => c.context === 'profile')?.stage).toBe('reads');
      expect(await proxy.metric('strangler_proxy_state_store_up')).toBe(0);
      const age = health.stateStore.ageMs!;
      await until('the state growing older', () => (running.health().stateStore.ageMs! > age ? true : undefined), { timeoutMs: 2_000, everyMs: 20 });
      expect(await proxy.metric('strangler_proxy_state_age_seconds')).toBeGreaterThan(0);

      // A read the new side would serve needs the shared read-your-writes pins, which live in the lost
      // control plane too: it fails closed to legacy, which is right while legacy owns the writes.
      expect((await call(`${proxy.url}/api/users/5/profile`)).body?.side).toBe('legacy');
      expect((await call(`${proxy.url}/api/users/5/profile`, 'PATCH', { bio: 'x' })).body?.side).toBe('legacy');
      expect((await call(`${proxy.url}/api/users/5/account`)).body?.side).toBe('legacy');
    } finally {
      await proxy?.stop();
      await control.stop();
    }
  });

  test('an instance refuses to start without ever having read the stages, and may try again on the same registry', async () => {
    const control = await startControlPlane();
    await dropDatabase(control.url);
    const registry = new Registry();
    try {
      await expect(startTestProxy({ legacyUrl: legacy.url, newServiceUrl: fresh.url, control: control.pool, progress: syncAlwaysCaughtUp, registry })).rejects.toThrow(/cannot read control\.context_stages/);
      await expect(startTestProxy({ legacyUrl: legacy.url, newServiceUrl: fresh.url, control: control.pool, progress: syncAlwaysCaughtUp, registry })).rejects.toThrow(/cannot read control\.context_stages/);
    } finally {
      await control.stop();
    }
  });
});
