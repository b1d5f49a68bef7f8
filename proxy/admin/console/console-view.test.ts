// What the console says about the admin API's answers (console-view.js, the same file the browser runs).
import * as view from './console-view';

const guard = (name: string, passed: boolean, reason: string) => ({ guard: name, passed, reason, measured: {} });

describe('rollback targets', () => {
  test('only-earlier-stages-offered-nearest-first', () => {
    expect(view.rollbackTargets('reads')).toEqual(['canary', 'shadow', 'legacy']);
    expect(view.rollbackTargets('retired')).toEqual(['writes', 'reads', 'canary', 'shadow', 'legacy']);
  });

  test('legacy-and-unknown-stages-offer-no-rollback', () => {
    expect(view.rollbackTargets('legacy')).toEqual([]);
    expect(view.rollbackTargets('nonsense')).toEqual([]);
  });

  test('pipeline-marks-the-current-stage-once', () => {
    expect(view.stagePipeline('canary').map((step) => step.position)).toEqual(['done', 'done', 'current', 'ahead', 'ahead', 'ahead']);
  });
});

describe('the next promotion', () => {
  test('a-step-without-guards-reads-as-ready-not-as-all-passing', () => {
    expect(view.nextSummary({ stage: 'shadow', allowed: true, guards: [] })).toEqual({ state: 'ready', text: 'promotion to shadow: no guards for this step' });
  });

  test('one-failed-guard-blocks-and-is-counted', () => {
    const summary = view.nextSummary({ stage: 'reads', allowed: false, guards: [guard('forward-sync-healthy', true, 'ok'), guard('forward-sync-lag', false, 'lag 9 s above the maximum 5 s'), guard('forward-sync-backlog', true, 'ok')] });
    expect(summary).toEqual({ state: 'blocked', text: 'promotion to reads: 1 of 3 guards fail' });
  });

  test('retired-has-no-next-promotion', () => {
    expect(view.nextSummary(null).state).toBe('final');
  });

  test('guard-line-keeps-the-reason-verbatim', () => {
    expect(view.guardLine(guard('verify-clean', false, 'no verifier run covers this context; run `strangler verify <context>`'))).toEqual({
      passed: false,
      mark: '✗',
      text: 'verify-clean: no verifier run covers this context; run `strangler verify <context>`',
    });
  });
});

describe('sync and workers', () => {
  test('unreachable-cdc-is-said-with-its-reason', () => {
    expect(view.syncLine({ direction: 'forward', reachable: false, reason: 'connect ECONNREFUSED' })).toEqual({ healthy: false, text: 'cdc workers unreachable: connect ECONNREFUSED' });
  });

  test('unmeasured-backlog-is-not-shown-as-zero', () => {
    const line = view.syncLine({ direction: 'forward', reachable: true, state: 'running', healthy: true, backlog: null, lagSeconds: null });
    expect(line).toEqual({ healthy: true, text: 'forward sync running · lag none measured · backlog not measured' });
  });

  test('an-unhealthy-worker-is-flagged', () => {
    const line = view.syncLine({ direction: 'reverse', reachable: true, state: 'crashed', healthy: false, backlog: 12, lagSeconds: 42.4, reason: 'broker gone' });
    expect(line).toEqual({ healthy: false, text: 'reverse sync crashed, unhealthy · lag 42 s · backlog 12 events · broker gone' });
  });

  test('sub-second-lag-in-milliseconds', () => {
    expect(view.formatSeconds(0.0425)).toBe('43 ms');
    expect(view.formatSeconds(3.25)).toBe('3.3 s');
  });

  test('worker-row-flags-an-unhealthy-worker-with-its-reason', () => {
    expect(view.workerRow({ name: 'forward', state: 'running', healthy: true, backlog: 1, lastLagSeconds: 0.2 }).cells).toEqual(['forward', 'running', '200 ms', '1 event', '']);
    const now = new Date('2026-12-04T10:00:10Z');
    const instance = { instanceId: '0f1e2d3c-0000-4000-8000-000000000000', host: 'web-1', pid: 42, renewedAt: '2026-12-04T10:00:05Z', leaseExpiresAt: '2026-12-04T10:00:15Z', confirmedVersions: { profile: 7 } };
    expect(view.instanceRow({ ...instance, state: 'live' }, now)).toEqual({ live: true, cells: ['0f1e2d3c', 'web-1 pid 42', 'live, renewed 5 s ago', 'profile v7'] });
    expect(view.instanceRow({ ...instance, state: 'fenced', confirmedVersions: {} }, now)).toEqual({ live: false, cells: ['0f1e2d3c', 'web-1 pid 42', 'fenced since 2026-12-04 10:00:15 UTC', 'nothing yet'] });
    expect(view.workerRow({ name: 'reverse', state: 'running', healthy: false, backlog: 40, reason: 'stalled: 40 events waiting' })).toEqual({ healthy: false, cells: ['reverse', 'running, unhealthy', 'none measured', '40 events', 'stalled: 40 events waiting'] });
  });
});

describe('times', () => {
  test('ages-grow-units', () => {
    const now = new Date('2026-11-21T16:00:00Z');
    expect(view.formatAge('2026-11-21T15:59:55Z', now)).toBe('5 s ago');
    expect(view.formatAge('2026-11-21T15:30:00Z', now)).toBe('30 min ago');
    expect(view.formatAge('2026-11-21T10:00:00Z', now)).toBe('6 h ago');
    expect(view.formatAge('2026-11-10T16:00:00Z', now)).toBe('11 d ago');
  });

  test('a-clock-ahead-of-the-browser-never-shows-a-negative-age', () => {
    expect(view.formatAge('2026-11-21T16:00:05Z', new Date('2026-11-21T16:00:00Z'))).toBe('0 s ago');
  });

  test('times-in-utc-like-the-logs', () => {
    expect(view.formatTime('2026-11-21T15:52:03.123Z')).toBe('2026-11-21 15:52:03 UTC');
    expect(view.formatTime('not a time')).toBe('not a time');
  });
});

describe('mismatches and audit', () => {
  test('differences-one-line-each-long-values-cut', () => {
    const lines = view.differenceLines([
      { path: '$body.displayName', legacy: 'Ada', new: 'Ada L.' },
      { path: '$body.bio', legacy: 'x'.repeat(200), new: null },
      { path: '$body.avatarUrl', legacy: undefined, new: 'https://a' },
    ]);
    expect(lines[0]).toBe('$body.displayName: legacy "Ada", new "Ada L."');
    expect(lines[1]!.length).toBeLessThan(160);
    expect(lines[1]).toMatch(/…, new null$/);
    expect(lines[2]).toBe('$body.avatarUrl: legacy absent, new "https://a"');
  });

  test('redacted-differences-say-what-differs-without-the-personal-value', () => {
    const lines = view.differenceLines([
      { path: 'bio', legacy: { type: 'string', length: 14 }, new: { type: 'string', length: 12 } },
      { path: '$status', legacy: { type: 'number', value: 200 }, new: { type: 'number', value: 404 } },
      { path: 'theme', legacy: { type: 'string', length: 4, value: 'dark' }, new: { type: 'null' } },
      { path: 'avatarUrl', legacy: { type: 'absent' }, new: { type: 'object', length: 2 } },
      { path: 'id', legacy: { type: 'number' }, new: { type: 'array', length: 3 } },
    ]);
    expect(lines).toEqual([
      'bio: legacy a string of 14 chars, new a string of 12 chars',
      '$status: legacy 200, new 404',
      'theme: legacy "dark", new null',
      'avatarUrl: legacy absent, new an object of 2 keys',
      'id: legacy a number, new an array of 3',
    ]);
  });

  test('differences-of-an-unexpected-shape-still-show', () => {
    expect(view.differenceLines({ odd: true })).toEqual(['{"odd":true}']);
  });

  test('audit-row-names-the-change-and-a-forced-one', () => {
    const entry = { at: '2026-11-21T15:00:00Z', actor: 'ops', context: 'profile' as const, action: 'promote' as const, fromStage: 'shadow', toStage: 'canary', fromCanaryPercent: 0, toCanaryPercent: 5, reason: 'mismatches explained', forced: true };
    expect(view.auditRow(entry)).toEqual({ forced: true, cells: ['2026-11-21 15:00:00 UTC', 'ops', 'profile', 'promote shadow → canary at 5% (forced)', 'mismatches explained'] });
    expect(view.describeChange({ ...entry, action: 'canary', fromStage: 'canary', fromCanaryPercent: 5, toCanaryPercent: 25, forced: false })).toBe('canary 5% → 25%');
  });
});

describe('answers of the admin API', () => {
  test('a-refusal-lists-each-failed-guard-and-only-those', () => {
    const body = {
      error: {
        code: 'ADMIN.GUARDS_FAILED',
        message: 'promotion of profile to canary refused: …',
        guards: [guard('shadow-mismatch-rate', false, 'only 3 shadow comparisons since …; at least 100 needed'), guard('forward-sync-healthy', true, 'forward sync running and healthy'), guard('forward-sync-backlog', false, "the forward sync's backlog has not been measured yet")],
      },
    };
    expect(view.outcomeMessage(409, body)).toEqual({
      kind: 'refused',
      title: 'Refused: guards failed; nothing was changed',
      lines: ['✗ shadow-mismatch-rate: only 3 shadow comparisons since …; at least 100 needed', "✗ forward-sync-backlog: the forward sync's backlog has not been measured yet"],
    });
  });

  test('unauthorized-says-nothing-changed', () => {
    expect(view.outcomeMessage(401, { error: { code: 'ADMIN.UNAUTHORIZED', message: 'missing or wrong bearer token' } }).kind).toBe('unauthorized');
  });

  test('other-refusals-show-code-and-message', () => {
    expect(view.outcomeMessage(409, { error: { code: 'ADMIN.CHANGE_IN_PROGRESS', message: 'another change of identity is under way' } })).toEqual({ kind: 'refused', title: 'Refused: ADMIN.CHANGE_IN_PROGRESS', lines: ['another change of identity is under way'] });
    expect(view.outcomeMessage(504, { error: { code: 'ADMIN.DRAIN_TIMEOUT', message: 'drain timed out; writes are released' } }).kind).toBe('failed');
  });

  test('an-answer-that-is-not-json-is-a-failure-not-a-success', () => {
    expect(view.outcomeMessage(502, undefined).kind).toBe('failed');
    expect(view.outcomeMessage(200, undefined).kind).toBe('failed');
  });

  test('dry-run-says-nothing-changed-and-lists-every-guard', () => {
    const body = { dryRun: true, context: 'identity', action: 'promote', from: { stage: 'reads', canaryPercent: 10 }, to: { stage: 'writes', canaryPercent: 10 }, allowed: false, forced: false, drains: 'forward', guards: [guard('reverse-sync-running', true, 'reverse sync running and healthy'), guard('verify-clean', false, 'no verifier run covers this context')] };
    expect(view.outcomeMessage(200, body)).toEqual({
      kind: 'dry-run',
      title: 'Dry run: identity reads → writes would be refused; nothing was changed',
      lines: ['✓ reverse-sync-running: reverse sync running and healthy', '✗ verify-clean: no verifier run covers this context', 'writes change hands: the forward sync is drained first'],
    });
  });

  test('entering-canary-says-at-which-percentage', () => {
    const body = { dryRun: false, context: 'identity', action: 'rollback', from: { stage: 'reads', canaryPercent: 40 }, to: { stage: 'canary', canaryPercent: 0 }, forced: false, guards: [], drained: null, audit: { id: 3 } };
    expect(view.outcomeMessage(200, body).title).toBe('identity: rollback reads → canary at 0%');
  });

  test('applied-promotion-and-canary', () => {
    const applied = { dryRun: false, context: 'preferences', action: 'promote', from: { stage: 'legacy', canaryPercent: 0 }, to: { stage: 'shadow', canaryPercent: 0 }, forced: false, guards: [], drained: null, audit: { id: 1 } };
    expect(view.outcomeMessage(200, applied)).toEqual({ kind: 'applied', title: 'preferences: promote legacy → shadow', lines: [] });
    const canary = { ...applied, action: 'canary', from: { stage: 'canary', canaryPercent: 10 }, to: { stage: 'canary', canaryPercent: 10 }, audit: null };
    expect(view.outcomeMessage(200, canary).title).toBe('preferences: canary already at 10%; nothing changed');
  });
});

describe('what the console sends', () => {
  test('percent-must-be-a-whole-number-0-to-100', () => {
    expect(view.parsePercent(' 25 ')).toEqual({ percent: 25 });
    expect(view.parsePercent('100')).toEqual({ percent: 100 });
    for (const bad of ['', '101', '-1', '2.5', '1e2', 'ten']) expect(view.parsePercent(bad)).toHaveProperty('error');
  });

  test('actor-header-cannot-carry-newlines-and-defaults-to-console', () => {
    expect(view.actorFor('  ')).toBe('console');
    expect(view.actorFor(undefined)).toBe('console');
    expect(view.actorFor('ada\r\nX-Evil: 1')).toBe('adaX-Evil: 1');
    expect(view.actorFor('a'.repeat(300))).toHaveLength(200);
  });

  test('blank-reason-is-left-out', () => {
    expect(view.withReason({ to: 'shadow' }, '   ')).toEqual({ to: 'shadow' });
    expect(view.withReason({ to: 'shadow' }, ' load test ok ')).toEqual({ to: 'shadow', reason: 'load test ok' });
  });
});
