// Read-your-writes across proxy instances (issue 10): a user writes through one instance and reads through
// another at once, while legacy owns preferences' writes and the new service serves its reads. Two real
// proxies, the real legacy app and user-service, both syncs on a sandbox, and background writes on legacy
// that keep the forward sync busy.
import { until } from '../../cdc/test/until';
import { call, startTestProxy, type TestProxy } from '../test/proxy-harness';
import { startRealSync, type RealSync } from '../test/real-sync-stack';

const ZONES = Intl.supportedValuesOf('timeZone');
const USERS = 20;
const PAIRS = 1_000;
const CONCURRENCY = 10;

describe('read-your-writes across two proxy instances', () => {
  let stack: RealSync;
  let a: TestProxy;
  let b: TestProxy;
  const users: number[] = [];
  const bystanders: number[] = [];

  beforeAll(async () => {
    stack = await startRealSync('ryw-across', { writeOwnership: true });
    // The existence gate's wait is bounded (3 s by default); a loaded machine's reverse sync may take longer,
    // and what is tested here is that the gate reaches the other instance, not that bound.
    const options = { legacyUrl: stack.legacyUrl, newServiceUrl: stack.newServiceUrl, control: stack.control.pool, cdcUrl: stack.cdcUrl, existenceWaitMs: 15_000 };
    a = await startTestProxy(options);
    b = await startTestProxy(options);
    for (const list of [users, bystanders]) {
      for (let i = 0; i < USERS; i++) {
        const { rows } = await stack.legacyAdmin.query<{ usr_id: string }>(
          "INSERT INTO public.users (email_addr, pwd_hash, acct_stat_cd, pref_tz) VALUES ($1, 'x', 'A', 'UTC') RETURNING usr_id",
          [`ryw.${list === users ? 'u' : 'b'}${i}.${Date.now()}@example.com`],
        );
        list.push(Number(rows[0]!.usr_id));
      }
    }
    for (const id of [...users, ...bystanders]) await until(`user ${id} in preferences`, async () => ((await call(`${stack.newServiceUrl}/api/users/${id}/preferences`)).status === 200 ? true : undefined), { timeoutMs: 60_000 });
    await stack.control.setStage('preferences', 'reads');
    await until('both instances in reads', () => ([a, b].every((p) => p.health().contexts.find((c) => c.context === 'preferences')?.stage === 'reads') ? true : undefined), { timeoutMs: 10_000, everyMs: 20 });
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await stack?.stop();
  });

  test(`write-on-one-read-on-another: ${PAIRS} write-then-read pairs through two instances, never a stale read`, async () => {
    // Background load: legacy's own writes to other users, in every partition, for the whole test.
    let loading = true;
    const load = (async () => {
      for (let n = 0; loading; n++) {
        await stack.legacyAdmin.query('UPDATE public.users SET pref_tz = $2, updated_ts = now() WHERE usr_id = $1', [bystanders[n % bystanders.length], ZONES[n % ZONES.length]]);
      }
    })();

    const stale: string[] = [];
    const sideOf = (tag: string) => stack.answers.find((answer) => answer.tag === tag)?.side;
    let servedByNew = 0;
    let pair = 0;
    const runner = async (lane: number) => {
      for (let next = pair++; next < PAIRS; next = pair++) {
        const user = users[(lane + CONCURRENCY * Math.floor(next / CONCURRENCY)) % USERS]!;
        const zone = ZONES[(next * 13) % ZONES.length]!;
        const [writer, reader] = next % 2 === 0 ? [a, b] : [b, a];
        const written = await call(`${writer.url}/api/users/${user}/preferences`, 'PATCH', { timeZone: zone });
        if (written.status !== 200) throw new Error(`write ${next} answered ${written.status}: ${written.text}`);
        // Read at once through the other instance, then again until the new side serves the read (the pin
        // released): every one of those reads must show the write, whichever side served it.
        const deadline = Date.now() + 10_000;
        for (let attempt = 0; ; attempt++) {
          const tag = `pair-${next}-${attempt}`;
          const read = await call(`${reader.url}/api/users/${user}/preferences`, 'GET', undefined, { 'x-test-request': tag });
          if (read.status !== 200 || read.body.timeZone !== zone) stale.push(`pair ${next}, read ${attempt}, user ${user}: wrote ${zone}, read ${read.status} ${read.body?.timeZone} from ${sideOf(tag)}`);
          if (sideOf(tag) === 'new') {
            servedByNew += 1;
            break;
          }
          if (Date.now() > deadline) throw new Error(`pair ${next}: user ${user} still pinned to legacy after 10 s`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, lane) => runner(lane)));
    loading = false;
    await load;

    expect(stale).toEqual([]);
    // Not vacuous: each pair ended with a read the new side served, once the forward sync had the write.
    expect(servedByNew).toBe(PAIRS);
    // And the pins are released once the forward sync has caught up: none is left for ever.
    await until('every pin released', async () => ((await stack.control.pool.query('SELECT count(*)::int AS n FROM control.writer_pins')).rows[0].n === 0 ? true : undefined), { timeoutMs: 30_000, everyMs: 200 });
  });

  test('signed-up-on-one-found-on-another: a user the new side just created is found through any instance on a context legacy still serves', async () => {
    await stack.control.setStage('identity', 'writes');
    await until('both instances with identity on the new side', () => ([a, b].every((p) => p.health().contexts.find((c) => c.context === 'identity')?.stage === 'writes') ? true : undefined), { timeoutMs: 10_000, everyMs: 20 });
    // The reverse sync is flowing (its consumer has joined, the outbox connector is capturing) before the
    // sign-ups that count: the first one waits for legacy's row without the gate.
    const first = await call(`${a.url}/api/users`, 'POST', { email: `gate.first.${Date.now()}@example.com`, password: 'password1' });
    expect(first.status).toBe(201);
    await until('the reverse sync to carry a sign-up to legacy', async () => ((await stack.legacyAdmin.query('SELECT 1 FROM public.users WHERE usr_id = $1', [first.body.id])).rowCount === 1 ? true : undefined), { timeoutMs: 60_000, everyMs: 100 });
    const missing: string[] = [];
    for (let i = 0; i < 10; i++) {
      const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
      const signedUp = await call(`${writer.url}/api/users`, 'POST', { email: `gate.${i}.${Date.now()}@example.com`, password: 'password1', displayName: `Gate ${i}` });
      expect(signedUp.status).toBe(201);
      // Profile is still legacy's: legacy has the user only once the reverse sync has applied the sign-up
      // (the gate is about existence; the profile's own fields follow with the profile's events).
      const profile = await call(`${reader.url}/api/users/${signedUp.body.id}/profile`);
      if (profile.status !== 200) missing.push(`user ${signedUp.body.id}: ${profile.status}`);
    }
    expect(missing).toEqual([]);
    expect(await b.metric('strangler_proxy_existence_waits_total', { context: 'profile', outcome: 'agreed' })).toBeGreaterThan(0);
  });
});
