import { Chaos, type ChaosFault } from './chaos';

const healthyDeps = (said: string[] = []) => ({ unhealthy: async () => [], drained: async () => true, say: (line: string) => void said.push(line), graceMs: 100 });

describe('demo --chaos: faults in turn, and the failures they explain', () => {
  test('a failure is explained by the fault whose window (plus grace) it overlapped, and by no other', async () => {
    let release!: () => void;
    const chaos = new Chaos(healthyDeps());
    const running = chaos.runInTurn([{ name: 'pg', hits: 'PostgreSQL', inject: () => new Promise<void>((resolve) => { release = resolve; }) }], 0, () => false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const during = Date.now();
    expect(chaos.explain(during - 5, during)).toBe('pg');
    expect(chaos.explain(0, 1)).toBeUndefined();
    release();
    await running;
    const ended = Date.now();
    expect(chaos.explain(ended + 50, ended + 60)).toBe('pg');
    expect(chaos.explain(ended + 500, ended + 600)).toBeUndefined();
    expect(chaos.runs).toEqual([expect.objectContaining({ name: 'pg', hits: 'PostgreSQL' })]);
  });

  test('an operator step never runs beside a fault; an armed hand-over fault runs inside its promotion only', async () => {
    const events: string[] = [];
    const fault = (name: string): ChaosFault => ({ name, hits: name, inject: async () => {
      events.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, 30));
      events.push(`${name} end`);
    } });
    const chaos = new Chaos(healthyDeps(), [{ ...fault('admin-kill'), context: 'identity', to: 'writes' }]);
    const background = chaos.runInTurn([fault('pg')], 0, () => false);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await chaos.step('identity', 'reads', async () => void events.push('promote reads'));
    await chaos.step('identity', 'writes', async () => void events.push('promote writes'));
    await background;
    // The promotion starts first; the fault beside it (it waits for the hold the promotion takes) ends after.
    expect(events).toEqual(['pg start', 'pg end', 'promote reads', 'promote writes', 'admin-kill start', 'admin-kill end']);
    expect(chaos.unused).toEqual([]);
  });

  test('a fault that does not recover in time fails with what is still unhealthy', async () => {
    const chaos = new Chaos({ unhealthy: async () => ['cdc-2'], drained: async () => true, say: () => undefined, recoveryTimeoutMs: 50 });
    await expect(chaos.runInTurn([{ name: 'cdc', hits: 'cdc', inject: async () => undefined }], 0, () => false)).rejects.toThrow(/after cdc .*still unhealthy: cdc-2/);
  });
});
