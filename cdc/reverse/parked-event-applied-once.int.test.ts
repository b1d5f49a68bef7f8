// The three contexts publish on three topics, so a profile's events can reach the reverse sync before
// the account that creates the legacy row. They wait in strangler_sync.pending_events and are applied, once
// and in version order, in the transaction that inserts the row. Batches are handed to the apply step
// directly (as the worker does) so the arrival order is the test's, not the broker's.
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { DeadLetterSink } from '../dead-letters/dead-letter-sink';
import type { LogMessage } from '../kafka/event-log';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../kafka/kafkajs-event-log';
import { createSyncMetrics } from '../metrics/sync-metrics';
import { setStage } from '../ownership/stage-store';
import { startSyncSandbox, type SyncSandbox } from '../test/sync-sandbox';
import { applyContextEvents, type ReverseSyncDependencies } from './apply-context-events';
import { logger } from './reverse-sync.test-fixture';

let offset = 0;
function message(topic: string, envelope: Record<string, unknown>): LogMessage {
  return {
    topic,
    partition: 0,
    offset: String(offset++),
    key: Buffer.from(JSON.stringify(String(envelope.aggregateId))),
    value: Buffer.from(JSON.stringify(envelope)),
    timestamp: String(Date.now()),
    headers: { eventType: String(envelope.type) },
  };
}

const envelope = (type: string, id: number, version: number, occurredAt: string, data: Record<string, unknown>) =>
  ({ eventId: `${type}-${id}-${version}`, type, schemaVersion: 1, aggregateId: id, version, occurredAt, data: { id, ...data } });

describe('a profile event that arrives before its account', () => {
  let sandbox: SyncSandbox;
  let legacy: Pool;
  let legacyAsSync: Pool;
  let control: Pool;
  const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv('parked-events-test'), logger);
  let deps: ReverseSyncDependencies;
  let registry: Registry;

  beforeAll(async () => {
    sandbox = await startSyncSandbox();
    legacy = new Pool({ connectionString: sandbox.admin.legacy, max: 2 });
    legacyAsSync = new Pool({ connectionString: sandbox.config.CDC_LEGACY_DATABASE_URL, max: 2 });
    control = new Pool({ connectionString: sandbox.admin.control, max: 2 });
    for (const context of ['identity', 'profile', 'preferences'] as const) await setStage(control, context, 'writes');
    registry = new Registry();
    const metrics = createSyncMetrics(registry);
    deps = { legacy: legacyAsSync, control, deadLetters: new DeadLetterSink(control, eventLog, metrics, logger), metrics, logger, clock: () => new Date() };
  });

  afterAll(async () => {
    await eventLog.close();
    await Promise.all([legacy?.end(), legacyAsSync?.end(), control?.end()]);
    await sandbox?.stop();
  });

  const legacyRow = async (id: number) => (await legacy.query('SELECT * FROM public.users WHERE usr_id = $1', [id])).rows[0] as Record<string, any> | undefined;
  const pending = async (id: number) => (await legacy.query('SELECT context, version FROM strangler_sync.pending_events WHERE usr_id = $1 ORDER BY context, version', [id])).rows;
  const outcomes = async () =>
    Object.fromEntries((await deps.metrics.events.get()).values.map((v) => [`${v.labels.context}/${v.labels.outcome}`, v.value]));

  test('parked-event-applied-once-in-version-order: parked, then applied with the insert; redelivery changes nothing', async () => {
    const id = 1_000_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const profileBatch = [
      message('profile', envelope('profile.ProfileCreated', id, 1, '2026-11-21T10:00:00.000Z', { displayName: 'First', bio: null, avatarUrl: null, updatedAt: '2026-11-21T10:00:00.000Z' })),
      message('profile', envelope('profile.ProfileUpdated', id, 2, '2026-11-21T10:00:05.000Z', { displayName: 'Second', bio: 'Later.', avatarUrl: null, updatedAt: '2026-11-21T10:00:05.000Z' })),
    ];
    const preferencesBatch = [
      message('preferences', envelope('preferences.PreferencesCreated', id, 1, '2026-11-21T10:00:00.000Z', { locale: 'en-GB', timeZone: 'Europe/London', marketingEmails: false, theme: 'system' })),
    ];
    const accountBatch = [
      message('account', envelope('identity.AccountRegistered', id, 1, '2026-11-21T10:00:00.000Z', {
        email: `parked.${id}@example.com`, passwordHash: '$2b$04$abcdefghijklmnopqrstuuJ1cWcTxJ6MZoZzoTtn7pD8Uvq8cXX9S', status: 'active', createdAt: '2026-11-21T10:00:00.000Z', lastLoginAt: null,
      })),
    ];

    await applyContextEvents(profileBatch, deps);
    await applyContextEvents(preferencesBatch, deps);
    expect(await legacyRow(id)).toBeUndefined();
    expect(await pending(id)).toEqual([{ context: 'preferences', version: 1 }, { context: 'profile', version: 1 }, { context: 'profile', version: 2 }]);
    // A redelivered batch parks nothing twice.
    await applyContextEvents(profileBatch, deps);
    expect(await pending(id)).toHaveLength(3);

    await applyContextEvents(accountBatch, deps);
    const row = await legacyRow(id);
    expect(row).toMatchObject({ email_addr: `parked.${id}@example.com`, acct_stat_cd: 'A', disp_nm: 'Second', bio_txt: 'Later.', pref_lang: 'en_GB', pref_tz: 'Europe/London', email_optin_flg: 'N', theme_cd: 'SYS' });
    expect(await pending(id)).toEqual([]);
    const positions = (await legacy.query('SELECT context, version FROM strangler_sync.reverse_positions WHERE usr_id = $1 ORDER BY context', [id])).rows;
    expect(positions).toEqual([{ context: 'identity', version: 1 }, { context: 'preferences', version: 1 }, { context: 'profile', version: 2 }]);
    const counted = await outcomes();
    expect(counted['profile/parked']).toBe(2);
    expect(counted['profile/duplicate']).toBe(2);
    expect(counted['profile/applied']).toBe(2);

    // Every batch once more, in any order: positions refuse all of it.
    const before = await legacyRow(id);
    for (const batch of [accountBatch, profileBatch, preferencesBatch]) await applyContextEvents(batch, deps);
    expect(await legacyRow(id)).toEqual(before);
    expect(await pending(id)).toEqual([]);
    expect((await outcomes())['profile/duplicate']).toBe(4);
    expect((await outcomes())['profile/applied']).toBe(2);
  });

  test('an event for a user erased before its topic caught up is settled, not parked forever', async () => {
    const id = 1_000_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const account = { email: `erased.${id}@example.com`, passwordHash: 'x-hash', status: 'active', createdAt: '2026-11-21T10:00:00.000Z', lastLoginAt: null };
    await applyContextEvents([
      message('account', envelope('identity.AccountRegistered', id, 1, '2026-11-21T10:00:00.000Z', account)),
      message('account', { ...envelope('identity.AccountErased', id, 2, '2026-11-21T10:01:00.000Z', {}), data: { id } }),
    ], deps);
    expect(await legacyRow(id)).toBeUndefined();
    await applyContextEvents([
      message('profile', envelope('profile.ProfileCreated', id, 1, '2026-11-21T10:00:00.000Z', { displayName: 'Gone', bio: null, avatarUrl: null, updatedAt: '2026-11-21T10:00:00.000Z' })),
      message('profile', { ...envelope('profile.ProfileErased', id, 2, '2026-11-21T10:01:00.000Z', {}), data: { id } }),
    ], deps);
    expect(await legacyRow(id)).toBeUndefined();
    expect(await pending(id)).toEqual([]);
  });
});
