import { readFileSync } from 'node:fs';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { isFailure } from '../platform/failure';
import { eventSchemaFile } from '../../schemas/events/event-schemas';
import { startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { eraseAccount } from './erase-account';
import { identityFixture, type IdentityFixture } from './test/identity-fixture';

let harness: UserServiceHarness;
let identity: IdentityFixture;
beforeAll(async () => {
  harness = await startUserServiceHarness();
  identity = identityFixture(harness);
});
afterAll(async () => {
  await identity?.stop();
  await harness?.stop();
});

// As strict as the end-to-end check of the outbox router (cdc/connectors): no union types, formats asserted.
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validators = new Map<string, ValidateFunction>();
function schemaErrors(envelope: { type: string; schemaVersion: number }) {
  const file = eventSchemaFile(envelope.type, envelope.schemaVersion);
  if (!validators.has(file)) validators.set(file, ajv.compile(JSON.parse(readFileSync(file, 'utf8'))));
  const validate = validators.get(file)!;
  return validate(envelope) ? null : validate.errors;
}

const IDENTITY_EVENT_TYPES = ['AccountRegistered', 'SignedIn', 'EmailChanged', 'StatusChanged', 'AccountErased'].map((name) => `identity.${name}`);

describe('identity\'s outbox speaks the published language', () => {
  test('a whole account life publishes one event per change, versions 1..n, each valid against its schema', async () => {
    const email = identity.uniqueEmail('life');
    const { id } = await identity.register(email, 'right-password');
    const before = (await identity.outbox()).filter((event) => event.aggregateid !== String(id));
    const step = async (at: string, call: () => Promise<{ status: number }>, status: number) => {
      harness.now = new Date(at);
      expect((await call()).status).toBe(status);
    };
    const patch = (json: unknown) => () => harness.request('PATCH', `/api/users/${id}/account`, { json });
    await step('2026-11-21T13:00:00.000Z', () => harness.request('POST', '/api/sessions', { json: { email, password: 'right-password' } }), 200);
    await step('2026-11-21T13:01:00.000Z', patch({ email: `renamed.${email}`, status: 'suspended' }), 200);
    await step('2026-11-21T13:02:00.000Z', patch({}), 200);
    await step('2026-11-21T13:03:00.000Z', patch({ status: 'suspended' }), 200);
    await step('2026-11-21T13:04:00.000Z', patch({ status: 'active' }), 200);
    await step('2026-11-21T13:05:00.000Z', patch({ status: 'closed' }), 200);
    await step('2026-11-21T13:06:00.000Z', patch({ status: 'active' }), 409);
    harness.now = new Date('2026-11-21T13:07:00.000Z');
    expect(await identity.deps.db.transaction((uow) => eraseAccount(uow, id, identity.deps))).toBeUndefined();

    const rows = (await identity.outbox()).filter((event) => event.aggregateid === String(id));
    expect(rows.map((row) => [row.type, row.payload.version, row.payload.occurredAt])).toEqual([
      ['identity.AccountRegistered', 1, expect.any(String)],
      ['identity.SignedIn', 2, '2026-11-21T13:00:00.000Z'],
      ['identity.EmailChanged', 3, '2026-11-21T13:01:00.000Z'],
      ['identity.StatusChanged', 4, '2026-11-21T13:01:00.000Z'],
      ['identity.StatusChanged', 5, '2026-11-21T13:04:00.000Z'],
      ['identity.StatusChanged', 6, '2026-11-21T13:05:00.000Z'],
      ['identity.AccountErased', 7, '2026-11-21T13:07:00.000Z'],
    ]);
    for (const row of rows) {
      expect({ type: row.type, errors: schemaErrors(row.payload) }).toEqual({ type: row.type, errors: null });
      expect([row.aggregatetype, row.payload.aggregateId, row.payload.data.id, row.payload.type]).toEqual(['account', id, id, row.type]);
    }
    // The state travels whole: the last StatusChanged says what legacy's row must hold after the reverse sync.
    expect(rows[5]?.payload.data).toEqual({
      id, email: `renamed.${email}`, passwordHash: expect.stringMatching(/^\$2[ab]\$04\$/), status: 'closed',
      createdAt: rows[0]?.payload.data.createdAt, lastLoginAt: '2026-11-21T13:00:00.000Z',
    });
    // Nothing else was published for other accounts meanwhile.
    expect((await identity.outbox()).filter((event) => event.aggregateid !== String(id))).toEqual(before);
  });

  test('the schemas are not vacuous: a missing hash, an extra field, a wrong version or a state the type cannot have is refused', async () => {
    const account = await identity.register();
    const [registered] = (await identity.outbox()).filter((event) => event.aggregateid === String(account.id));
    const { passwordHash: _, ...withoutHash } = registered!.payload.data;
    expect(schemaErrors(registered!.payload)).toBeNull();
    expect(schemaErrors({ ...registered!.payload, data: withoutHash })).not.toBeNull();
    expect(schemaErrors({ ...registered!.payload, data: { ...registered!.payload.data, displayName: 'Ada' } })).not.toBeNull();
    expect(schemaErrors({ ...registered!.payload, extra: true })).not.toBeNull();
    expect(schemaErrors({ ...registered!.payload, version: 2 })).not.toBeNull();
    // Passed off as a sign-in, a never-signed-in state is refused: SignedIn requires lastLoginAt.
    expect(schemaErrors({ ...registered!.payload, type: 'identity.SignedIn', version: 2 })).not.toBeNull();
  });

  test('every identity event type has its schema file, and all state-carrying ones describe the same state', () => {
    const schemas = IDENTITY_EVENT_TYPES.map((type) => JSON.parse(readFileSync(eventSchemaFile(type, 1), 'utf8')));
    expect(schemas.map((schema) => schema.properties.type.const)).toEqual(IDENTITY_EVENT_TYPES);
    const stateFields = schemas.slice(0, 4).map((schema) => Object.keys(schema.properties.data.properties).sort());
    for (const fields of stateFields) expect(fields).toEqual(['createdAt', 'email', 'id', 'lastLoginAt', 'passwordHash', 'status']);
    expect(Object.keys(schemas[4].properties.data.properties)).toEqual(['id']);
  });
});
