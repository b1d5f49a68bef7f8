// What the reverse sync cannot apply is dead-lettered with a stable code and the batch goes on: an event
// that is not JSON, one the ACL refuses, and one legacy's own table refuses (its case-insensitive email
// uniqueness, which the new service's lower-cased emails cannot see past). Batches go to the apply step
// directly, on the sandbox's legacy database.
import { randomUUID } from 'node:crypto';
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

describe('poison-event-dead-lettered: the reverse sync records what it cannot apply and goes on', () => {
  let sandbox: SyncSandbox;
  let legacy: Pool;
  let legacyAsSync: Pool;
  let control: Pool;
  const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv('poison-events-test'), logger);
  let deps: ReverseSyncDependencies;
  const topic = `poison-${randomUUID()}.account.events`;
  let offset = 0;

  const message = (value: string, key: string | null = null): LogMessage => ({
    topic, partition: 0, offset: String(offset++), key: key === null ? null : Buffer.from(JSON.stringify(key)), value: Buffer.from(value), timestamp: String(Date.now()), headers: {},
  });
  const registered = (id: number, email: string) => message(JSON.stringify({
    eventId: randomUUID(), type: 'identity.AccountRegistered', schemaVersion: 1, aggregateId: id, version: 1, occurredAt: '2026-11-21T10:00:00.000Z',
    data: { id, email, passwordHash: 'x-hash', status: 'active', createdAt: '2026-11-21T10:00:00.000Z', lastLoginAt: null },
  }), String(id));

  beforeAll(async () => {
    sandbox = await startSyncSandbox();
    legacy = new Pool({ connectionString: sandbox.admin.legacy, max: 2 });
    legacyAsSync = new Pool({ connectionString: sandbox.config.CDC_LEGACY_DATABASE_URL, max: 2 });
    control = new Pool({ connectionString: sandbox.admin.control, max: 2 });
    for (const context of ['identity', 'profile', 'preferences'] as const) await setStage(control, context, 'writes');
    const metrics = createSyncMetrics(new Registry());
    deps = { legacy: legacyAsSync, control, deadLetters: new DeadLetterSink(control, eventLog, metrics, logger), metrics, logger, clock: () => new Date() };
  });

  afterAll(async () => {
    await eventLog.close();
    await Promise.all([legacy?.end(), legacyAsSync?.end(), control?.end()]);
    await sandbox?.stop();
  });

  test('not JSON, refused by the ACL, refused by legacy: three dead letters, and the good events of the same batch applied', async () => {
    const base = 1_000_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const email = `taken.${base}@example.com`;
    // A legacy row typed in mixed case and with stray spaces: legacy's unique index is on lower(btrim(email_addr)).
    await legacy.query("INSERT INTO public.users (email_addr, pwd_hash, acct_stat_cd) VALUES ($1, 'x', 'A')", [`  ${email.toUpperCase()} `]);

    const batch = [
      message('{"type": "identity.AccountRegistered", '),
      message(JSON.stringify({ eventId: randomUUID(), type: 'identity.AccountRegistered', schemaVersion: 2, aggregateId: base + 1, version: 1, occurredAt: '2026-11-21T10:00:00.000Z', data: {} })),
      registered(base + 2, email),
      registered(base + 3, `fine.${base}@example.com`),
    ];
    await applyContextEvents(batch, deps);

    const { rows: letters } = await control.query<{ context: string | null; reason_code: string; usr_id: string | null; kafka_offset: string; reason: string }>(
      'SELECT context, reason_code, usr_id, kafka_offset, reason FROM control.dead_letters WHERE topic = $1 ORDER BY kafka_offset', [topic],
    );
    // Attributed to the topic's context even when the event itself is too broken to name one.
    expect(letters.map((l) => [l.context, l.reason_code, l.usr_id === null ? null : Number(l.usr_id), l.kafka_offset])).toEqual([
      ['identity', 'REVERSE.NOT_JSON', null, batch[0]!.offset],
      ['identity', 'REVERSE.UNSUPPORTED_SCHEMA_VERSION', base + 1, batch[1]!.offset],
      ['identity', 'REVERSE.REJECTED_BY_LEGACY', base + 2, batch[2]!.offset],
    ]);
    for (const letter of letters) expect(letter.reason).not.toContain('taken.');
    expect((await legacy.query('SELECT usr_id FROM public.users WHERE usr_id = ANY($1)', [[base + 2, base + 3]])).rows.map((r) => Number(r.usr_id))).toEqual([base + 3]);

    // Replayed after a crash: no second dead letter, no second row.
    await applyContextEvents(batch, deps);
    expect((await control.query('SELECT count(*)::int AS n FROM control.dead_letters WHERE topic = $1', [topic])).rows[0].n).toBe(3);
  });
});
