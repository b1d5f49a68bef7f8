import { startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { expectFailure, identityFixture, type IdentityFixture } from './test/identity-fixture';

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

const getAccount = (id: number | string) => harness.request('GET', `/api/users/${id}/account`);
const patchAccount = (id: number | string, json: unknown, headers: Record<string, string> = {}) =>
  harness.request('PATCH', `/api/users/${id}/account`, { json, headers });

async function newEvents(before: unknown[]) {
  return (await identity.outbox()).slice(before.length).map((event) => [event.type, event.payload.version]);
}

describe('GET /api/users/:id/account', () => {
  test('returns the account with its normalised email, UTC timestamps and its version as ETag', async () => {
    harness.now = new Date('2026-11-21T08:09:10.011Z');
    const { id } = await identity.register('  Grace.Hopper@Example.COM ');
    const response = await getAccount(id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id, email: 'grace.hopper@example.com', status: 'active', createdAt: '2026-11-21T08:09:10.011Z', lastLoginAt: null });
    expect(response.headers.get('etag')).toBe('"1"');
  });

  test('answers 404 ACCOUNT_NOT_FOUND for an unknown id and 400 INVALID_ID for a non-id', async () => {
    expectFailure(await getAccount(987654321), 404, 'IDENTITY.ACCOUNT_NOT_FOUND');
    for (const id of ['abc', '0', '-4', '1.0', '9007199254740992', '%zz']) expectFailure(await getAccount(id), 400, 'REQUEST.INVALID_ID');
  });
});

describe('PATCH /api/users/:id/account', () => {
  test('changes email (stored normalised) and status: two events, v2 then v3, and the new ETag', async () => {
    const { id } = await identity.register();
    const before = await identity.outbox();
    harness.now = new Date('2026-11-22T00:00:00.000Z');
    const email = identity.uniqueEmail('Changed');
    const response = await patchAccount(id, { email: ` ${email.toUpperCase()} `, status: 'suspended' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id, email: email.toLowerCase(), status: 'suspended' });
    expect(response.headers.get('etag')).toBe('"3"');
    expect(await identity.accountRow(id)).toMatchObject({ email: email.toLowerCase(), status: 'suspended', version: 3, updated_at: harness.now });
    expect(await newEvents(before)).toEqual([['identity.EmailChanged', 2], ['identity.StatusChanged', 3]]);
    const [emailChanged, statusChanged] = (await identity.outbox()).slice(before.length);
    expect([emailChanged?.payload.data.email, emailChanged?.payload.data.status]).toEqual([email.toLowerCase(), 'active']);
    expect(statusChanged?.payload.data.status).toBe('suspended');
  });

  test('walks the lifecycle active -> suspended -> active -> closed, one version each', async () => {
    const { id } = await identity.register();
    for (const [status, version] of [['suspended', 2], ['active', 3], ['closed', 4]] as const) {
      const response = await patchAccount(id, { status });
      expect([response.status, response.body.status, response.headers.get('etag')]).toEqual([200, status, `"${version}"`]);
    }
  });

  test.each([
    ['{}', {}],
    ['the own email in another case', 'own email'],
    ['the current status', { status: 'active' }],
  ])('a no-op (%s) answers 200 with the current account and writes nothing', async (_, json) => {
    const email = identity.uniqueEmail('own');
    const { id } = await identity.register(email);
    const before = await identity.snapshot(id);
    const response = await patchAccount(id, json === 'own email' ? { email: ` ${email.toUpperCase()}` } : json);
    expect(response.status).toBe(200);
    expect(response.body).toEqual((await getAccount(id)).body);
    expect(response.headers.get('etag')).toBe('"1"');
    expect(await identity.snapshot(id)).toEqual(before);
  });

  test.each([
    ['an invalid email', undefined, { email: 'no-at-sign' }, 400, 'IDENTITY.INVALID_EMAIL'],
    ['an email over 254 characters', undefined, { email: `${'a'.repeat(64)}@${'b'.repeat(186)}.com` }, 400, 'IDENTITY.INVALID_EMAIL'],
    ['an unknown status', undefined, { status: 'banned' }, 400, 'IDENTITY.INVALID_STATUS'],
    ['an invalid email together with an unknown status', undefined, { email: 'x', status: 'banned' }, 400, 'IDENTITY.INVALID_EMAIL'],
    ['reopening a closed account', 'closed', { status: 'active' }, 409, 'IDENTITY.INVALID_STATUS_TRANSITION'],
    ['suspending a closed account', 'closed', { status: 'suspended' }, 409, 'IDENTITY.INVALID_STATUS_TRANSITION'],
    ['a refused transition together with a valid email', 'closed', { status: 'active', email: 'fresh@example.com' }, 409, 'IDENTITY.INVALID_STATUS_TRANSITION'],
    ['a password field (not changeable here)', undefined, { password: 'new-password' }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a null email', undefined, { email: null }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a numeric status', undefined, { status: 1 }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a NUL in the email', undefined, { email: 'ada\u0000@example.com' }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a body that is not an object', undefined, ['status'], 400, 'REQUEST.VALIDATION_FAILED'],
  ])('refuses %s and leaves the row and the outbox unchanged', async (_, status, json, httpStatus, code) => {
    const { id } = await identity.register();
    if (status) expect((await patchAccount(id, { status })).status).toBe(200);
    const before = await identity.snapshot(id);
    expectFailure(await patchAccount(id, json), httpStatus, code);
    expect(await identity.snapshot(id)).toEqual(before);
  });

  test('refuses malformed JSON and other media types, and changes nothing', async () => {
    const { id } = await identity.register();
    const before = await identity.snapshot(id);
    const path = `/api/users/${id}/account`;
    expectFailure(await harness.request('PATCH', path, { body: '{"status": ', headers: { 'content-type': 'application/json' } }), 400, 'REQUEST.MALFORMED_JSON');
    expectFailure(await harness.request('PATCH', path, { body: 'status=closed', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
    expectFailure(await harness.request('PATCH', path, { json: { email: 'x'.repeat(300_000) } }), 413, 'REQUEST.PAYLOAD_TOO_LARGE');
    expect(await identity.snapshot(id)).toEqual(before);
  });

  test('refuses an email another account has, in any case or spacing, and changes nothing', async () => {
    const taken = identity.uniqueEmail('other');
    await identity.register(taken);
    const { id } = await identity.register();
    const before = await identity.snapshot(id);
    expectFailure(await patchAccount(id, { email: ` ${taken.toUpperCase()}` }), 409, 'IDENTITY.EMAIL_TAKEN');
    expectFailure(await patchAccount(id, { email: taken, status: 'suspended' }), 409, 'IDENTITY.EMAIL_TAKEN');
    expect(await identity.snapshot(id)).toEqual(before);
  });

  test('two accounts racing for one new email: one wins, the other gets EMAIL_TAKEN from the unique index', async () => {
    const email = identity.uniqueEmail('race');
    const ids = await Promise.all([identity.register(), identity.register(), identity.register()]).then((accounts) => accounts.map((a) => a.id));
    const responses = await Promise.all(ids.map((id) => patchAccount(id, { email })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 409, 409]);
    for (const response of responses.filter((candidate) => candidate.status === 409)) expectFailure(response, 409, 'IDENTITY.EMAIL_TAKEN');
    const owners = await Promise.all(ids.map(async (id) => (await identity.accountRow(id))?.email));
    expect(owners.filter((owner) => owner === email)).toHaveLength(1);
    expect((await identity.outbox()).filter((event) => event.type === 'identity.EmailChanged' && event.payload.data.email === email)).toHaveLength(1);
  });

  test('answers 404 for an unknown id and 400 for a non-id', async () => {
    expectFailure(await patchAccount(987654321, { status: 'closed' }), 404, 'IDENTITY.ACCOUNT_NOT_FOUND');
    expectFailure(await patchAccount(987654321, {}), 404, 'IDENTITY.ACCOUNT_NOT_FOUND');
    expectFailure(await patchAccount(-4, {}), 400, 'REQUEST.INVALID_ID');
    expectFailure(await patchAccount('abc', { status: 'banned' }), 400, 'REQUEST.INVALID_ID');
  });
});

describe('PATCH /api/users/:id/account with If-Match', () => {
  test('a stale ETag gets 412 and changes nothing; the current ETag succeeds', async () => {
    const { id } = await identity.register();
    expect((await patchAccount(id, { status: 'suspended' })).status).toBe(200);
    const before = await identity.snapshot(id);
    const stale = await patchAccount(id, { status: 'active' }, { 'if-match': '"1"' });
    expectFailure(stale, 412, 'REQUEST.PRECONDITION_FAILED');
    expect(stale.body.error.message).toContain('"2"');
    expect(await identity.snapshot(id)).toEqual(before);

    const current = await patchAccount(id, { status: 'active' }, { 'if-match': (await getAccount(id)).headers.get('etag')! });
    expect([current.status, current.body.status, current.headers.get('etag')]).toEqual([200, 'active', '"3"']);
  });

  test('the precondition is checked before the status rule: a stale write never learns more', async () => {
    const { id } = await identity.register();
    await patchAccount(id, { status: 'closed' });
    expectFailure(await patchAccount(id, { status: 'active' }, { 'if-match': '"1"' }), 412, 'REQUEST.PRECONDITION_FAILED');
  });

  test('a list naming the current version, or *, is accepted; a weak tag never matches', async () => {
    const { id } = await identity.register();
    expect((await patchAccount(id, { status: 'suspended' }, { 'if-match': '"7", "1"' })).status).toBe(200);
    expect((await patchAccount(id, { status: 'active' }, { 'if-match': '*' })).status).toBe(200);
    expectFailure(await patchAccount(id, { status: 'closed' }, { 'if-match': 'W/"3"' }), 412, 'REQUEST.PRECONDITION_FAILED');
  });

  test('a no-op with a stale ETag still gets 412: the client\'s view is out of date', async () => {
    const { id } = await identity.register();
    await patchAccount(id, { status: 'suspended' });
    expectFailure(await patchAccount(id, {}, { 'if-match': '"1"' }), 412, 'REQUEST.PRECONDITION_FAILED');
  });

  test('two writers with the same ETag: one wins, the other gets 412 and no lost update', async () => {
    const { id } = await identity.register();
    const responses = await Promise.all([
      patchAccount(id, { status: 'suspended' }, { 'if-match': '"1"' }),
      patchAccount(id, { email: identity.uniqueEmail('writer') }, { 'if-match': '"1"' }),
    ]);
    expect(responses.map((response) => response.status).sort()).toEqual([200, 412]);
    expect((await identity.accountRow(id))?.version).toBe(2);
  });
});
