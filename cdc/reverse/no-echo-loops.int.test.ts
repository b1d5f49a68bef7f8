// No echo loops: with the forward and the reverse worker running together, one write on either side, in
// either ownership state of its context, causes at most one change on the other side and then nothing.
// "Nothing" is a condition, not a pause: marker writes on a sentinel user travel each direction after the
// write under test (Debezium publishes in commit order), both backlogs reach 0, and a second such round
// finds the user's outbox rows and legacy row exactly as the first left them.
import { randomUUID } from 'node:crypto';
import type { LogConsumer } from '../kafka/event-log';
import { backlogOf } from '../health/backlog';
import type { Context } from '../ownership/ownership-map';
import { startReverseSyncFixture, until, type ReverseSyncFixture } from './reverse-sync.test-fixture';

const ZONES = Intl.supportedValuesOf('timeZone').filter((zone) => zone.includes('/'));
const STATUSES = { A: 'active', S: 'suspended', C: 'closed' } as const;
type Code = keyof typeof STATUSES;

// Each context under test, with a legacy-owned and a new-owned context for the sentinel's markers.
const lanes: { context: Context; legacyMarker: Context; newMarker: Context }[] = [
  { context: 'profile', legacyMarker: 'identity', newMarker: 'preferences' },
  { context: 'preferences', legacyMarker: 'identity', newMarker: 'profile' },
  { context: 'identity', legacyMarker: 'profile', newMarker: 'preferences' },
];

describe('no echo loops between the forward and the reverse sync', () => {
  let f: ReverseSyncFixture;
  let observer: LogConsumer;
  const legacyChanges: number[] = [];
  let observerGroup: string;
  let n = 0;

  beforeAll(async () => {
    f = await startReverseSyncFixture('no-echo-loops-test');
    // Every change Debezium captures of public.users, by user: "one change in legacy" is counted here.
    observerGroup = `${f.sandbox.name}-observer`;
    observer = f.eventLog.consumer({ groupId: observerGroup, topics: [f.sandbox.usersTopic], fromBeginning: true });
    await observer.run(async (messages) => {
      for (const m of messages) {
        if (m.value === null) continue;
        const change = JSON.parse(m.value.toString()) as { after?: { usr_id: number } | null; before?: { usr_id: number } | null };
        legacyChanges.push(Number(change.after?.usr_id ?? change.before?.usr_id));
      }
    });
  });

  afterAll(async () => {
    await observer?.stop();
    await f?.stop();
  });

  const insertLegacyUser = async (tag: string) => {
    const { rows } = await f.legacy.query<{ usr_id: string }>(
      `INSERT INTO public.users (email_addr, pwd_hash, acct_stat_cd, disp_nm, pref_lang, pref_tz, email_optin_flg, theme_cd)
       VALUES ($1, '$2b$10$abcdefghijklmnopqrstuuJ1cWcTxJ6MZoZzoTtn7pD8Uvq8cXX9S', 'A', $2, 'en_US', 'Europe/Berlin', 'N', 'LIGHT') RETURNING usr_id`,
      [`${tag}.${randomUUID()}@example.com`, tag],
    );
    return Number(rows[0]!.usr_id);
  };
  const service = async (context: Context, id: number) =>
    (await f.call('GET', `/api/users/${id}/${context === 'identity' ? 'account' : context}`)).body as Record<string, any> | undefined;
  const legacyColumn = async (id: number, column: string) => (await f.legacy.query(`SELECT ${column} AS v FROM public.users WHERE usr_id = $1`, [id])).rows[0]?.v as string | null;
  const xmin = async (id: number) => (await f.legacy.query('SELECT xmin::text AS x FROM public.users WHERE usr_id = $1', [id])).rows[0]?.x as string;
  const outboxOf = async (id: number) =>
    (await f.userService.query(
      `SELECT type FROM (SELECT type, occurred_at, seq FROM identity.outbox WHERE aggregateid = $1
         UNION ALL SELECT type, occurred_at, seq FROM profile.outbox WHERE aggregateid = $1
         UNION ALL SELECT type, occurred_at, seq FROM preferences.outbox WHERE aggregateid = $1) o ORDER BY occurred_at, seq`,
      [String(id)],
    )).rows.map((r) => r.type as string);
  const snapshot = async (id: number) => ({ outbox: await outboxOf(id), xmin: await xmin(id), legacyChanges: legacyChanges.filter((u) => u === id).length });

  /** A value this context has on neither side yet, so that each write really changes something. */
  async function freshValue(context: Context, id: number): Promise<{ column: string; legacy: string; patch: Record<string, unknown>; read: (body: any) => unknown; expected: unknown }> {
    n += 1;
    if (context === 'profile') {
      const name = `name ${n}`;
      return { column: 'disp_nm', legacy: name, patch: { displayName: name }, read: (b) => b.displayName, expected: name };
    }
    if (context === 'preferences') {
      const zone = ZONES[(n * 7) % ZONES.length]!;
      return { column: 'pref_tz', legacy: zone, patch: { timeZone: zone }, read: (b) => b.timeZone, expected: zone };
    }
    const inLegacy = await legacyColumn(id, 'acct_stat_cd');
    const inService = (await service('identity', id))?.status;
    const code = (Object.keys(STATUSES) as Code[]).find((c) => c !== inLegacy && STATUSES[c] !== inService)!;
    return { column: 'acct_stat_cd', legacy: code, patch: { status: STATUSES[code] }, read: (b) => b.status, expected: STATUSES[code] };
  }
  const patchPath = (context: Context, id: number) => `/api/users/${id}/${context === 'identity' ? 'account' : context}`;

  /** One marker through each direction after everything before it, then both backlogs (and the observer's) at 0. */
  async function roundTrip(sentinel: number, legacyMarker: Context, newMarker: Context): Promise<void> {
    const viaLegacy = await freshValue(legacyMarker, sentinel);
    await f.legacy.query(`UPDATE public.users SET ${viaLegacy.column} = $2, updated_ts = timezone('utc', now()) WHERE usr_id = $1`, [sentinel, viaLegacy.legacy]);
    await until('the legacy marker in the new service', async () => (viaLegacy.read(await service(legacyMarker, sentinel)) === viaLegacy.expected ? true : undefined));
    const viaService = await freshValue(newMarker, sentinel);
    expect((await f.call('PATCH', patchPath(newMarker, sentinel), viaService.patch)).status).toBe(200);
    await until('the service marker in legacy', async () => ((await legacyColumn(sentinel, viaService.column)) === viaService.legacy ? true : undefined));
    await until('both syncs and the observer caught up', async () => {
      const { forward, reverse } = await f.backlogs();
      const observed = await backlogOf(f.probeLog, observerGroup, [f.sandbox.usersTopic]);
      return forward === 0 && reverse === 0 && observed === 0 ? true : undefined;
    });
  }

  let user: number;
  let sentinel: number;

  beforeAll(async () => {
    await f.stages({ identity: 'legacy', profile: 'legacy', preferences: 'legacy' });
    user = await insertLegacyUser('echo');
    sentinel = await insertLegacyUser('sentinel');
    for (const id of [user, sentinel]) {
      await until('the legacy users in every context', async () => {
        const present = await Promise.all((['identity', 'profile', 'preferences'] as const).map((c) => service(c, id)));
        return present.every((body) => body?.id === id) ? true : undefined;
      });
    }
  });

  describe.each(lanes)('$context', ({ context, legacyMarker, newMarker }) => {
    test.each(['legacy', 'writes'] as const)('at %s: a legacy write and a service write each cause at most one change across, then quiet', async (stage) => {
      await f.stages({ [context]: stage, [legacyMarker]: 'legacy', [newMarker]: 'writes' });
      await roundTrip(sentinel, legacyMarker, newMarker);
      const owner = stage === 'legacy' ? 'legacy' : 'new';

      // A write in legacy.
      const before = await snapshot(user);
      const fromLegacy = await freshValue(context, user);
      const written = await f.legacy.query<{ x: string }>(
        `UPDATE public.users SET ${fromLegacy.column} = $2, updated_ts = timezone('utc', now()) WHERE usr_id = $1 RETURNING xmin::text AS x`,
        [user, fromLegacy.legacy],
      );
      if (owner === 'legacy') await until('the forward sync of the legacy write', async () => (fromLegacy.read(await service(context, user)) === fromLegacy.expected ? true : undefined));
      await roundTrip(sentinel, legacyMarker, newMarker);
      const afterLegacyWrite = await snapshot(user);
      // Exactly one change on the new side when legacy owns the context (announced as synced from legacy), none otherwise...
      const added = afterLegacyWrite.outbox.slice(before.outbox.length);
      expect(added).toEqual(owner === 'legacy' ? [expect.stringMatching(new RegExp(`^${context}\\.\\w+SyncedFromLegacy$`))] : []);
      // ...and legacy's row was written once, by the test, never again by the reverse sync.
      expect(afterLegacyWrite.xmin).toBe(written.rows[0]!.x);
      expect(afterLegacyWrite.legacyChanges - before.legacyChanges).toBe(1);
      await roundTrip(sentinel, legacyMarker, newMarker);
      expect(await snapshot(user)).toEqual(afterLegacyWrite);

      // A write in the new service.
      const fromService = await freshValue(context, user);
      expect((await f.call('PATCH', patchPath(context, user), fromService.patch)).status).toBe(200);
      if (owner === 'new') await until('the reverse sync of the service write', async () => ((await legacyColumn(user, fromService.column)) === fromService.legacy ? true : undefined));
      await roundTrip(sentinel, legacyMarker, newMarker);
      const afterServiceWrite = await snapshot(user);
      // The service's own event only: the forward sync announces nothing back...
      expect(afterServiceWrite.outbox.slice(afterLegacyWrite.outbox.length)).toEqual([expect.not.stringMatching(/SyncedFromLegacy$/)]);
      // ...and legacy changed exactly once when the new service owns the context, not at all otherwise.
      expect(afterServiceWrite.legacyChanges - afterLegacyWrite.legacyChanges).toBe(owner === 'new' ? 1 : 0);
      if (owner === 'legacy') expect(afterServiceWrite.xmin).toBe(afterLegacyWrite.xmin);
      await roundTrip(sentinel, legacyMarker, newMarker);
      expect(await snapshot(user)).toEqual(afterServiceWrite);
    });
  });

  describe('across a flip', () => {
    const markers = { identity: 'legacy', preferences: 'writes' } as const;

    test('profile flipped to writes right behind a legacy write: the synced event meets a reverse sync that owns profile and is still not written back', async () => {
      await f.stages({ ...markers, profile: 'legacy' });
      await roundTrip(sentinel, 'identity', 'preferences');
      const before = await snapshot(user);
      const value = await freshValue('profile', user);
      const written = await f.legacy.query<{ x: string }>(
        "UPDATE public.users SET disp_nm = $2, updated_ts = timezone('utc', now()) WHERE usr_id = $1 RETURNING xmin::text AS x",
        [user, value.legacy],
      );
      await until('the forward sync of the legacy write', async () => (value.read(await service('profile', user)) === value.expected ? true : undefined));
      // The ProfileSyncedFromLegacy is in the outbox now; the reverse sync may or may not have read it yet.
      await f.stages({ profile: 'writes' });
      await roundTrip(sentinel, 'identity', 'preferences');
      const after = await snapshot(user);
      expect(after.outbox.slice(before.outbox.length)).toEqual(['profile.ProfileSyncedFromLegacy']);
      expect(after.xmin).toBe(written.rows[0]!.x);
      expect(after.legacyChanges - before.legacyChanges).toBe(1);
      await roundTrip(sentinel, 'identity', 'preferences');
      expect(await snapshot(user)).toEqual(after);
    });

    test('profile rolled back to legacy right behind a reverse write: the forward sync sees the reverse sync\'s own change and finds nothing to announce', async () => {
      await f.stages({ ...markers, profile: 'writes' });
      await roundTrip(sentinel, 'identity', 'preferences');
      const before = await snapshot(user);
      const value = await freshValue('profile', user);
      expect((await f.call('PATCH', patchPath('profile', user), value.patch)).status).toBe(200);
      await until('the reverse sync of the service write', async () => ((await legacyColumn(user, 'disp_nm')) === value.legacy ? true : undefined));
      // Legacy's change is now on its way to the forward sync, which may read it with profile already legacy's.
      await f.stages({ profile: 'legacy' });
      await roundTrip(sentinel, 'identity', 'preferences');
      const after = await snapshot(user);
      expect(after.outbox.slice(before.outbox.length)).toEqual(['profile.ProfileUpdated']);
      expect(after.legacyChanges - before.legacyChanges).toBe(1);
      await roundTrip(sentinel, 'identity', 'preferences');
      expect(await snapshot(user)).toEqual(after);
    });
  });
});
