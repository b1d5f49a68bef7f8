// A hand-over of writes while one proxy instance cannot see the control plane (issue 10): two real proxy
// instances in front of the real legacy app and user-service, both syncs running on a sandbox, instance B's
// control-plane connection cut through a relay this test controls. Clients keep writing through both
// instances during a promotion reads → writes and a rollback writes → reads. No write may be acknowledged by
// a side that does not own the context at that moment, and every acknowledged write ends up on both sides.
import { Pool } from 'pg';
import { until } from '../../cdc/test/until';
import { endPool, testServerUrl } from '../../migrations/test/throwaway-database';
import { startAdminHarness, type AdminHarness } from '../admin/test/admin-harness';
import { call, startTestProxy, testLogger, type TestProxy } from '../test/proxy-harness';
import { startRealSync, type RealSync } from '../test/real-sync-stack';
import { startTcpRelay, type TcpRelay } from '../test/tcp-relay';

const ZONES = Intl.supportedValuesOf('timeZone');
const USERS = 6;
// A short lease so the test waits seconds, not the production 10 s; the same rules (horizon = lease − upstream timeout).
const LEASE = { leaseMs: 3_000, upstreamTimeoutMs: 1_000, stagePollMs: 100 };

interface Attempt {
  readonly user: number;
  readonly tag: string;
  readonly via: 'A' | 'B';
  readonly zone: string;
  readonly status: number;
  readonly code: string | undefined;
}

describe('a fenced hand-over: one instance cut off from the control plane', () => {
  let stack: RealSync;
  let admin: AdminHarness;
  let relay: TcpRelay;
  let cutOffControl: Pool;
  let a: TestProxy;
  let b: TestProxy;
  const users: number[] = [];
  const attempts: Attempt[] = [];
  let writing = true;
  let writers: Promise<void>[] = [];

  beforeAll(async () => {
    stack = await startRealSync('fenced-hand-over', { writeOwnership: true });
    admin = await startAdminHarness({ controlUrl: stack.sandbox.admin.control, cdcUrl: stack.cdcUrl, settings: { drainTimeoutMs: 60_000, holdConfirmTimeoutMs: 30_000 } });
    const server = new URL(testServerUrl());
    relay = await startTcpRelay({ host: server.hostname, port: Number(server.port) });
    const throughRelay = new URL(stack.sandbox.admin.control);
    throughRelay.port = String(relay.port);
    cutOffControl = new Pool({ connectionString: throughRelay.toString(), max: 4, connectionTimeoutMillis: 500 });
    cutOffControl.on('error', (error) => testLogger.debug({ err: error }, 'a cut control connection failed'));
    a = await startTestProxy({ legacyUrl: stack.legacyUrl, newServiceUrl: stack.newServiceUrl, control: stack.control.pool, cdcUrl: stack.cdcUrl, ...LEASE });
    b = await startTestProxy({ legacyUrl: stack.legacyUrl, newServiceUrl: stack.newServiceUrl, control: cutOffControl, cdcUrl: stack.cdcUrl, ...LEASE });

    for (let i = 0; i < USERS; i++) {
      const { rows } = await stack.legacyAdmin.query<{ usr_id: string }>(
        "INSERT INTO public.users (email_addr, pwd_hash, acct_stat_cd, pref_tz) VALUES ($1, 'x', 'A', 'UTC') RETURNING usr_id",
        [`fenced.${i}.${Date.now()}@example.com`],
      );
      users.push(Number(rows[0]!.usr_id));
    }
    for (const id of users) await until(`user ${id} in preferences`, async () => ((await call(`${stack.newServiceUrl}/api/users/${id}/preferences`)).status === 200 ? true : undefined), { timeoutMs: 60_000 });
    await stack.control.setStage('preferences', 'reads');
    await seeStage('preferences', 'reads');
  });

  afterAll(async () => {
    writing = false;
    await Promise.all(writers);
    await Promise.all([a?.stop(), b?.stop()]);
    if (cutOffControl) await endPool(cutOffControl);
    await relay?.stop();
    await admin?.stop();
    await stack?.stop();
  });

  /** Until both instances act on the stage; B only once it can read the control plane again. */
  const seeStage = (context: 'preferences', stage: string) =>
    until(`both instances in ${stage}, writable`, () =>
      [a, b].every((proxy) => {
        const health = proxy.health();
        return health.stateStore.lease.writable && health.contexts.find((c) => c.context === context)?.stage === stage;
      }) ? true : undefined,
    { timeoutMs: 20_000, everyMs: 20 });

  /** One user's writes, one after another, alternating instances; each write a new time zone. */
  const write = async (user: number) => {
    for (let n = 0; writing; n++) {
      const via = n % 2 === 0 ? 'A' : 'B';
      const zone = ZONES[(n * 7 + user) % ZONES.length]!;
      const tag = `${user}-${n}`;
      const answer = await call(`${(via === 'A' ? a : b).url}/api/users/${user}/preferences`, 'PATCH', { timeZone: zone }, { 'x-test-request': tag });
      attempts.push({ user, tag, via, zone, status: answer.status, code: answer.body?.error?.code });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const acked = (via: 'A' | 'B', after: number) => attempts.slice(after).filter((attempt) => attempt.via === via && attempt.status === 200).length;
  const atLeast = (what: string, count: () => number, n: number) => until(what, () => (count() >= n ? true : undefined), { timeoutMs: 30_000, everyMs: 20 });
  const auditAt = async (action: string) => {
    const { rows } = await admin.control.query<{ at: Date }>("SELECT at FROM control.audit_log WHERE context = 'preferences' AND action = $1 ORDER BY id DESC LIMIT 1", [action]);
    return rows[0]!.at.getTime();
  };

  /** Cuts B off, changes the stage through the admin API, and checks that B was waited out and fenced. */
  const handOverWithBCutOff = async (change: () => Promise<{ status: number; body: any }>, stage: string) => {
    const fencedBefore = await b.metric('strangler_proxy_fenced_writes_total', { context: 'preferences' });
    const bInstance = b.health().stateStore.lease.instanceId;
    relay.cut();
    const response = await change();
    expect(response.status).toBe(200);
    expect(response.body.holdConfirmed).toMatchObject({ confirmed: 1, fenced: [bInstance] });
    // Cut off, B still serves reads, and refuses writes instead of sending them to the old owner.
    expect((await call(`${b.url}/api/users/${users[0]}/preferences`)).status).toBe(200);
    await until('B to refuse a write for its lapsed lease', async () => ((await b.metric('strangler_proxy_fenced_writes_total', { context: 'preferences' })) > fencedBefore ? true : undefined), { timeoutMs: 10_000, everyMs: 20 });
    const listed = (await admin.request('GET', '/admin/contexts')).body.instances as { instanceId: string; state: string }[];
    expect(listed.find((i) => i.instanceId === bInstance)?.state).toBe('fenced');
    relay.restore();
    await seeStage('preferences', stage);
    // B came back as a new instance: the fenced lease is never renewed.
    expect(b.health().stateStore.lease.instanceId).not.toBe(bInstance);
  };

  test('promotion and rollback under a partition: every acknowledged write on its owner, and on both sides in the end', async () => {
    writers = users.map((user) => write(user));
    await atLeast('writes through both instances', () => Math.min(acked('A', 0), acked('B', 0)), 20);

    await handOverWithBCutOff(() => admin.request('POST', '/admin/contexts/preferences/promote', { json: { to: 'writes', force: true, reason: 'partition drill' } }), 'writes');
    const promotedAt = await auditAt('promote');
    let mark = attempts.length;
    await atLeast('writes through B again, on the new owner', () => acked('B', mark), 10);

    await handOverWithBCutOff(() => admin.request('POST', '/admin/contexts/preferences/rollback', { json: { to: 'reads', reason: 'partition drill' } }), 'reads');
    const rolledBackAt = await auditAt('rollback');
    mark = attempts.length;
    await atLeast('writes through B again, on legacy', () => acked('B', mark), 10);
    writing = false;
    await Promise.all(writers);

    // Each acknowledged write was answered once, by the side that owned preferences' writes at that moment.
    const answers = new Map(stack.answers.filter((answer) => answer.method === 'PATCH' && answer.tag !== undefined).map((answer) => [answer.tag!, answer]));
    const misplaced: string[] = [];
    for (const attempt of attempts.filter((x) => x.status === 200)) {
      const answer = answers.get(attempt.tag);
      if (!answer) {
        misplaced.push(`${attempt.tag} via ${attempt.via}: acknowledged, no backend answered it`);
        continue;
      }
      const owner = answer.at < promotedAt ? 'legacy' : answer.at < rolledBackAt ? 'new' : 'legacy';
      if (answer.side !== owner || answer.status !== 200) misplaced.push(`${attempt.tag} via ${attempt.via}: answered ${answer.status} by ${answer.side} while ${owner} owned the writes`);
    }
    expect(misplaced).toEqual([]);
    expect(stack.answers.filter((answer) => answer.method === 'PATCH' && answer.tag !== undefined).length).toBe(answers.size);
    // Both sides served acknowledged writes: the test crossed both hand-overs with traffic on.
    expect([...answers.values()].filter((answer) => answer.side === 'new' && answer.status === 200).length).toBeGreaterThan(0);

    // Only B's writes were refused, retryably: by B itself once its lease had lapsed, or by the new side for a
    // write B sent it on stale stages while a rollback held them. Nothing waited past the hold's bound.
    const refused = attempts.filter((attempt) => attempt.status !== 200);
    expect(refused.filter((attempt) => attempt.via === 'A')).toEqual([]);
    const reasons = new Set(refused.map((attempt) => `${attempt.status} ${attempt.code}`));
    expect(reasons).toContain('503 PROXY.LEASE_LAPSED');
    expect([...reasons].filter((reason) => reason !== '503 PROXY.LEASE_LAPSED' && reason !== '503 MIGRATION.WRITES_NOT_OWNED')).toEqual([]);

    // Every user's last acknowledged write is what both sides hold once the syncs have caught up.
    const last = new Map<number, string>();
    for (const attempt of attempts) if (attempt.status === 200) last.set(attempt.user, attempt.zone);
    await until('both sides to hold each user\'s last acknowledged write', async () => {
      for (const [user, zone] of last) {
        const legacy = (await stack.legacyAdmin.query('SELECT pref_tz FROM public.users WHERE usr_id = $1', [user])).rows[0]?.pref_tz;
        const fresh = (await stack.userServiceAdmin.query('SELECT time_zone FROM preferences.preferences WHERE id = $1', [user])).rows[0]?.time_zone;
        if (legacy !== zone || fresh !== zone) return undefined;
      }
      return true;
    }, { timeoutMs: 60_000, everyMs: 250, diagnostics: () => JSON.stringify([...last]) });
  });
});
