// The proxy in front of the real apps and the real forward sync (one sync sandbox for both parts, it is
// the slow thing to start): read-your-writes while reads are on the new service and writes on legacy, and
// the shadow stage's comparison. The sandbox's databases, Debezium connector and topics are throwaway.
import { until } from '../cdc/test/until';
import { call, startTestProxy, type TestProxy } from './test/proxy-harness';
import { startRealSync, type RealSync } from './test/real-sync-stack';

let stack: RealSync;

beforeAll(async () => {
  stack = await startRealSync('real-sync');
});

afterAll(async () => {
  await stack?.stop();
});

describe('read-your-writes while reads are on the new service and writes on legacy', () => {
  let proxy: TestProxy;

  beforeAll(async () => {
    proxy = await startTestProxy({ legacyUrl: stack.legacyUrl, newServiceUrl: stack.newServiceUrl, control: stack.control.pool, cdcUrl: stack.cdcUrl });
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  const enter = async (context: 'identity' | 'profile', stage: 'legacy' | 'reads' | 'canary' | 'writes', canaryPercent = 0) => {
    await stack.control.setStage(context, stage, { canaryPercent });
    await until(`${context} in ${stage}`, () => (proxy.health().contexts.find((c) => c.context === context)?.stage === stage ? true : undefined), { timeoutMs: 5_000, everyMs: 20 });
  };

  const signUp = async (tag: string) => {
    const response = await call(`${proxy.url}/api/users`, 'POST', { email: `ryw.${tag}.${Date.now()}@example.com`, password: 'password-1', displayName: `start ${tag}` });
    expect(response.status).toBe(201);
    return response.body.id as number;
  };

  test.each([
    ['reads', 0, 8, 25],
    ['canary', 100, 4, 10],
  ] as const)('stale-read-after-write never happens in %s (%i%%): %i users write their profile and read it back at once, %i times each, concurrently', async (stage, percent, userCount, rounds) => {
    const users = await Promise.all(Array.from({ length: userCount }, (_, i) => signUp(`${stage}${i}`)));
    // Every user exists on the new side before its reads go there.
    for (const id of users) await until(`user ${id} synced`, async () => ((await call(`${stack.newServiceUrl}/api/users/${id}/profile`)).status === 200 ? true : undefined), { timeoutMs: 60_000 });
    await enter('profile', stage, percent);
    const servedBefore = {
      legacy: await proxy.metric('strangler_proxy_requests_total', { route: 'profile.read', backend: 'legacy', status: '200' }),
      fresh: await proxy.metric('strangler_proxy_requests_total', { route: 'profile.read', backend: 'new', status: '200' }),
    };

    const stale: string[] = [];
    await Promise.all(
      users.map(async (id) => {
        for (let round = 0; round < rounds; round++) {
          const displayName = `user ${id} round ${round}`;
          const written = await call(`${proxy.url}/api/users/${id}/profile`, 'PATCH', { displayName });
          expect(written.status).toBe(200);
          const read = await call(`${proxy.url}/api/users/${id}/profile`);
          if (read.status !== 200 || read.body.displayName !== displayName) stale.push(`${displayName}: read ${read.status} ${read.body?.displayName}`);
          // Every few rounds, wait until the new side has it, so reads also come from the new service.
          if (round % 5 === 4) {
            await until('the new side caught up', async () => ((await call(`${stack.newServiceUrl}/api/users/${id}/profile`)).body?.displayName === displayName ? true : undefined), { timeoutMs: 30_000, everyMs: 20 });
            await until('the pin released', async () => {
              const again = await call(`${proxy.url}/api/users/${id}/profile`);
              if (again.body?.displayName !== displayName) stale.push(`${displayName}: re-read ${again.status} ${again.body?.displayName}`);
              return again.headers.get('etag') !== null ? true : undefined;
            }, { timeoutMs: 10_000, everyMs: 20 });
          }
        }
      }),
    );
    expect(stale).toEqual([]);
    // The test means something only if both sides served reads: pinned ones from legacy, the rest from new.
    const served = {
      legacy: (await proxy.metric('strangler_proxy_requests_total', { route: 'profile.read', backend: 'legacy', status: '200' })) - servedBefore.legacy,
      fresh: (await proxy.metric('strangler_proxy_requests_total', { route: 'profile.read', backend: 'new', status: '200' })) - servedBefore.fresh,
    };
    expect(served.legacy).toBeGreaterThan(0);
    expect(served.fresh).toBeGreaterThan(0);
    await enter('profile', 'legacy');
  });

  test('a user who just signed up through legacy is found at once although identity reads are on the new service', async () => {
    await enter('identity', 'reads');
    for (let i = 0; i < 10; i++) {
      const id = await signUp(`signup${i}`);
      const account = await call(`${proxy.url}/api/users/${id}/account`);
      expect([id, account.status]).toEqual([id, 200]);
    }
    await enter('identity', 'legacy');
  });

  test('signed-up-on-new-found-on-legacy: a user the new service just created (or erased) is already there (or gone) on contexts legacy still serves', async () => {
    await enter('identity', 'writes');
    const waitedBefore = await proxy.metric('strangler_proxy_existence_waits_total', { context: 'preferences', outcome: 'agreed' });
    const failures: string[] = [];
    for (let i = 0; i < 8; i++) {
      const id = await signUp(`newborn${i}`);
      expect(id).toBeGreaterThanOrEqual(1_000_000_000_000);
      // Preferences and profile are still legacy's: their answers come from legacy, which knows the user only
      // once the reverse sync has inserted the row.
      const preferences = await call(`${proxy.url}/api/users/${id}/preferences`);
      if (preferences.status !== 200) failures.push(`preferences of ${id}: ${preferences.status}`);
      const renamed = await call(`${proxy.url}/api/users/${id}/profile`, 'PATCH', { displayName: `newborn ${i}` });
      if (renamed.status !== 200) failures.push(`profile change of ${id}: ${renamed.status}`);
      expect((await call(`${proxy.url}/api/users/${id}`, 'DELETE')).status).toBe(204);
      const gone = await call(`${proxy.url}/api/users/${id}/profile`);
      if (gone.status !== 404) failures.push(`profile of erased ${id}: ${gone.status}`);
    }
    expect(failures).toEqual([]);
    // Some of those requests did wait for the reverse sync: the test is about the gate, not a lucky race.
    expect(await proxy.metric('strangler_proxy_existence_waits_total', { context: 'preferences', outcome: 'agreed' })).toBeGreaterThan(waitedBefore);
    await enter('identity', 'legacy');
  });
});

describe('shadow comparison', () => {
  let proxy: TestProxy;
  const users: { id: number; email: string }[] = [];

  beforeAll(async () => {
    proxy = await startTestProxy({
      legacyUrl: stack.legacyUrl,
      newServiceUrl: stack.newServiceUrl,
      control: stack.control.pool,
      cdcUrl: stack.cdcUrl,
      shadow: { flushEveryMs: 100, lagRechecks: 5, lagRecheckDelayMs: 200 },
    });
    for (let i = 0; i < 6; i++) {
      // Mixed case: legacy keeps the email as typed, identity lower-cases it; the account rules case-fold.
      const email = `Shadow.User${i}.${Date.now()}@Example.COM`;
      const created = await call(`${proxy.url}/api/users`, 'POST', { email, password: 'password-1', displayName: `Shadow Person ${i}` });
      expect(created.status).toBe(201);
      users.push({ id: created.body.id, email });
    }
    for (const { id } of users) {
      await until(`user ${id} synced`, async () => ((await call(`${stack.newServiceUrl}/api/users/${id}/preferences`)).status === 200 ? true : undefined), { timeoutMs: 60_000 });
    }
    for (const context of ['identity', 'profile', 'preferences'] as const) await stack.control.setStage(context, 'shadow');
    await until('every context in shadow', () => (proxy.health().contexts.every((c) => c.stage === 'shadow') ? true : undefined), { timeoutMs: 5_000, everyMs: 20 });
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  const flushed = async (context: string) => {
    const { rows } = await stack.control.pool.query<{ result: string; count: string }>('SELECT result, sum(count) AS count FROM control.shadow_comparisons WHERE context = $1 GROUP BY result', [context]);
    return Object.fromEntries(rows.map((r) => [r.result, Number(r.count)])) as Record<string, number>;
  };

  test('equal answers count as matches, with the account\'s email compared case-folded', async () => {
    const { id, email } = users[0]!;
    const account = await call(`${proxy.url}/api/users/${id}/account`);
    // The client got legacy's answer: the email as typed.
    expect([account.status, account.body.email, account.headers.get('etag')]).toEqual([200, email, null]);
    await call(`${proxy.url}/api/users/${id}/profile`);
    await call(`${proxy.url}/api/users/${id}/preferences`);
    for (const context of ['identity', 'profile', 'preferences']) {
      await until(`a ${context} match in the control plane`, async () => ((await flushed(context)).match === 1 ? true : undefined), { timeoutMs: 10_000 });
      expect(await flushed(context)).toEqual({ match: 1 });
      expect(await proxy.metric('strangler_shadow_comparisons_total', { context, result: 'match' })).toBe(1);
    }
  });

  test('a planted difference is a mismatch, sampled with its field path and no personal data', async () => {
    const { id } = users[1]!;
    await stack.userServiceAdmin.query("UPDATE profile.profiles SET display_name = 'Planted Different Name' WHERE id = $1", [id]);
    const profile = await call(`${proxy.url}/api/users/${id}/profile`);
    expect(profile.body.displayName).toBe('Shadow Person 1');
    await until('the mismatch in the control plane', async () => ((await flushed('profile')).mismatch === 1 ? true : undefined), { timeoutMs: 20_000 });
    expect(await proxy.metric('strangler_shadow_comparisons_total', { context: 'profile', result: 'mismatch' })).toBe(1);
    const { rows } = await stack.control.pool.query('SELECT context, route, result, usr_id, differences FROM control.shadow_mismatches WHERE usr_id = $1', [id]);
    expect(rows).toEqual([
      { context: 'profile', route: 'profile.read', result: 'mismatch', usr_id: String(id), differences: [{ path: 'displayName', legacy: { type: 'string', length: 15 }, new: { type: 'string', length: 22 } }] },
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/Shadow Person|Planted|example\.com/i);
  });

  test('a legacy change racing the forward sync is never counted as a mismatch', async () => {
    const before = await flushed('preferences');
    const themes = ['DARK', 'LIGHT', 'SYS', 'DARK'];
    for (const [round, theme] of themes.entries()) {
      const { id } = users[2 + round]!;
      await stack.legacyAdmin.query('UPDATE public.users SET theme_cd = $2, updated_ts = now() WHERE usr_id = $1', [id, theme]);
      expect((await call(`${proxy.url}/api/users/${id}/preferences`)).status).toBe(200);
    }
    const expected = (before.match ?? 0) + (before.lag ?? 0) + themes.length;
    await until('every comparison flushed', async () => {
      const now = await flushed('preferences');
      return (now.match ?? 0) + (now.lag ?? 0) + (now.mismatch ?? 0) + (now.error ?? 0) >= expected ? now : undefined;
    }, { timeoutMs: 20_000 });
    const after = await flushed('preferences');
    expect({ mismatch: after.mismatch ?? 0, error: after.error ?? 0 }).toEqual({ mismatch: 0, error: 0 });
  });

  test('writes are never mirrored: a shadowed write reaches legacy only', async () => {
    const patches = async () => {
      const metric = (await stack.userServiceRegistry.getSingleMetric('user_service_http_requests_total')?.get())?.values ?? [];
      return metric.filter((v) => v.labels.method === 'PATCH' || v.labels.method === 'POST').reduce((sum, v) => sum + v.value, 0);
    };
    const before = await patches();
    const { id } = users[0]!;
    const written = await call(`${proxy.url}/api/users/${id}/profile`, 'PATCH', { bio: 'written in shadow' });
    expect([written.status, written.headers.get('etag')]).toEqual([200, null]);
    expect((await call(`${proxy.url}/api/users`, 'POST', { email: `late.${Date.now()}@example.com`, password: 'password-1' })).status).toBe(201);
    // A mirrored request would be under way after legacy answered: wait until no comparison is.
    await until('no mirrored request in flight', async () => ((await proxy.metric('strangler_shadow_in_flight')) === 0 ? true : undefined), { timeoutMs: 10_000 });
    expect(await patches()).toBe(before);
  });
});
