// Reverse sync through the real parts: the user-service's HTTP API, its outboxes, Debezium's outbox event
// router, Kafka, the reverse worker and legacy's public.users (each test file on its own sandbox).
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { DeadLetterSink } from '../dead-letters/dead-letter-sink';
import { WorkerHealth } from '../health/worker-health';
import { backlogOf } from '../health/backlog';
import { createSyncMetrics } from '../metrics/sync-metrics';
import { Pool } from 'pg';
import { startReverseSync } from './reverse-sync.worker';
import { logger, startReverseSyncFixture, until, type ReverseSyncFixture } from './reverse-sync.test-fixture';

const PASSWORD = 'correct horse battery';

describe('reverse sync: the contexts\' events become legacy columns while the new service owns their writes', () => {
  let f: ReverseSyncFixture;

  beforeAll(async () => {
    f = await startReverseSyncFixture('reverse-sync-test');
  });

  afterAll(async () => {
    await f?.stop();
  });

  const signUp = async (displayName: string | null = 'Ada') => {
    const email = `reverse.${randomUUID()}@example.com`;
    const response = await f.call('POST', '/api/users', { email, password: PASSWORD, displayName });
    expect(response.status).toBe(201);
    return { id: response.body.id as number, email };
  };
  const rowWhen = (what: string, id: number, holds: (row: Record<string, any>) => boolean) =>
    until(what, async () => {
      const row = await f.legacyRow(id);
      return row && holds(row) ? row : undefined;
    });

  test('a user signed up, changed and erased through the user-service appears, changes and disappears in legacy, in legacy\'s encodings', async () => {
    await f.stages({ identity: 'writes', profile: 'writes', preferences: 'writes' });
    const { id, email } = await signUp('Ada');
    expect(id).toBeGreaterThanOrEqual(1_000_000_000_000);

    const created = await rowWhen('the new legacy row with its profile', id, (row) => row.disp_nm === 'Ada');
    expect(created).toMatchObject({ email_addr: email, acct_stat_cd: 'A', disp_nm: 'Ada', bio_txt: null, last_login_ts: null });
    expect(created.pwd_hash).toMatch(/^\$2[aby]\$/);

    expect((await f.call('POST', '/api/sessions', { email, password: PASSWORD })).status).toBe(200);
    expect((await f.call('PATCH', `/api/users/${id}/account`, { status: 'suspended' })).status).toBe(200);
    expect((await f.call('PATCH', `/api/users/${id}/profile`, { bio: 'Analytical engines.', avatarUrl: 'https://example.com/ada.png' })).status).toBe(200);
    const preferences = await f.call('PATCH', `/api/users/${id}/preferences`, { locale: 'pt-BR', timeZone: 'Europe/Lisbon', marketingEmails: true, theme: 'dark' });
    expect(preferences.status).toBe(200);

    const changed = await rowWhen('every change in legacy', id, (row) => row.acct_stat_cd === 'S' && row.bio_txt !== null && row.theme_cd !== null && row.last_login_ts !== null);
    expect(changed).toMatchObject({
      acct_stat_cd: 'S',
      bio_txt: 'Analytical engines.',
      avatar_url: 'https://example.com/ada.png',
      pref_lang: 'pt_BR',
      pref_tz: 'Europe/Lisbon',
      email_optin_flg: 'Y',
      theme_cd: 'DARK',
    });
    const account = await f.call('GET', `/api/users/${id}/account`);
    expect(changed.last_login_ts.toISOString()).toBe(account.body.lastLoginAt);
    expect(changed.created_ts.toISOString()).toBe(account.body.createdAt);

    expect((await f.call('DELETE', `/api/users/${id}`)).status).toBe(204);
    await until('the erasure in legacy', async () => ((await f.legacyRow(id)) === undefined ? true : undefined));
    // Events of the profile and preferences topics that come after the erasure never bring it back.
    await until('both backlogs drained', async () => {
      const { reverse } = await f.backlogs();
      return reverse === 0 ? true : undefined;
    });
    expect(await f.legacyRow(id)).toBeUndefined();
    expect((await f.control.query('SELECT reason_code FROM control.dead_letters WHERE usr_id = $1', [id])).rows).toEqual([]);

    const metrics = await (await fetch(`http://127.0.0.1:${f.workers.port}/metrics`)).text();
    expect(metrics).toMatch(/strangler_cdc_events_total\{direction="reverse",context="identity",outcome="applied"\} [1-9]/);
    expect(metrics).toMatch(/strangler_cdc_lag_seconds_count\{direction="reverse"\} [1-9]/);
    expect(metrics).toMatch(/strangler_cdc_last_applied_position\{direction="reverse"\} \d/);
    expect(metrics).toMatch(/strangler_cdc_parked_events \d/);
    const health = await (await fetch(`http://127.0.0.1:${f.workers.port}/healthz`)).json() as { workers: { name: string; healthy: boolean }[] };
    expect(health.workers.map((w) => [w.name, w.healthy])).toEqual([['forward', true], ['reverse', true]]);
  });

  test('redelivered events (a second consumer group replaying every topic from the start) change nothing in legacy', async () => {
    await f.stages({ identity: 'writes', profile: 'writes', preferences: 'writes' });
    const { id } = await signUp('Replayed');
    expect((await f.call('PATCH', `/api/users/${id}/profile`, { bio: 'Once.' })).status).toBe(200);
    await rowWhen('the bio', id, (row) => row.bio_txt === 'Once.');
    await until('the reverse backlog drained', async () => ((await f.backlogs()).reverse === 0 ? true : undefined));
    const before = await f.legacyRow(id);
    // xmin moves with every UPDATE of a row, even one that sets a column to its own value.
    const rowVersions = async () => (await f.legacy.query('SELECT usr_id, xmin::text AS xmin FROM public.users ORDER BY usr_id')).rows;
    const versionsBefore = await rowVersions();

    const registry = new Registry();
    const metrics = createSyncMetrics(registry);
    const legacyAsSync = new Pool({ connectionString: f.sandbox.config.CDC_LEGACY_DATABASE_URL, max: 2 });
    const replayGroup = `${f.sandbox.name}-replay`;
    const replay = await startReverseSync(
      f.eventLog,
      { legacy: legacyAsSync, control: f.control, deadLetters: new DeadLetterSink(f.control, f.eventLog, metrics, logger), metrics, logger, clock: () => new Date() },
      new WorkerHealth('replay', 30_000),
      replayGroup,
      f.sandbox.contextEventTopics,
    );
    try {
      await until('the replay consumed everything', async () => ((await backlogOf(f.probeLog, replayGroup, [...f.sandbox.contextEventTopics])) === 0 ? true : undefined));
      const counted = await metrics.events.get();
      const outcomes = new Set(counted.values.filter((v) => v.value > 0).map((v) => v.labels.outcome));
      expect(outcomes.has('duplicate')).toBe(true);
      expect(outcomes.has('applied')).toBe(false);
    } finally {
      await replay.stop();
      await legacyAsSync.end();
    }
    expect(await f.legacyRow(id)).toEqual(before);
    // No write at all reached legacy, to this row or any other.
    expect(await rowVersions()).toEqual(versionsBefore);
  });

  test('no-op-write-never-reaches-legacy: an event whose columns legacy already holds writes nothing, so Debezium sees no change', async () => {
    await f.stages({ identity: 'writes', profile: 'writes', preferences: 'writes' });
    const { id } = await signUp('Same');
    await rowWhen('the new row', id, (row) => row.disp_nm === 'Same');
    // Legacy already holds what the service is about to publish (written behind the sync's back).
    await f.legacy.query("UPDATE public.users SET disp_nm = 'Agreed' WHERE usr_id = $1", [id]);
    const xmin = async () => (await f.legacy.query('SELECT xmin::text AS x FROM public.users WHERE usr_id = $1', [id])).rows[0]?.x as string;
    const before = await xmin();
    expect((await f.call('PATCH', `/api/users/${id}/profile`, { displayName: 'Agreed' })).status).toBe(200);
    await until('the profile event settled', async () => {
      const { rows } = await f.legacy.query("SELECT version FROM strangler_sync.reverse_positions WHERE usr_id = $1 AND context = 'profile'", [id]);
      return rows[0]?.version === 2 ? true : undefined;
    });
    expect(await xmin()).toBe(before);
    const metrics = await (await fetch(`http://127.0.0.1:${f.workers.port}/metrics`)).text();
    expect(metrics).toMatch(/strangler_cdc_events_total\{direction="reverse",context="profile",outcome="unchanged"\} [1-9]/);
  });

  test('with profile at legacy its events are not applied while identity\'s are', async () => {
    await f.stages({ identity: 'writes', profile: 'legacy', preferences: 'writes' });
    try {
      const { id } = await signUp('Born new');
      // Sign-up follows identity's owner: the new row gets its profile's first state too.
      await rowWhen('the new row', id, (row) => row.disp_nm === 'Born new');
      expect((await f.call('PATCH', `/api/users/${id}/profile`, { displayName: 'Not for legacy' })).status).toBe(200);
      expect((await f.call('PATCH', `/api/users/${id}/account`, { status: 'closed' })).status).toBe(200);
      // The account topic may run ahead of the profile topic: wait until the profile event was settled too.
      await rowWhen('the closed account', id, (row) => row.acct_stat_cd === 'C');
      await until('the profile event settled', async () => {
        const { rows } = await f.legacy.query("SELECT version FROM strangler_sync.reverse_positions WHERE usr_id = $1 AND context = 'profile'", [id]);
        return (rows[0]?.version ?? 0) >= 2 ? true : undefined;
      });
      expect(await f.legacyRow(id)).toMatchObject({ disp_nm: 'Born new', acct_stat_cd: 'C' });
      const metrics = await (await fetch(`http://127.0.0.1:${f.workers.port}/metrics`)).text();
      expect(metrics).toMatch(/strangler_cdc_events_total\{direction="reverse",context="profile",outcome="not-owned"\} [1-9]/);
    } finally {
      await f.stages({ profile: 'writes' });
    }
  });
});
