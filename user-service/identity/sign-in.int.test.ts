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

const signIn = (json: unknown) => harness.request('POST', '/api/sessions', { json });
const patchAccount = (id: number, json: unknown) => harness.request('PATCH', `/api/users/${id}/account`, { json });

describe('POST /api/sessions', () => {
  test('signs in with the right password, records lastLoginAt and publishes SignedIn at the next version', async () => {
    const email = identity.uniqueEmail('login');
    const { id } = await identity.register(email, 'right-password');
    harness.now = new Date('2026-11-21T12:34:56.789Z');
    const outboxBefore = await identity.outbox();

    const response = await signIn({ email, password: 'right-password' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ userId: id, lastLoginAt: '2026-11-21T12:34:56.789Z' });
    expect(await identity.accountRow(id)).toMatchObject({ last_login_at: harness.now, version: 2, updated_at: harness.now });

    const events = (await identity.outbox()).slice(outboxBefore.length);
    expect(events.map((event) => [event.type, event.aggregateid, event.payload.version])).toEqual([['identity.SignedIn', String(id), 2]]);
    expect(events[0]?.payload.data).toMatchObject({ id, email, status: 'active', lastLoginAt: '2026-11-21T12:34:56.789Z' });

    const account = await harness.request('GET', `/api/users/${id}/account`);
    expect([account.body.lastLoginAt, account.headers.get('etag')]).toEqual(['2026-11-21T12:34:56.789Z', '"2"']);
  });

  test('each sign-in is its own change: the version steps once per sign-in', async () => {
    const email = identity.uniqueEmail('again');
    const { id } = await identity.register(email);
    for (let i = 0; i < 3; i++) expect((await signIn({ email, password: 'right-password' })).status).toBe(200);
    expect((await identity.accountRow(id))?.version).toBe(4);
  });

  test('an address typed in another case with stray spaces finds the account', async () => {
    const email = identity.uniqueEmail('messy');
    const { id } = await identity.register(email);
    const response = await signIn({ email: `  ${email.toUpperCase()} `, password: 'right-password' });
    expect([response.status, response.body.userId]).toEqual([200, id]);
  });

  test.each([
    ['a wrong password', undefined, 'right-password', 'wrong-password'],
    ['a suspended account', 'suspended', 'right-password', 'right-password'],
    ['a closed account', 'closed', 'right-password', 'right-password'],
    ['a password past 72 bytes whose first 72 match', undefined, 'p'.repeat(72), `${'p'.repeat(72)}-and-more`],
  ])('refuses %s with 401 and changes nothing', async (_, status, registeredPassword, password) => {
    const email = identity.uniqueEmail('refused');
    const { id } = await identity.register(email, registeredPassword);
    if (status) expect((await patchAccount(id, { status })).status).toBe(200);
    const before = await identity.snapshot(id);
    expectFailure(await signIn({ email, password }), 401, 'IDENTITY.INVALID_CREDENTIALS');
    expect(await identity.snapshot(id)).toEqual(before);
  });

  test('refuses an unknown email with the same 401', async () => {
    const before = await identity.outbox();
    expectFailure(await signIn({ email: 'nobody@example.com', password: 'whatever-1' }), 401, 'IDENTITY.INVALID_CREDENTIALS');
    expect(await identity.outbox()).toEqual(before);
  });

  test('a tab around the address never signs in, as legacy, whose lookup trims spaces only, refuses it', async () => {
    const email = identity.uniqueEmail('tab');
    await identity.register(email);
    expectFailure(await signIn({ email: `\t${email}`, password: 'right-password' }), 401, 'IDENTITY.INVALID_CREDENTIALS');
  });

  test('a reactivated account signs in again', async () => {
    const email = identity.uniqueEmail('back');
    const { id } = await identity.register(email);
    await patchAccount(id, { status: 'suspended' });
    await patchAccount(id, { status: 'active' });
    expect((await signIn({ email, password: 'right-password' })).status).toBe(200);
  });

  test.each([
    ['no password', { json: { email: 'a@example.com' } }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown field', { json: { email: 'a@example.com', password: 'right-password', remember: true } }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a numeric password', { json: { email: 'a@example.com', password: 12345678 } }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a NUL in the password', { json: { email: 'a@example.com', password: 'right\u0000password' } }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['malformed JSON', { body: '{"email": ', headers: { 'content-type': 'application/json' } }, 400, 'REQUEST.MALFORMED_JSON'],
    ['a form body', { body: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE'],
  ])('refuses a body with %s before any login attempt', async (_, options, status, code) => {
    const before = await identity.outbox();
    expectFailure(await harness.request('POST', '/api/sessions', options), status, code);
    expect(await identity.outbox()).toEqual(before);
  });

  test('emails, passwords and hashes never reach the log', async () => {
    const email = identity.uniqueEmail('secret');
    const { id } = await identity.register(email, 'secret-password-1');
    await signIn({ email, password: 'secret-password-1' });
    await signIn({ email, password: 'wrong-password-2' });
    await patchAccount(id, { email: `renamed.${email}` });
    const hash = String((await identity.accountRow(id))?.password_hash);
    const log = harness.logLines.join('\n');
    expect(log).toContain('/api/sessions');
    for (const secret of [email, 'secret-password-1', 'wrong-password-2', hash]) expect(log).not.toContain(secret);
  });
});
