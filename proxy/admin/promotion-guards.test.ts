import { evaluateGuards, failedGuards, guardsFor, shadowMismatchRate, type GuardThresholds, type PromotionFacts, type SyncWorkerFacts } from './promotion-guards';

const thresholds: GuardThresholds = { minShadowSample: 100, maxShadowMismatchRate: 0.01, maxForwardLagSeconds: 5, maxForwardBacklog: 100, maxVerifyAgeSeconds: 3600 };
const now = new Date('2026-11-21T12:00:00.000Z');
const since = new Date('2026-11-21T11:00:00.000Z');

const forward = (over: Partial<SyncWorkerFacts> = {}): SyncWorkerFacts => ({ name: 'forward', state: 'running', healthy: true, backlog: 0, lastLagSeconds: 0.4, ...over });
const reverse = (over: Partial<SyncWorkerFacts> = {}): SyncWorkerFacts => ({ name: 'reverse', state: 'running', healthy: true, backlog: 0, lastLagSeconds: null, ...over });

function facts(over: Partial<PromotionFacts> = {}): PromotionFacts {
  return {
    shadow: { since, match: 1000, mismatch: 0, lag: 0, error: 0 },
    sync: { reachable: true, workers: [forward(), reverse()] },
    verify: { runId: 7, finishedAt: new Date(now.getTime() - 60_000), missing: 0, extra: 0, different: 0, unsyncable: 3 },
    ...over,
  };
}

const failedNames = (to: Parameters<typeof evaluateGuards>[0], f: PromotionFacts) => failedGuards(evaluateGuards(to, f, thresholds, now)).map((g) => g.guard);

test('each promotion checks what it puts at risk', () => {
  expect(guardsFor('shadow')).toEqual([]);
  expect(guardsFor('canary')).toEqual(['shadow-mismatch-rate', 'forward-sync-healthy', 'forward-sync-lag', 'forward-sync-backlog']);
  expect(guardsFor('reads')).toEqual(['forward-sync-healthy', 'forward-sync-lag', 'forward-sync-backlog']);
  expect(guardsFor('writes')).toEqual(['reverse-sync-running', 'verify-clean']);
  expect(guardsFor('retired')).toEqual(['reverse-sync-running']);
});

test('all facts good: every promotion passes', () => {
  for (const to of ['shadow', 'canary', 'reads', 'writes', 'retired'] as const) expect(failedNames(to, facts())).toEqual([]);
});

describe('shadow mismatch rate', () => {
  const shadow = (match: number, mismatch: number, lag = 0) => ({ since, match, mismatch, lag, error: 0 });

  test('too-few-comparisons-never-pass: under the minimum sample it fails even with no mismatch', () => {
    const result = shadowMismatchRate(shadow(99, 0), thresholds);
    expect(result).toMatchObject({ passed: false, measured: { sample: 99, minSample: 100 } });
    expect(result.reason).toMatch(/only 99 shadow comparisons/);
    expect(shadowMismatchRate(shadow(100, 0), thresholds).passed).toBe(true);
  });

  test('passes at the threshold, fails just above it', () => {
    expect(shadowMismatchRate(shadow(990, 10), thresholds)).toMatchObject({ passed: true, measured: { rate: 0.01 } });
    expect(shadowMismatchRate(shadow(989, 11), thresholds)).toMatchObject({ passed: false, measured: { rate: 0.011 } });
  });

  test('lag-explained differences count neither for nor against, nor toward the sample', () => {
    expect(shadowMismatchRate(shadow(50, 0, 10_000), thresholds)).toMatchObject({ passed: false, measured: { sample: 50, lag: 10_000 } });
    expect(shadowMismatchRate(shadow(1000, 5, 10_000), thresholds)).toMatchObject({ passed: true, measured: { rate: 0.004975 } });
  });

  test('a zero threshold means no mismatch at all', () => {
    expect(shadowMismatchRate(shadow(1000, 0), { ...thresholds, maxShadowMismatchRate: 0 }).passed).toBe(true);
    expect(shadowMismatchRate(shadow(1000, 1), { ...thresholds, maxShadowMismatchRate: 0 }).passed).toBe(false);
  });
});

describe('forward sync before reads move to the new service', () => {
  test.each(['canary', 'reads'] as const)('an unreachable cdc fails every sync guard into %s, each with the reason', (to) => {
    const results = evaluateGuards(to, facts({ sync: { reachable: false, reason: 'connect ECONNREFUSED' } }), thresholds, now);
    const failed = failedGuards(results);
    expect(failed.map((g) => g.guard)).toEqual(['forward-sync-healthy', 'forward-sync-lag', 'forward-sync-backlog']);
    for (const guard of failed) expect(guard.reason).toMatch(/unreachable: connect ECONNREFUSED/);
  });

  test('a crashed or starting forward worker fails, with its own reason', () => {
    expect(evaluateGuards('reads', facts({ sync: { reachable: true, workers: [forward({ state: 'crashed', healthy: false, reason: 'consumer crashed: boom' })] } }), thresholds, now)[0])
      .toMatchObject({ guard: 'forward-sync-healthy', passed: false, reason: expect.stringMatching(/crashed.*consumer crashed: boom/) });
    expect(failedNames('reads', facts({ sync: { reachable: true, workers: [forward({ state: 'starting', healthy: false })] } }))).toEqual(['forward-sync-healthy']);
  });

  test('no forward worker reported is a failure, not a pass', () => {
    expect(failedNames('reads', facts({ sync: { reachable: true, workers: [reverse()] } }))).toEqual(['forward-sync-healthy', 'forward-sync-lag', 'forward-sync-backlog']);
  });

  test('lag: at the maximum passes, above fails; none measured yet passes', () => {
    expect(failedNames('reads', facts({ sync: { reachable: true, workers: [forward({ lastLagSeconds: 5 })] } }))).toEqual([]);
    const late = evaluateGuards('reads', facts({ sync: { reachable: true, workers: [forward({ lastLagSeconds: 5.2 })] } }), thresholds, now);
    expect(failedGuards(late)).toEqual([expect.objectContaining({ guard: 'forward-sync-lag', measured: { lagSeconds: 5.2, maxLagSeconds: 5 } })]);
    expect(failedNames('reads', facts({ sync: { reachable: true, workers: [forward({ lastLagSeconds: null })] } }))).toEqual([]);
    expect(failedNames('reads', facts({ sync: { reachable: true, workers: [forward({ lastLagSeconds: undefined })] } }))).toEqual([]);
  });

  test('backlog: at the maximum passes, above fails, not yet measured fails', () => {
    expect(failedNames('reads', facts({ sync: { reachable: true, workers: [forward({ backlog: 100 })] } }))).toEqual([]);
    expect(failedNames('reads', facts({ sync: { reachable: true, workers: [forward({ backlog: 101 })] } }))).toEqual(['forward-sync-backlog']);
    expect(failedNames('reads', facts({ sync: { reachable: true, workers: [forward({ backlog: null })] } }))).toEqual(['forward-sync-backlog']);
  });

  test('every failing guard is listed, not just the first', () => {
    const bad = facts({ shadow: { since, match: 10, mismatch: 10, lag: 0, error: 0 }, sync: { reachable: true, workers: [forward({ healthy: false, state: 'crashed', backlog: 5000, lastLagSeconds: 60 })] } });
    expect(failedNames('canary', bad)).toEqual(['shadow-mismatch-rate', 'forward-sync-healthy', 'forward-sync-lag', 'forward-sync-backlog']);
  });
});

describe('before writes are handed over', () => {
  test('the reverse sync must be running and healthy', () => {
    expect(failedNames('writes', facts({ sync: { reachable: true, workers: [forward()] } }))).toEqual(['reverse-sync-running']);
    expect(failedNames('writes', facts({ sync: { reachable: true, workers: [forward(), reverse({ state: 'running', healthy: false, reason: 'stalled' })] } }))).toEqual(['reverse-sync-running']);
    expect(failedNames('retired', facts({ sync: { reachable: false, reason: 'timeout' } }))).toEqual(['reverse-sync-running']);
  });

  test('never-verified-never-handed-over: no verify run for the context fails', () => {
    const [, verify] = evaluateGuards('writes', facts({ verify: null }), thresholds, now);
    expect(verify).toMatchObject({ guard: 'verify-clean', passed: false, reason: expect.stringMatching(/strangler verify/) });
  });

  test.each([
    ['missing', { missing: 1 }],
    ['extra', { extra: 2 }],
    ['different', { different: 3 }],
  ])('drift of kind %s fails, with the counts', (_kind, drift) => {
    const verify = { runId: 9, finishedAt: new Date(now.getTime() - 1000), missing: 0, extra: 0, different: 0, unsyncable: 0, ...drift };
    const [, result] = evaluateGuards('writes', facts({ verify }), thresholds, now);
    expect(result).toMatchObject({ guard: 'verify-clean', passed: false, measured: { runId: 9, ...drift } });
  });

  test('unsyncable rows alone do not block (legacy dirt the ACL refuses by design)', () => {
    const verify = { runId: 9, finishedAt: new Date(now.getTime() - 1000), missing: 0, extra: 0, different: 0, unsyncable: 40 };
    expect(failedNames('writes', facts({ verify }))).toEqual([]);
  });

  test('a stale clean verify fails: at the maximum age passes, a second older fails', () => {
    const verifyAt = (ageSeconds: number) => ({ runId: 3, finishedAt: new Date(now.getTime() - ageSeconds * 1000), missing: 0, extra: 0, different: 0, unsyncable: 0 });
    expect(failedNames('writes', facts({ verify: verifyAt(3600) }))).toEqual([]);
    expect(failedNames('writes', facts({ verify: verifyAt(3601) }))).toEqual(['verify-clean']);
  });
});
