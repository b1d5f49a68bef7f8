import { WorkerHealth } from './worker-health';

function clockAt(start: number) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

test('crashed-consumer-never-reported-healthy', () => {
  const health = new WorkerHealth('forward', 30_000);
  health.running();
  health.crashed(new Error('The group is rebalancing'));
  expect(health.report()).toMatchObject({ healthy: false, state: 'crashed', reason: expect.stringContaining('rebalancing') });
});

test('stalled-worker-turns-unhealthy: events waiting with no progress past the threshold', () => {
  const clock = clockAt(1_000_000);
  const health = new WorkerHealth('forward', 30_000, clock.now);
  health.running();
  health.observeBacklog(12);
  clock.t += 29_000;
  expect(health.report().healthy).toBe(true);
  clock.t += 2_000;
  expect(health.report()).toMatchObject({ healthy: false, reason: expect.stringContaining('stalled') });
  health.progressed();
  expect(health.report().healthy).toBe(true);
});

test('an idle worker with nothing to do stays healthy however long it waits', () => {
  const clock = clockAt(0);
  const health = new WorkerHealth('reverse', 30_000, clock.now);
  health.running();
  health.observeBacklog(0);
  clock.t += 3_600_000;
  expect(health.report().healthy).toBe(true);
});

test('a worker still starting is not yet healthy', () => {
  expect(new WorkerHealth('forward', 30_000).report()).toMatchObject({ healthy: false, state: 'starting' });
});

test('caught-up-worker-not-behind: the lag the guards read is 0 once nothing waits, whatever the last event\'s age', () => {
  const health = new WorkerHealth('forward', 30_000);
  health.running();
  health.progressed(320);
  health.observeBacklog(40);
  expect(health.report().lastLagSeconds).toBe(320);
  health.observeBacklog(0);
  expect(health.report().lastLagSeconds).toBe(0);
});
