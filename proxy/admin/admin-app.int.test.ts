// The admin API against a real control plane (a throwaway `strangler` database, migrated), with the cdc
// workers down (a closed port): everything that does not need a live sync. The guards passing on a live
// sync and the drains are in write-flip.int.test.ts.
import pino from 'pino';
import { until } from '../../cdc/test/until';
import { releaseInterruptedHolds } from './context-changes';
import { startAdminHarness, type AdminHarness } from './test/admin-harness';

let admin: AdminHarness;

beforeAll(async () => {
  admin = await startAdminHarness();
});

afterAll(async () => {
  await admin?.stop();
});

beforeEach(() => admin.resetControlPlane());

const place = (context: string, stage: string, canaryPercent = 0) =>
  admin.control.query('UPDATE control.context_stages SET stage = $2, canary_percent = $3, version = version + 1, changed_at = now() WHERE context = $1', [context, stage, canaryPercent]);
const stateOf = async (context: string) =>
  (await admin.control.query('SELECT stage, canary_percent, version, changed_at, writes_held_since, writes_held_reason FROM control.context_stages WHERE context = $1', [context])).rows[0];
const auditRows = async () => (await admin.control.query('SELECT * FROM control.audit_log ORDER BY id')).rows;
const countComparisons = (context: string, result: string, count: number, minutesAgo = 0) =>
  admin.control.query(
    `INSERT INTO control.shadow_comparisons (context, result, minute, count) VALUES ($1, $2, date_trunc('minute', now() - make_interval(mins => $4)), $3)
     ON CONFLICT (context, result, minute) DO UPDATE SET count = shadow_comparisons.count + EXCLUDED.count`,
    [context, result, count, minutesAgo],
  );

function expectFailure(response: { status: number; body: any; contentType: string | null; text: string }, status: number, code: string) {
  expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
  expect(typeof response.body.error.message).toBe('string');
  expect(response.contentType).toMatch(/^application\/json/);
  expect(response.text).not.toMatch(/<html|\bat .+\.(ts|js):\d+/i);
}

const EVERY_ADMIN_CALL: [string, string, unknown][] = [
  ['GET', '/admin/contexts', undefined],
  ['POST', '/admin/contexts/profile/promote', { to: 'shadow' }],
  ['POST', '/admin/contexts/profile/rollback', { to: 'legacy' }],
  ['PUT', '/admin/contexts/profile/canary', { percent: 50 }],
  ['GET', '/admin/audit', undefined],
  ['GET', '/admin/shadow/mismatches', undefined],
  ['GET', '/admin/no-such-call', undefined],
];

describe('authorisation', () => {
  test('no token or a wrong one: every admin call gets 401 and nothing changes', async () => {
    await place('profile', 'canary', 10);
    const before = await stateOf('profile');
    for (const token of [null, 'wrong-token', '', 'test-admin-token-but-longer']) {
      for (const [method, path, json] of EVERY_ADMIN_CALL) {
        const response = await admin.request(method, path, { json, token });
        expectFailure(response, 401, 'ADMIN.UNAUTHORIZED');
      }
    }
    const basic = await admin.request('GET', '/admin/contexts', { token: null, headers: { authorization: 'Basic dGVzdC1hZG1pbi10b2tlbg==' } });
    expectFailure(basic, 401, 'ADMIN.UNAUTHORIZED');
    expect(await stateOf('profile')).toEqual(before);
    expect(await auditRows()).toEqual([]);
  });

  test('no-token-is-never-open: an admin API without a configured token refuses even a bearer', async () => {
    const closed = await startAdminHarness({ token: null });
    try {
      for (const token of ['', 'anything', 'undefined']) {
        for (const [method, path, json] of EVERY_ADMIN_CALL) expectFailure(await closed.request(method, path, { json, token }), 401, 'ADMIN.UNAUTHORIZED');
      }
      expect((await closed.request('GET', '/healthz', { token: null })).status).toBe(200);
    } finally {
      await closed.stop();
    }
  });

  test('/healthz and /metrics answer without a token', async () => {
    const health = await admin.request('GET', '/healthz', { token: null });
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', healthy: true } });
    await admin.request('POST', '/admin/contexts/identity/promote', { json: {} });
    const metrics = await admin.request('GET', '/metrics', { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/strangler_admin_changes_total\{context="identity",action="promote",outcome="applied"\} 1/);
  });
});

describe('bad input', () => {
  test('malformed JSON, a wrong shape, a wrong media type and an oversize body are refused with the reason', async () => {
    expectFailure(await admin.request('POST', '/admin/contexts/profile/promote', { body: '{"to": ', headers: { 'content-type': 'application/json' } }), 400, 'ADMIN.INVALID_REQUEST');
    const shape = await admin.request('POST', '/admin/contexts/profile/promote', { json: { to: 'shadow', dryrun: true } });
    expectFailure(shape, 400, 'ADMIN.INVALID_REQUEST');
    expect(shape.body.error.message).toMatch(/unknown field "dryrun"/);
    expectFailure(await admin.request('PUT', '/admin/contexts/profile/canary', { json: { percent: 101 } }), 400, 'ADMIN.INVALID_REQUEST');
    expectFailure(await admin.request('POST', '/admin/contexts/profile/promote', { body: 'to=shadow', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'ADMIN.UNSUPPORTED_MEDIA_TYPE');
    expectFailure(await admin.request('POST', '/admin/contexts/profile/promote', { json: { reason: 'x'.repeat(20_000) } }), 413, 'ADMIN.PAYLOAD_TOO_LARGE');
    expectFailure(await admin.request('GET', '/admin/audit?limit=0'), 400, 'ADMIN.INVALID_REQUEST');
    expectFailure(await admin.request('POST', '/admin/contexts/profile/promote', { json: {}, headers: { 'x-strangler-actor': ' ' } }), 400, 'ADMIN.INVALID_REQUEST');
    expect((await stateOf('profile')).version).toBe(1);
    expect(await auditRows()).toEqual([]);
  });

  test('an unknown context is 404, an unknown stage 400, an unknown route 404, all JSON', async () => {
    expectFailure(await admin.request('POST', '/admin/contexts/billing/promote', { json: {} }), 404, 'ADMIN.UNKNOWN_CONTEXT');
    expectFailure(await admin.request('PUT', '/admin/contexts/users/canary', { json: { percent: 1 } }), 404, 'ADMIN.UNKNOWN_CONTEXT');
    expectFailure(await admin.request('GET', '/admin/audit?context=billing'), 404, 'ADMIN.UNKNOWN_CONTEXT');
    expectFailure(await admin.request('POST', '/admin/contexts/profile/promote', { json: { to: 'production' } }), 400, 'ADMIN.UNKNOWN_STAGE');
    expectFailure(await admin.request('POST', '/admin/contexts/profile/rollback', { json: { to: 'yesterday' } }), 400, 'ADMIN.UNKNOWN_STAGE');
    expectFailure(await admin.request('DELETE', '/admin/contexts/profile'), 404, 'ADMIN.ROUTE_NOT_FOUND');
    expectFailure(await admin.request('GET', '/nowhere', { token: null }), 404, 'ADMIN.ROUTE_NOT_FOUND');
  });

  test('a promotion that is not exactly one stage forward is refused with the reason', async () => {
    const skip = await admin.request('POST', '/admin/contexts/profile/promote', { json: { to: 'reads' } });
    expectFailure(skip, 409, 'ADMIN.INVALID_TRANSITION');
    expect(skip.body.error.message).toMatch(/exactly one stage forward: legacy → shadow, not reads/);
    expectFailure(await admin.request('POST', '/admin/contexts/profile/promote', { json: { to: 'legacy' } }), 409, 'ADMIN.INVALID_TRANSITION');
    expectFailure(await admin.request('POST', '/admin/contexts/profile/rollback', { json: { to: 'legacy' } }), 409, 'ADMIN.INVALID_TRANSITION');
    await place('profile', 'retired');
    expectFailure(await admin.request('POST', '/admin/contexts/profile/promote', { json: {} }), 409, 'ADMIN.INVALID_TRANSITION');
    expect(await auditRows()).toEqual([]);
  });
});

describe('promotion', () => {
  test('legacy → shadow needs no guard; the change is versioned and audited with the actor', async () => {
    const before = await stateOf('identity');
    const response = await admin.request('POST', '/admin/contexts/identity/promote', { json: { reason: 'start comparing' }, headers: { 'x-strangler-actor': 'alice' } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ dryRun: false, context: 'identity', action: 'promote', from: { stage: 'legacy' }, to: { stage: 'shadow' }, forced: false, drained: null, audit: { actor: 'alice', reason: 'start comparing' } });
    const after = await stateOf('identity');
    expect(after).toMatchObject({ stage: 'shadow', version: before.version + 1, writes_held_since: null });
    expect(after.changed_at.getTime()).toBeGreaterThanOrEqual(before.changed_at.getTime());
    expect(await auditRows()).toEqual([
      expect.objectContaining({ actor: 'alice', context: 'identity', action: 'promote', from_stage: 'legacy', to_stage: 'shadow', from_canary_percent: 0, to_canary_percent: 0, reason: 'start comparing', forced: false, guards: [] }),
    ]);
  });

  test('leaving shadow is refused with every failed guard and its measure, then allowed once the comparisons hold, changing nothing meanwhile', async () => {
    await place('profile', 'shadow');
    // Before the context entered shadow: must not count.
    await countComparisons('profile', 'match', 10_000, 90);
    await countComparisons('profile', 'match', 40);
    await countComparisons('profile', 'mismatch', 2);
    await countComparisons('profile', 'lag', 500);
    const before = await stateOf('profile');

    const refused = await admin.request('POST', '/admin/contexts/profile/promote', { json: { to: 'canary' } });
    expectFailure(refused, 409, 'ADMIN.GUARDS_FAILED');
    const byName = Object.fromEntries(refused.body.error.guards.map((g: any) => [g.guard, g]));
    expect(byName['shadow-mismatch-rate']).toMatchObject({ passed: false, measured: { match: 40, mismatch: 2, lag: 500, sample: 42, minSample: 100 } });
    for (const guard of ['forward-sync-healthy', 'forward-sync-lag', 'forward-sync-backlog']) expect(byName[guard]).toMatchObject({ passed: false, reason: expect.stringMatching(/cdc workers unreachable/) });
    expect(refused.body.error.message).toMatch(/shadow-mismatch-rate: only 42 shadow comparisons/);
    expect(await stateOf('profile')).toEqual(before);

    await countComparisons('profile', 'match', 958, 0);
    const still = await admin.request('POST', '/admin/contexts/profile/promote', { json: {} });
    expectFailure(still, 409, 'ADMIN.GUARDS_FAILED');
    expect(still.body.error.guards.find((g: any) => g.guard === 'shadow-mismatch-rate')).toMatchObject({ passed: true, measured: { sample: 1000, rate: 0.002 } });
    expect(still.body.error.guards.filter((g: any) => !g.passed).map((g: any) => g.guard)).toEqual(['forward-sync-healthy', 'forward-sync-lag', 'forward-sync-backlog']);
    expect(await auditRows()).toEqual([]);
  });

  test('dry-run evaluates and tells what would change, and changes and audits nothing', async () => {
    await place('preferences', 'shadow');
    const before = await stateOf('preferences');
    const dry = await admin.request('POST', '/admin/contexts/preferences/promote', { json: { dryRun: true, percent: 5 } });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, context: 'preferences', from: { stage: 'shadow' }, to: { stage: 'canary', canaryPercent: 5 }, allowed: false, drains: null });
    expect(dry.body.guards.map((g: any) => g.guard)).toEqual(['shadow-mismatch-rate', 'forward-sync-healthy', 'forward-sync-lag', 'forward-sync-backlog']);
    await place('preferences', 'reads');
    const flip = await admin.request('POST', '/admin/contexts/preferences/promote', { json: { dryRun: true, force: true, reason: 'would it?' } });
    expect(flip.body).toMatchObject({ dryRun: true, to: { stage: 'writes' }, allowed: true, forced: true, drains: 'forward' });
    expect(await stateOf('preferences')).toMatchObject({ stage: 'reads', version: before.version + 1, writes_held_since: null });
    expect(await auditRows()).toEqual([]);
  });

  test('force needs a reason; forced, it proceeds and the audit names it forced with the failed guards', async () => {
    await place('profile', 'shadow');
    expectFailure(await admin.request('POST', '/admin/contexts/profile/promote', { json: { force: true } }), 400, 'ADMIN.INVALID_REQUEST');
    expectFailure(await admin.request('POST', '/admin/contexts/profile/promote', { json: { force: true, reason: '  ' } }), 400, 'ADMIN.INVALID_REQUEST');
    expect((await stateOf('profile')).stage).toBe('shadow');

    const forced = await admin.request('POST', '/admin/contexts/profile/promote', { json: { force: true, reason: 'cdc dashboard is green, healthz is firewalled', percent: 10 }, headers: { 'x-strangler-actor': 'bob' } });
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ forced: true, to: { stage: 'canary', canaryPercent: 10 } });
    expect(await stateOf('profile')).toMatchObject({ stage: 'canary', canary_percent: 10 });
    const [audit] = await auditRows();
    expect(audit).toMatchObject({ actor: 'bob', action: 'promote', from_stage: 'shadow', to_stage: 'canary', to_canary_percent: 10, forced: true, reason: 'cdc dashboard is green, healthz is firewalled' });
    expect(audit.guards.filter((g: any) => !g.passed).map((g: any) => g.guard)).toEqual(['shadow-mismatch-rate', 'forward-sync-healthy', 'forward-sync-lag', 'forward-sync-backlog']);
  });

  test('a drain that fails releases the writes, keeps the stage and audits nothing', async () => {
    await place('identity', 'reads');
    const before = await stateOf('identity');
    const response = await admin.request('POST', '/admin/contexts/identity/promote', { json: { force: true, reason: 'drill' } });
    expectFailure(response, 503, 'ADMIN.DRAIN_FAILED');
    expect(response.body.error.message).toMatch(/sync\/forward\/drain.*writes are released and identity stays reads/);
    // The hold gave the row a version of its own (instances confirm it); nothing else of it changed.
    expect(await stateOf('identity')).toEqual({ ...before, version: before.version + 1 });
    expect(await auditRows()).toEqual([]);
  });

  test('write holds left by a crashed admin are released at start, except where a change is under way', async () => {
    await admin.control.query("UPDATE control.context_stages SET writes_held_since = now(), writes_held_reason = 'crashed mid-flip' WHERE context IN ('identity', 'profile')");
    // Another admin session is changing identity right now: its hold is live, not stale.
    const busy = await admin.control.connect();
    try {
      await busy.query("SELECT pg_advisory_lock(hashtext('strangler.context-change'), hashtext('identity'))");
      expect(await releaseInterruptedHolds(admin.control, pino({ level: 'silent' }))).toEqual(['profile']);
      expect(await stateOf('identity')).toMatchObject({ writes_held_reason: 'crashed mid-flip' });
      expect(await stateOf('profile')).toMatchObject({ stage: 'legacy', writes_held_since: null, writes_held_reason: null });
    } finally {
      busy.release(true);
    }
  });

  test('a write hold left by an interrupted change is cleared by the next change', async () => {
    await admin.control.query("UPDATE control.context_stages SET writes_held_since = now(), writes_held_reason = 'crashed mid-flip' WHERE context = 'profile'");
    expect((await admin.request('POST', '/admin/contexts/profile/promote', { json: {} })).status).toBe(200);
    expect(await stateOf('profile')).toMatchObject({ stage: 'shadow', writes_held_since: null, writes_held_reason: null });
  });
});

describe('concurrent changes of one context', () => {
  test('parallel promotions never both apply: one wins, the others get 409, one audit row', async () => {
    const responses = await Promise.all(Array.from({ length: 6 }, () => admin.request('POST', '/admin/contexts/profile/promote', { json: { to: 'shadow' } })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409]);
    for (const r of responses.filter((r) => r.status === 409)) expect(['ADMIN.CHANGE_IN_PROGRESS', 'ADMIN.INVALID_TRANSITION']).toContain(r.body.error.code);
    expect(await stateOf('profile')).toMatchObject({ stage: 'shadow', version: 2 });
    expect(await auditRows()).toHaveLength(1);
  });

  test('a second admin instance cannot change a context while the first holds its writes for a drain', async () => {
    const slow = await startAdminHarness({ controlUrl: admin.controlUrl, settings: { holdConfirmTimeoutMs: 1_500 } });
    // A proxy instance whose lease is live but which never confirms: the hold stands until the confirmation times out.
    const silent = '00000000-0000-4000-8000-000000000001';
    await admin.control.query("INSERT INTO control.proxy_instances (instance_id, host, pid, renewed_at, lease_expires_at) VALUES ($1, 'test', 1, now(), now() + interval '1 hour')", [silent]);
    try {
      await place('profile', 'reads');
      const flip = slow.request('POST', '/admin/contexts/profile/promote', { json: { force: true, reason: 'drill' } });
      const held = await until('the write hold', async () => ((await stateOf('profile')).writes_held_since ? await stateOf('profile') : undefined), { timeoutMs: 5_000, everyMs: 20 });
      expect(held.writes_held_reason).toMatch(/draining the forward sync/);
      expectFailure(await admin.request('POST', '/admin/contexts/profile/promote', { json: { force: true, reason: 'me too' } }), 409, 'ADMIN.CHANGE_IN_PROGRESS');
      expectFailure(await admin.request('POST', '/admin/contexts/profile/rollback', { json: { to: 'legacy' } }), 409, 'ADMIN.CHANGE_IN_PROGRESS');
      // Other contexts are not blocked by it.
      expect((await admin.request('POST', '/admin/contexts/identity/promote', { json: {} })).status).toBe(200);
      const refused = await flip;
      expectFailure(refused, 503, 'ADMIN.HOLD_NOT_CONFIRMED');
      expect(refused.body.error.message).toContain(silent);
      expect(await stateOf('profile')).toMatchObject({ stage: 'reads', writes_held_since: null });
    } finally {
      await admin.control.query('DELETE FROM control.proxy_instances WHERE instance_id = $1', [silent]);
      await slow.stop();
    }
  });
});

describe('rollback and canary', () => {
  test('rollback goes to any earlier stage and is audited', async () => {
    await place('preferences', 'canary', 30);
    const response = await admin.request('POST', '/admin/contexts/preferences/rollback', { json: { to: 'legacy', reason: 'mismatches on theme' } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ action: 'rollback', from: { stage: 'canary', canaryPercent: 30 }, to: { stage: 'legacy' }, drained: null });
    expect(await auditRows()).toEqual([expect.objectContaining({ action: 'rollback', from_stage: 'canary', to_stage: 'legacy', reason: 'mismatches on theme', forced: false })]);
  });

  test('the canary percentage moves only in canary, and each move is audited', async () => {
    const outside = await admin.request('PUT', '/admin/contexts/identity/canary', { json: { percent: 20 } });
    expectFailure(outside, 409, 'ADMIN.NOT_IN_CANARY');
    await place('identity', 'canary', 5);
    const before = await stateOf('identity');
    const response = await admin.request('PUT', '/admin/contexts/identity/canary', { json: { percent: 20 }, headers: { 'x-strangler-actor': 'carol' } });
    expect(response.status).toBe(200);
    expect(await stateOf('identity')).toMatchObject({ stage: 'canary', canary_percent: 20, version: before.version + 1, changed_at: before.changed_at });
    // The same percentage again is no change: no new version, no audit row.
    expect((await admin.request('PUT', '/admin/contexts/identity/canary', { json: { percent: 20 } })).body).toMatchObject({ audit: null });
    expect(await auditRows()).toEqual([expect.objectContaining({ actor: 'carol', action: 'canary', from_stage: 'canary', to_stage: 'canary', from_canary_percent: 5, to_canary_percent: 20 })]);
  });
});

describe('listings', () => {
  test('GET /admin/contexts shows each context with its stage, canary, hold, next guards and sync', async () => {
    await place('profile', 'canary', 25);
    await admin.control.query("UPDATE control.context_stages SET writes_held_since = now(), writes_held_reason = 'draining' WHERE context = 'preferences'");
    const response = await admin.request('GET', '/admin/contexts');
    expect(response.status).toBe(200);
    expect(response.body.contexts.map((c: any) => [c.context, c.stage, c.canaryPercent, c.next?.stage])).toEqual([
      ['identity', 'legacy', 0, 'shadow'],
      ['profile', 'canary', 25, 'reads'],
      ['preferences', 'legacy', 0, 'shadow'],
    ]);
    expect(response.body.contexts[0]).toMatchObject({ writesOwner: 'legacy', writesHeld: null, next: { allowed: true, guards: [] }, sync: { direction: 'forward', reachable: false } });
    expect(response.body.contexts[1].next).toMatchObject({ allowed: false, guards: expect.arrayContaining([expect.objectContaining({ guard: 'forward-sync-healthy', passed: false, reason: expect.stringMatching(/unreachable.*ECONNREFUSED/) })]) });
    expect(response.body.contexts[2].writesHeld).toMatchObject({ reason: 'draining' });
    expect(response.body.cdc).toMatchObject({ reachable: false });
  });

  test('the audit log lists newest first, by context, up to the limit', async () => {
    for (const context of ['identity', 'profile', 'identity']) {
      const { rows } = await admin.control.query('SELECT stage FROM control.context_stages WHERE context = $1', [context]);
      expect(rows[0].stage === 'legacy' ? (await admin.request('POST', `/admin/contexts/${context}/promote`, { json: {} })).status : (await admin.request('POST', `/admin/contexts/${context}/rollback`, { json: { to: 'legacy' } })).status).toBe(200);
    }
    const all = await admin.request('GET', '/admin/audit');
    expect(all.body.entries.map((e: any) => [e.context, e.action])).toEqual([['identity', 'rollback'], ['profile', 'promote'], ['identity', 'promote']]);
    expect(all.body.entries[0]).toMatchObject({ actor: 'admin-api', fromStage: 'shadow', toStage: 'legacy', forced: false, at: expect.stringMatching(/Z$/) });
    const identity = await admin.request('GET', '/admin/audit?context=identity&limit=1');
    expect(identity.body.entries.map((e: any) => [e.context, e.action])).toEqual([['identity', 'rollback']]);
  });

  test('shadow mismatches list the data plane\'s sample newest first, by context, up to the limit', async () => {
    for (const [context, route] of [['profile', 'GET /api/users/:id/profile'], ['identity', 'GET /api/users/:id/account'], ['profile', 'GET /api/users/:id/profile']]) {
      await admin.control.query("INSERT INTO control.shadow_mismatches (context, route, result, usr_id, differences) VALUES ($1, $2, 'mismatch', 7, $3)", [context, route, JSON.stringify([{ path: 'displayName', legacy: '[redacted]', new: '[redacted]' }])]);
    }
    const all = await admin.request('GET', '/admin/shadow/mismatches');
    expect(all.body.mismatches.map((m: any) => m.context)).toEqual(['profile', 'identity', 'profile']);
    expect(all.body.mismatches[0]).toMatchObject({ route: 'GET /api/users/:id/profile', result: 'mismatch', usrId: 7, differences: [{ path: 'displayName' }] });
    const profile = await admin.request('GET', '/admin/shadow/mismatches?context=profile&limit=1');
    expect(profile.body.mismatches).toHaveLength(1);
    expect(profile.body.mismatches[0].id).toBe(all.body.mismatches[0].id);
  });
});
