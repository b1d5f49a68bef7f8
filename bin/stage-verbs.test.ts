import { renderChange, renderStatus } from './stage-verbs';

const guard = (name: string, passed: boolean, reason: string) => ({ guard: name, passed, reason, measured: {} });

test('status: one line per context, then, per context, what blocks its next promotion and what holds its writes', () => {
  const text = renderStatus({
    contexts: [
      { context: 'identity', stage: 'legacy', canaryPercent: 0, writesOwner: 'legacy', writesHeld: null, next: { stage: 'shadow', allowed: true, guards: [] }, sync: { direction: 'forward', reachable: true, healthy: true, backlog: 0 } },
      { context: 'profile', stage: 'canary', canaryPercent: 25, writesOwner: 'legacy', writesHeld: null, next: { stage: 'reads', allowed: false, guards: [guard('forward-sync-healthy', true, 'ok'), guard('forward-sync-backlog', false, 'backlog 500 above 100')] }, sync: { direction: 'forward', reachable: true, healthy: true, backlog: 500 } },
      { context: 'preferences', stage: 'retired', canaryPercent: 0, writesOwner: 'new', writesHeld: { since: '2026-11-21T12:00:00.000Z', reason: 'draining' }, next: null, sync: { direction: 'reverse', reachable: true, healthy: false, backlog: null } },
    ],
    cdc: { reachable: true, workers: [] },
    instances: [
      { instanceId: 'a1', host: 'web-1', pid: 10, state: 'live', renewedAt: '2026-11-21T12:00:01.000Z', leaseExpiresAt: '2026-11-21T12:00:11.000Z', confirmedVersions: { identity: 1, profile: 4 } },
      { instanceId: 'b2', host: 'web-2', pid: 20, state: 'fenced', renewedAt: '2026-11-21T11:00:00.000Z', leaseExpiresAt: '2026-11-21T11:00:10.000Z', confirmedVersions: {} },
    ],
  });
  expect(text.split('\n')).toEqual([
    'context      stage    canary  writes      sync                     next',
    'identity     legacy   -       legacy      forward ok, backlog 0    shadow ready',
    'profile      canary   25%     legacy      forward ok, backlog 500  reads blocked',
    'preferences  retired  -       HELD (new)  reverse UNHEALTHY        -',
    'profile → reads: ✗ forward-sync-backlog: backlog 500 above 100',
    'preferences: writes held since 2026-11-21T12:00:00.000Z: draining',
    '',
    'instance  host   pid  lease   renewed                   expires                   confirmed',
    'a1        web-1  10   live    2026-11-21T12:00:01.000Z  2026-11-21T12:00:11.000Z  identity@1 profile@4',
    'b2        web-2  20   fenced  2026-11-21T11:00:00.000Z  2026-11-21T11:00:10.000Z  -',
    '',
  ]);
});

test('status says when the cdc workers cannot be reached', () => {
  const text = renderStatus({ contexts: [], cdc: { reachable: false, reason: 'connect ECONNREFUSED' } });
  expect(text).toMatch(/cdc workers unreachable: connect ECONNREFUSED/);
  expect(text).toMatch(/no proxy instance registered/);
});

test('a change shows from, to, forced, the drain and the audit entry', () => {
  const text = renderChange({
    dryRun: false, context: 'profile', action: 'promote', from: { stage: 'reads', canaryPercent: 0 }, to: { stage: 'writes', canaryPercent: 0 }, forced: true,
    guards: [guard('verify-clean', false, 'no verifier run')], drained: { drained: true, direction: 'forward', tookMs: 812 }, audit: { id: 4, actor: 'olga', reason: 'verified by hand' },
  });
  expect(text).toBe('profile: reads → writes (FORCED past failed guards)\n  forward sync drained in 812 ms before the writes changed hands\n  audit #4 by olga: verified by hand\n  ✗ verify-clean: no verifier run\n');
});

test('a dry run says whether it would proceed and which sync it would drain', () => {
  const text = renderChange({ dryRun: true, context: 'identity', from: { stage: 'writes', canaryPercent: 0 }, to: { stage: 'canary', canaryPercent: 10 }, allowed: true, forced: false, drains: 'reverse', guards: [] });
  expect(text).toBe('dry run: identity writes → canary 10% would proceed\n  writes would be held and the reverse sync drained before the flip\n');
});

test('setting the canary to the percentage it has says nothing changed', () => {
  expect(renderChange({ dryRun: false, context: 'profile', action: 'canary', from: { stage: 'canary', canaryPercent: 5 }, to: { stage: 'canary', canaryPercent: 5 }, audit: null, guards: [] })).toBe('profile: already canary 5%; nothing changed\n');
});
