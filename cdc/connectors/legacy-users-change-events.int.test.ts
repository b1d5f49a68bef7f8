// End to end through the real parts: the native stack's PostgreSQL, Kafka, Kafka Connect and Debezium,
// the legacy app over HTTP, and a kafkajs consumer behind our event-log port.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createLegacyApp } from '../../legacy/app';
import { migrateLegacy } from '../../migrations/cli';
import { seedLegacyUsers } from '../../migrations/legacy/seed/seed-legacy-users';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../kafka/kafkajs-event-log';
import type { LogConsumer, LogMessage } from '../kafka/event-log';
import { registerConnectors, defaultConnectUrl } from './register';
import { readConnectorFile, registerConnector } from './kafka-connect';
import { until } from '../test/until';

const legacyUrl = process.env.LEGACY_DATABASE_URL ?? `postgres://postgres@127.0.0.1:${process.env.STRANGLER_PG_PORT ?? '55432'}/legacy`;
const usersTopic = 'legacy.public.users';
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

interface ChangeEvent {
  key: { usr_id: number } | null;
  op?: 'c' | 'u' | 'd' | 'r' | 't';
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  source?: { table: string; db: string; snapshot: string };
  tombstone: boolean;
}

function decode(message: LogMessage): ChangeEvent {
  const key = message.key ? (JSON.parse(message.key.toString()) as { usr_id: number }) : null;
  if (message.value === null) return { key, tombstone: true };
  return { key, tombstone: false, ...(JSON.parse(message.value.toString()) as Omit<ChangeEvent, 'key' | 'tombstone'>) };
}

let consumerCrash: Error | undefined;
let received = () => 0;

/** Waits for an event, failing at once if the consumer crashed and saying how much did arrive. */
const untilEvent = <T>(what: string, probe: () => T | undefined) =>
  until(what, () => {
    if (consumerCrash) throw consumerCrash;
    return probe();
  }, { diagnostics: () => `${received()} events received` });


describe('a write through the legacy API arrives as exactly one Debezium change event for that row', () => {
  const events: ChangeEvent[] = [];
  received = () => events.length;
  let pool: Pool;
  let server: Server;
  let baseUrl: string;
  let eventLog: KafkajsEventLog;
  let consumer: LogConsumer;
  let seeded: { id: number; email: string }[];

  beforeAll(async () => {
    await migrateLegacy(legacyUrl);
    pool = new Pool({ connectionString: legacyUrl, max: 4 });
    // A reset restarts the id sequence, so ids repeat across runs on a kept stack: rows of this run are
    // told apart by their emails, which a fresh seed makes new.
    await seedLegacyUsers({ pool, count: 300, seed: Date.now() % 1_000_000, reset: true });
    seeded = (await pool.query<{ usr_id: string; email_addr: string }>('SELECT usr_id, email_addr FROM public.users'))
      .rows.map((r) => ({ id: Number(r.usr_id), email: r.email_addr }));
    await registerConnectors([join(__dirname, 'legacy-users.json')], defaultConnectUrl());

    const app = createLegacyApp({ pool, logger, registry: new Registry() });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    eventLog = new KafkajsEventLog(kafkaSettingsFromEnv('legacy-change-events-test'), logger);
    // Debezium creates the topic with its first event; subscribing earlier fails in kafkajs.
    await until(`Debezium to create ${usersTopic}`, async () => ((await eventLog.listTopics()).includes(usersTopic) ? true : undefined), { everyMs: 250 });
    consumer = eventLog.consumer({ groupId: `e2e-${randomUUID()}`, topics: [usersTopic], fromBeginning: true });
    consumer.onCrash((error) => { consumerCrash = error; });
    await consumer.run(async (messages) => { events.push(...messages.map(decode)); });
  });

  afterAll(async () => {
    await eventLog?.close();
    server?.close();
    await pool?.end();
  });

  /** The events of one row from its creation on, which skips an earlier run's row with the same id. */
  const eventsSince = (id: number, email: string) => {
    const start = events.findIndex((e) => e.key?.usr_id === id && e.after?.email_addr === email);
    return start < 0 ? [] : events.slice(start).filter((e) => e.key?.usr_id === id);
  };

  test('registering the connector file again changes nothing', async () => {
    const registration = await readConnectorFile(join(__dirname, 'legacy-users.json'));
    expect(await registerConnector(defaultConnectUrl(), registration)).toEqual({ name: 'strangler-legacy-users', action: 'unchanged' });
  });

  test('every seeded row is captured, by the snapshot or by streaming', async () => {
    const captured = () => new Set(events.filter((e) => e.op === 'r' || e.op === 'c').map((e) => `${e.key?.usr_id} ${String(e.after?.email_addr)}`));
    await untilEvent('all seeded rows on the topic', () => (seeded.every((u) => captured().has(`${u.id} ${u.email}`)) ? true : undefined));
    expect(seeded).toHaveLength(300);
  });

  test('create, update and delete each produce exactly one event with the right before and after', async () => {
    const email = `e2e.${randomUUID()}@example.com`;
    const created = await fetch(`${baseUrl}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'correct horse battery', displayName: 'Ada Before' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };

    const create = await untilEvent('the create event', () => eventsSince(id, email).find((e) => e.op === 'c'));
    expect(create.before).toBeNull();
    expect(create.after).toMatchObject({ usr_id: id, email_addr: email, acct_stat_cd: 'A', disp_nm: 'Ada Before' });
    expect(create.source).toMatchObject({ db: 'legacy', table: 'users' });

    const patched = await fetch(`${baseUrl}/api/users/${id}/profile`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ displayName: 'Ada After' }),
    });
    expect(patched.status).toBe(200);
    const update = await untilEvent('the update event', () => eventsSince(id, email).find((e) => e.op === 'u'));
    // REPLICA IDENTITY FULL: the before image is the whole row, not just the key.
    expect(update.before).toMatchObject({ usr_id: id, disp_nm: 'Ada Before', email_addr: email });
    expect(update.after).toMatchObject({ usr_id: id, disp_nm: 'Ada After', email_addr: email });

    const deleted = await fetch(`${baseUrl}/api/users/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    const tombstone = await untilEvent('the tombstone after the delete', () => eventsSince(id, email).find((e) => e.tombstone));
    expect(tombstone.key).toEqual({ usr_id: id });
    const del = eventsSince(id, email).find((e) => e.op === 'd');
    expect(del?.before).toMatchObject({ usr_id: id, disp_nm: 'Ada After' });
    expect(del?.after).toBeNull();

    expect(eventsSince(id, email).map((e) => (e.tombstone ? 'tombstone' : e.op))).toEqual(['c', 'u', 'd', 'tombstone']);
  });
});
