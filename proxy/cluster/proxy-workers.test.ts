import { clusterHealth, nextRestart, RESTART_POLICY, type WorkerReport } from './proxy-workers';

describe('replacing a dead worker', () => {
  const policy = { firstDelayMs: 500, maxDelayMs: 30_000, stableAfterMs: 10_000 };

  test('a worker that had run for a while is replaced after the first delay', () => {
    expect(nextRestart(policy, 0, 60_000)).toEqual({ delayMs: 500, quickDeaths: 0 });
    // A long life forgives earlier quick deaths.
    expect(nextRestart(policy, 7, 10_000)).toEqual({ delayMs: 500, quickDeaths: 0 });
  });

  test('crash-loop-never-spins: each quick death in a row doubles the wait, capped', () => {
    let quickDeaths = 0;
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const next = nextRestart(policy, quickDeaths, 1_200);
      quickDeaths = next.quickDeaths;
      delays.push(next.delayMs);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000, 30_000]);
    expect(nextRestart(policy, 5_000, 0).delayMs).toBe(30_000);
  });

  test('the default policy waits at least half a second and at most half a minute', () => {
    expect(nextRestart(RESTART_POLICY, 0, Number.MAX_SAFE_INTEGER).delayMs).toBeGreaterThanOrEqual(500);
    expect(nextRestart(RESTART_POLICY, 100, 0).delayMs).toBeLessThanOrEqual(30_000);
  });
});

describe('the primary\'s /healthz', () => {
  const proxyOk = { status: 'ok', stateStore: {}, contexts: [], pinnedUsers: 0 } as unknown as NonNullable<WorkerReport['proxy']>;
  const report = (worker: number, overrides: Partial<WorkerReport> = {}): WorkerReport => ({
    worker, pid: 1000 + worker, state: 'serving', answering: true, lastAnswerMsAgo: 100, requests: 0, restarts: 0, proxy: proxyOk, lastExit: null, restartInMs: null, ...overrides,
  });

  test('every worker serving and answering: ok', () => {
    expect(clusterHealth([report(1), report(2)])).toMatchObject({ healthy: true, status: 'ok' });
  });

  test('one worker silent, restarting or on stale stages: still healthy, but degraded', () => {
    expect(clusterHealth([report(1), report(2, { answering: false })])).toMatchObject({ healthy: true, status: 'degraded' });
    expect(clusterHealth([report(1), report(2, { state: 'restarting', pid: null, proxy: null, restartInMs: 800 })])).toMatchObject({ healthy: true, status: 'degraded' });
    expect(clusterHealth([report(1), report(2, { proxy: { ...proxyOk, status: 'degraded' } })])).toMatchObject({ healthy: true, status: 'degraded' });
  });

  test('no worker serving and answering: unhealthy (503)', () => {
    expect(clusterHealth([report(1, { answering: false }), report(2, { state: 'restarting' })])).toMatchObject({ healthy: false, status: 'unhealthy' });
    expect(clusterHealth([])).toMatchObject({ healthy: false, status: 'unhealthy' });
  });
});
