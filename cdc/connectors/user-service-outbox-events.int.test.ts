// The user-service's domain events, end to end through the real parts: HTTP writes, the contexts'
// outbox tables, Debezium's outbox event router on Kafka Connect, and Kafka. Every event that arrives
// must match its published JSON Schema (schemas/events/), in order, one per change.
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { migrateUserService } from '../../migrations/migrate';
import { createUserServiceApp } from '../../user-service/app';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../kafka/kafkajs-event-log';
import type { LogMessage } from '../kafka/event-log';
import { registerConnectors, defaultConnectUrl } from './register';
import { until } from '../test/until';

const pgPort = process.env.STRANGLER_PG_PORT ?? '55432';
const adminUrl = process.env.USER_SERVICE_ADMIN_DATABASE_URL ?? `postgres://postgres@127.0.0.1:${pgPort}/user_service`;
const serviceUrl = process.env.USER_SERVICE_DATABASE_URL ?? `postgres://strangler_user_service@127.0.0.1:${pgPort}/user_service`;
const topics = ['user-service.account.events', 'user-service.profile.events', 'user-service.preferences.events'];
const schemasDir = join(__dirname, '..', '..', 'schemas', 'events');
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

interface Envelope {
  eventId: string;
  type: string;
  schemaVersion: number;
  aggregateId: number;
  version: number;
  data: Record<string, unknown>;
}

/** `identity.AccountRegistered` v1 → schemas/events/identity/account-registered.v1.schema.json */
function schemaFileOf(event: Envelope): string {
  const [context, name] = event.type.split('.') as [string, string];
  const kebab = name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  return join(schemasDir, context, `${kebab}.v${event.schemaVersion}.schema.json`);
}


describe('the user-service publishes each change as one event matching its published schema', () => {
  const received: { topic: string; key: string; event: Envelope; eventType: string | undefined }[] = [];
  let pool: Pool;
  let server: Server;
  let baseUrl: string;
  let eventLog: KafkajsEventLog;

  beforeAll(async () => {
    await migrateUserService(adminUrl);
    await registerConnectors([join(__dirname, 'user-service-outbox.json')], defaultConnectUrl());
    pool = new Pool({ connectionString: serviceUrl, max: 4 });
    server = createUserServiceApp({ pool, logger, registry: new Registry(), bcryptCost: 4 }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    eventLog = new KafkajsEventLog(kafkaSettingsFromEnv('outbox-events-test'), logger);
  });

  afterAll(async () => {
    await eventLog?.close();
    server?.close();
    await pool?.end();
  });

  const call = async (method: string, path: string, json?: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: json === undefined ? {} : { 'content-type': 'application/json' },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    return { status: response.status, body: response.status === 204 ? undefined : ((await response.json()) as Record<string, unknown>) };
  };

  test('a user\'s whole life arrives on the three topics, in order, every event valid', async () => {
    const email = `outbox.${randomUUID()}@example.com`;
    const signUp = await call('POST', '/api/users', { email, password: 'correct horse battery', displayName: 'Grace' });
    expect(signUp.status).toBe(201);
    const id = signUp.body!.id as number;
    expect((await call('POST', '/api/sessions', { email, password: 'correct horse battery' })).status).toBe(200);
    expect((await call('PATCH', `/api/users/${id}/account`, { email: `renamed.${email}`, status: 'suspended' })).status).toBe(200);
    expect((await call('PATCH', `/api/users/${id}/profile`, { bio: 'Compilers.' })).status).toBe(200);
    expect((await call('PATCH', `/api/users/${id}/preferences`, { theme: 'dark', locale: 'en-US' })).status).toBe(200);
    expect((await call('DELETE', `/api/users/${id}`)).status).toBe(204);

    // Debezium creates each topic with its first event; subscribing earlier fails in kafkajs.
    let existing: string[] = [];
    await until('the three event topics', async () => {
      existing = await eventLog.listTopics();
      return topics.every((t) => existing.includes(t)) ? true : undefined;
    }, { everyMs: 250, diagnostics: () => `missing: ${topics.filter((t) => !existing.includes(t)).join(', ')}` });
    const consumer = eventLog.consumer({ groupId: `outbox-test-${randomUUID()}`, topics, fromBeginning: true });
    await consumer.run(async (messages: LogMessage[]) => {
      for (const m of messages) {
        if (m.value === null) continue;
        received.push({ topic: m.topic, key: JSON.parse(m.key!.toString()) as string, event: JSON.parse(m.value.toString()) as Envelope, eventType: m.headers.eventType });
      }
    });

    const mine = () => received.filter((r) => r.key === String(id));
    const expected = {
      'user-service.account.events': ['identity.AccountRegistered', 'identity.SignedIn', 'identity.EmailChanged', 'identity.StatusChanged', 'identity.AccountErased'],
      'user-service.profile.events': ['profile.ProfileCreated', 'profile.ProfileUpdated', 'profile.ProfileErased'],
      'user-service.preferences.events': ['preferences.PreferencesCreated', 'preferences.PreferencesChanged', 'preferences.PreferencesErased'],
    };
    const total = Object.values(expected).flat().length;
    await until(`${total} events of user ${id}`, () => (mine().length >= total ? true : undefined));

    for (const [topic, types] of Object.entries(expected)) {
      const onTopic = mine().filter((r) => r.topic === topic);
      expect(onTopic.map((r) => r.event.type)).toEqual(types);
      // The router copies the outbox row's `type` into a header, so consumers can filter without parsing.
      expect(onTopic.map((r) => r.eventType)).toEqual(types);
      // One version step per change, per aggregate.
      expect(onTopic.map((r) => r.event.version)).toEqual(types.map((_, i) => i + 1));
    }

    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    for (const { event } of mine()) {
      const file = schemaFileOf(event);
      expect(existsSync(file) ? file : `missing schema ${file}`).toBe(file);
      const validate = ajv.getSchema(file) ?? (ajv.addSchema(JSON.parse(readFileSync(file, 'utf8')), file), ajv.getSchema(file)!);
      const valid = validate(event);
      expect({ type: event.type, errors: valid ? null : validate.errors }).toEqual({ type: event.type, errors: null });
    }
  });
});
