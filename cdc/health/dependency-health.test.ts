import pino from 'pino';
import { Registry } from 'prom-client';
import { DependencyHealth } from './dependency-health';

describe('dependency health', () => {
  test('says which dependency is gone, since when and why, and when it is back; the gauge follows', async () => {
    let legacyUp = true;
    let clock = 1_000;
    const registry = new Registry();
    const health = new DependencyHealth(
      [
        { name: 'legacy', check: async () => { if (!legacyUp) throw new Error('connect ECONNREFUSED'); } },
        { name: 'kafka', check: async () => undefined },
      ],
      { registry, logger: pino({ level: 'silent' }), now: () => clock, everyMs: 60_000 },
    );
    health.start();
    await health.stop();
    expect(health.report()).toEqual([{ name: 'legacy', reachable: true, since: new Date(1_000).toISOString() }, { name: 'kafka', reachable: true, since: new Date(1_000).toISOString() }]);

    legacyUp = false;
    clock = 2_000;
    health.lost('legacy');
    await health.stop();
    expect(health.report()[0]).toEqual({ name: 'legacy', reachable: false, since: new Date(2_000).toISOString(), reason: 'connect ECONNREFUSED' });
    expect(await registry.metrics()).toContain('strangler_cdc_dependency_up{dependency="legacy"} 0');
    expect(await registry.metrics()).toContain('strangler_cdc_connection_losses_total{dependency="legacy"} 1');

    legacyUp = true;
    clock = 9_000;
    health.lost('legacy');
    await health.stop();
    expect(health.report()[0]).toEqual({ name: 'legacy', reachable: true, since: new Date(9_000).toISOString() });
  });

  test('a probe that hangs counts as unreachable after the timeout', async () => {
    const health = new DependencyHealth([{ name: 'control', check: () => new Promise(() => undefined) }], { registry: new Registry(), logger: pino({ level: 'silent' }), timeoutMs: 20, everyMs: 60_000 });
    health.start();
    await health.stop();
    expect(health.report()[0]).toMatchObject({ name: 'control', reachable: false, reason: 'no answer within 20 ms' });
  });
});
