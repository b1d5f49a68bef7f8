import bcrypt from 'bcrypt';
import { Failure, isFailure } from '../platform/failure';
import { startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { IDENTITY_ROLE } from './accounts.repository';
import { eraseAccount } from './erase-account';
import { registerAccount } from './register-account';
import { identityFixture, type IdentityFixture } from './test/identity-fixture';

// Registration and erasure are processes across the three contexts (registration/); here identity's part
// of them is driven directly, in a transaction of its own, as the process drives it.

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

const register = (email: string, password = 'right-password') =>
  identity.deps.db.transaction((uow) => registerAccount(uow, { email, password }, identity.deps));
const erase = (id: number) => identity.deps.db.transaction((uow) => eraseAccount(uow, id, identity.deps));
const codeOf = (value: unknown) => (value instanceof Failure ? value.code : undefined);

async function accountCount(): Promise<number> {
  return Number((await harness.admin.query('SELECT count(*) FROM identity.accounts')).rows[0].count);
}

describe('registerAccount', () => {
  test('registers an active account at version 1 with an id from 10^12 up, a bcrypt hash and AccountRegistered', async () => {
    harness.now = new Date('2026-11-21T09:00:00.123Z');
    const before = await identity.outbox();
    const account = await register('  Grace.Hopper@Example.com ', 'cobol-1959');
    if (isFailure(account)) throw new Error(account.code);
    expect(account).toEqual({ id: expect.any(Number), email: 'grace.hopper@example.com', status: 'active', createdAt: harness.now, version: 1 });
    expect(account.id).toBeGreaterThanOrEqual(1_000_000_000_000);

    const row = await identity.accountRow(account.id);
    expect(row).toMatchObject({ email: 'grace.hopper@example.com', status: 'active', version: 1, created_at: harness.now, updated_at: harness.now, last_login_at: null });
    expect(String(row?.password_hash)).toMatch(/^\$2[ab]\$04\$/);
    await expect(bcrypt.compare('cobol-1959', String(row?.password_hash))).resolves.toBe(true);

    const events = (await identity.outbox()).slice(before.length);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ aggregatetype: 'account', aggregateid: String(account.id), type: 'identity.AccountRegistered' });
    expect(events[0]?.payload).toMatchObject({
      type: 'identity.AccountRegistered', schemaVersion: 1, aggregateId: account.id, version: 1, occurredAt: '2026-11-21T09:00:00.123Z',
      data: { id: account.id, email: 'grace.hopper@example.com', passwordHash: row?.password_hash, status: 'active', createdAt: '2026-11-21T09:00:00.123Z', lastLoginAt: null },
    });
  });

  test('ids from the sequence grow and never fall into legacy\'s range', async () => {
    const first = await identity.register();
    const second = await identity.register();
    expect(second.id).toBeGreaterThan(first.id);
    expect(first.id).toBeGreaterThanOrEqual(1_000_000_000_000);
  });

  test.each([
    ['an invalid email', 'not-an-email', 'password-1', 'IDENTITY.INVALID_EMAIL'],
    ['an email with two @', 'a@@example.com', 'password-1', 'IDENTITY.INVALID_EMAIL'],
    ['an invalid email and a weak password: the email first, as legacy', 'nope', 'short', 'IDENTITY.INVALID_EMAIL'],
    ['a 7-character password', 'weak@example.com', 'short-7', 'IDENTITY.WEAK_PASSWORD'],
    ['a 73-byte password', 'long@example.com', 'p'.repeat(73), 'IDENTITY.WEAK_PASSWORD'],
  ])('refuses %s and stores nothing', async (_, email, password, code) => {
    const [count, outbox] = [await accountCount(), await identity.outbox()];
    expect(codeOf(await register(email, password))).toBe(code);
    expect([await accountCount(), await identity.outbox()]).toEqual([count, outbox]);
  });

  test('refuses an email already taken, compared case-insensitively and ignoring spaces, and stores nothing', async () => {
    const email = identity.uniqueEmail('taken');
    await identity.register(email);
    const [count, outbox] = [await accountCount(), await identity.outbox()];
    expect(codeOf(await register(`  ${email.toUpperCase()} `, 'password-2'))).toBe('IDENTITY.EMAIL_TAKEN');
    expect([await accountCount(), await identity.outbox()]).toEqual([count, outbox]);
  });

  test('a taken email leaves the shared transaction usable for the process to answer and roll back', async () => {
    const email = identity.uniqueEmail('shared');
    await identity.register(email);
    const afterwards = await identity.deps.db.transaction(async (uow) => {
      const refused = await registerAccount(uow, { email, password: 'password-2' }, identity.deps);
      return { code: codeOf(refused), stillWorks: await uow.as(IDENTITY_ROLE).query('SELECT 1 AS one') };
    });
    expect(afterwards).toEqual({ code: 'IDENTITY.EMAIL_TAKEN', stillWorks: [{ one: 1 }] });
  });

  test('concurrent sign-ups for one email: one wins, the rest get EMAIL_TAKEN', async () => {
    const email = identity.uniqueEmail('race');
    const variants = [email, email.toUpperCase(), ` ${email}`, `${email} `, email];
    const outcomes = await Promise.all(variants.map((variant) => register(variant, 'password-1')));
    expect(outcomes.map((outcome) => codeOf(outcome) ?? 'registered').sort()).toEqual([
      'IDENTITY.EMAIL_TAKEN', 'IDENTITY.EMAIL_TAKEN', 'IDENTITY.EMAIL_TAKEN', 'IDENTITY.EMAIL_TAKEN', 'registered',
    ]);
    expect((await identity.outbox()).filter((event) => event.payload.data.email === email)).toHaveLength(1);
  });

  test('a sign-up the process rolls back after identity\'s part leaves no account and no event', async () => {
    const email = identity.uniqueEmail('rolled-back');
    const [count, outbox] = [await accountCount(), await identity.outbox()];
    await expect(
      identity.deps.db.transaction(async (uow) => {
        await registerAccount(uow, { email, password: 'password-1' }, identity.deps);
        throw new Error('a later context failed');
      }),
    ).rejects.toThrow('a later context failed');
    expect([await accountCount(), await identity.outbox()]).toEqual([count, outbox]);
  });
});

describe('eraseAccount', () => {
  test('deletes the account and publishes AccountErased {id} at the next version', async () => {
    const { id } = await identity.register();
    await harness.request('PATCH', `/api/users/${id}/account`, { json: { status: 'closed' } });
    const before = await identity.outbox();
    harness.now = new Date('2026-11-23T00:00:00.000Z');
    expect(await erase(id)).toBeUndefined();
    expect(await identity.accountRow(id)).toBeUndefined();
    const events = (await identity.outbox()).slice(before.length);
    expect(events.map((event) => [event.type, event.aggregateid, event.payload.version, event.payload.data])).toEqual([
      ['identity.AccountErased', String(id), 3, { id }],
    ]);
    expect(events[0]?.payload.occurredAt).toBe('2026-11-23T00:00:00.000Z');
    expect((await harness.request('GET', `/api/users/${id}/account`)).status).toBe(404);
  });

  test('an unknown or already erased account is ACCOUNT_NOT_FOUND and publishes nothing', async () => {
    const { id } = await identity.register();
    await erase(id);
    const outbox = await identity.outbox();
    expect(codeOf(await erase(id))).toBe('IDENTITY.ACCOUNT_NOT_FOUND');
    expect(codeOf(await erase(987654321))).toBe('IDENTITY.ACCOUNT_NOT_FOUND');
    expect(await identity.outbox()).toEqual(outbox);
  });

  test('the erased email is free for a new sign-up', async () => {
    const email = identity.uniqueEmail('reused');
    const { id } = await identity.register(email);
    await erase(id);
    const again = await register(email);
    expect(isFailure(again) ? again.code : again.id).not.toBe(id);
  });
});
