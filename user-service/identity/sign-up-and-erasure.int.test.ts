import bcrypt from 'bcrypt';
import { startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { expectFailure, identityFixture, type IdentityFixture } from './test/identity-fixture';

// Identity's part in the processes that span the contexts (registration/), driven through the public API.

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

const signUp = (json: unknown) => harness.request('POST', '/api/users', { json });

async function accountCount(): Promise<number> {
  return Number((await harness.admin.query('SELECT count(*) FROM identity.accounts')).rows[0].count);
}

describe('POST /api/users', () => {
  test('creates an active account with its normalised email, an id from 10^12 up and ETag "1"', async () => {
    harness.now = new Date('2026-11-21T14:00:00.000Z');
    const response = await signUp({ email: '  Grace.Hopper@Example.com ', password: 'cobol-1959', displayName: 'Grace' });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ id: expect.any(Number), email: 'grace.hopper@example.com', status: 'active', createdAt: '2026-11-21T14:00:00.000Z' });
    expect(response.body.id).toBeGreaterThanOrEqual(1_000_000_000_000);
    expect(response.headers.get('etag')).toBe('"1"');
    const row = await identity.accountRow(response.body.id);
    await expect(bcrypt.compare('cobol-1959', String(row?.password_hash))).resolves.toBe(true);
    expect((await identity.outbox()).filter((event) => event.aggregateid === String(response.body.id)).map((event) => event.type)).toEqual([
      'identity.AccountRegistered',
    ]);
    const signedIn = await harness.request('POST', '/api/sessions', { json: { email: 'GRACE.HOPPER@example.com', password: 'cobol-1959' } });
    expect([signedIn.status, signedIn.body.userId]).toEqual([200, response.body.id]);
  });

  test.each([
    ['an invalid email', { email: 'not-an-email', password: 'password-1' }, 400, 'IDENTITY.INVALID_EMAIL'],
    ['a 7-character password', { email: 'weak@example.com', password: 'short-7' }, 400, 'IDENTITY.WEAK_PASSWORD'],
    ['a 73-byte password', { email: 'long@example.com', password: 'p'.repeat(73) }, 400, 'IDENTITY.WEAK_PASSWORD'],
    ['a display name too long for the profile', { email: 'name@example.com', password: 'password-1', displayName: 'n'.repeat(101) }, 400, 'PROFILE.DISPLAY_NAME_TOO_LONG'],
    ['a missing password', { email: 'nopw@example.com' }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown field', { email: 'extra@example.com', password: 'password-1', role: 'admin' }, 400, 'REQUEST.VALIDATION_FAILED'],
  ])('refuses %s and leaves no account and no event behind', async (_, json, status, code) => {
    const [count, outbox] = [await accountCount(), await identity.outbox()];
    expectFailure(await signUp(json), status, code);
    expect([await accountCount(), await identity.outbox()]).toEqual([count, outbox]);
  });

  test('refuses an email already taken, in any case or spacing, with 409 and stores nothing', async () => {
    const email = identity.uniqueEmail('taken');
    expect((await signUp({ email, password: 'password-1' })).status).toBe(201);
    const [count, outbox] = [await accountCount(), await identity.outbox()];
    expectFailure(await signUp({ email: `  ${email.toUpperCase()} `, password: 'password-2' }), 409, 'IDENTITY.EMAIL_TAKEN');
    expect([await accountCount(), await identity.outbox()]).toEqual([count, outbox]);
  });

  test('concurrent sign-ups for one email: one 201, the rest 409 EMAIL_TAKEN', async () => {
    const email = identity.uniqueEmail('race');
    const variants = [email, email.toUpperCase(), ` ${email}`, `${email} `, email];
    const responses = await Promise.all(variants.map((variant) => signUp({ email: variant, password: 'password-1' })));
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const response of responses.filter((candidate) => candidate.status === 409)) expectFailure(response, 409, 'IDENTITY.EMAIL_TAKEN');
  });
});

describe('DELETE /api/users/:id', () => {
  test('erases the account with AccountErased at the next version; a second delete finds nothing', async () => {
    const email = identity.uniqueEmail('erased');
    const { id } = (await signUp({ email, password: 'password-1' })).body;
    await harness.request('POST', '/api/sessions', { json: { email, password: 'password-1' } });
    const response = await harness.request('DELETE', `/api/users/${id}`);
    expect([response.status, response.text]).toEqual([204, '']);
    expect(await identity.accountRow(id)).toBeUndefined();
    expect((await identity.outbox()).filter((event) => event.aggregateid === String(id)).map((event) => [event.type, event.payload.version])).toEqual([
      ['identity.AccountRegistered', 1], ['identity.SignedIn', 2], ['identity.AccountErased', 3],
    ]);
    expectFailure(await harness.request('DELETE', `/api/users/${id}`), 404, 'IDENTITY.ACCOUNT_NOT_FOUND');
    expectFailure(await harness.request('POST', '/api/sessions', { json: { email, password: 'password-1' } }), 401, 'IDENTITY.INVALID_CREDENTIALS');
  });

  test('answers 400 INVALID_ID for a non-id and erases nothing', async () => {
    const before = await accountCount();
    expectFailure(await harness.request('DELETE', '/api/users/1.0'), 400, 'REQUEST.INVALID_ID');
    expect(await accountCount()).toBe(before);
  });
});
