import bcrypt from 'bcrypt';
import { startLegacyHarness, TEST_BCRYPT_COST, type LegacyHarness, expectFailure } from '../test/legacy-harness';

let legacy: LegacyHarness;
beforeAll(async () => {
  legacy = await startLegacyHarness();
});
afterAll(async () => {
  await legacy?.stop();
});

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
let serial = 0;
const uniqueEmail = (name = 'user') => `${name}.${++serial}.${process.pid}@example.com`;

async function userCount(): Promise<number> {
  const { rows } = await legacy.pool.query<{ count: string }>('select count(*) from public.users');
  return Number(rows[0]?.count);
}

async function userWithPassword(password: string, row: Parameters<LegacyHarness['insertUser']>[0] = {}): Promise<number> {
  return legacy.insertUser({ pwd_hash: await bcrypt.hash(password, TEST_BCRYPT_COST), ...row });
}


describe('POST /api/users', () => {
  test('creates an active account, storing the email trimmed and a bcrypt hash at the configured cost', async () => {
    const response = await legacy.request('POST', '/api/users', {
      json: { email: '  Grace.Hopper@Example.com ', password: 'cobol-1959', displayName: 'Grace' },
    });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(['createdAt', 'email', 'id', 'status']);
    expect(response.body).toMatchObject({ email: 'Grace.Hopper@Example.com', status: 'active' });
    expect(typeof response.body.id).toBe('number');
    expect(response.body.createdAt).toMatch(ISO_UTC);
    expect(Math.abs(Date.parse(response.body.createdAt) - Date.now())).toBeLessThan(60_000);

    const row = await legacy.userRow(response.body.id);
    expect(row).toMatchObject({ email_addr: 'Grace.Hopper@Example.com', acct_stat_cd: 'A', disp_nm: 'Grace' });
    expect(String(row?.pwd_hash)).toMatch(/^\$2[ab]\$04\$/);
    await expect(bcrypt.compare('cobol-1959', String(row?.pwd_hash))).resolves.toBe(true);
  });

  test('displayName may be left out or null', async () => {
    const without = await legacy.request('POST', '/api/users', { json: { email: uniqueEmail(), password: 'password-1' } });
    const withNull = await legacy.request('POST', '/api/users', { json: { email: uniqueEmail(), password: 'password-1', displayName: null } });
    expect([without.status, withNull.status]).toEqual([201, 201]);
    expect((await legacy.userRow(without.body.id))?.disp_nm).toBeNull();
  });

  test.each([
    ['an invalid email', { email: 'not-an-email', password: 'password-1' }, 400, 'IDENTITY.INVALID_EMAIL'],
    ['an email with two @', { email: 'a@@example.com', password: 'password-1' }, 400, 'IDENTITY.INVALID_EMAIL'],
    ['a 7-character password', { email: 'weak@example.com', password: 'short-7' }, 400, 'IDENTITY.WEAK_PASSWORD'],
    ['a 73-byte password', { email: 'long@example.com', password: 'p'.repeat(73) }, 400, 'IDENTITY.WEAK_PASSWORD'],
    ['a 101-character display name', { email: 'name@example.com', password: 'password-1', displayName: 'n'.repeat(101) }, 400, 'PROFILE.DISPLAY_NAME_TOO_LONG'],
    ['a missing password', { email: 'nopw@example.com' }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown field', { email: 'extra@example.com', password: 'password-1', role: 'admin' }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a mistyped field', { email: 'typed@example.com', password: 12345678 }, 400, 'REQUEST.VALIDATION_FAILED'],
  ])('refuses %s and creates nothing', async (_, json, status, code) => {
    const before = await userCount();
    expectFailure(await legacy.request('POST', '/api/users', { json }), status, code);
    expect(await userCount()).toBe(before);
  });

  test('a validation failure names the offending field', async () => {
    const response = await legacy.request('POST', '/api/users', { json: { email: 'x@example.com', password: 5 } });
    expect(response.body.error.message).toContain('password');
  });

  test('refuses an email already taken, compared case-insensitively and ignoring spaces', async () => {
    const email = uniqueEmail('taken');
    expect((await legacy.request('POST', '/api/users', { json: { email, password: 'password-1' } })).status).toBe(201);
    const before = await userCount();
    const again = await legacy.request('POST', '/api/users', { json: { email: `  ${email.toUpperCase()} `, password: 'password-2' } });
    expectFailure(again, 409, 'IDENTITY.EMAIL_TAKEN');
    expect(await userCount()).toBe(before);
  });

  test('concurrent signups for one email: one wins, the rest get EMAIL_TAKEN from the unique index', async () => {
    const email = uniqueEmail('race');
    const variants = [email, email.toUpperCase(), ` ${email}`, `${email} `, email];
    const responses = await Promise.all(
      variants.map((variant) => legacy.request('POST', '/api/users', { json: { email: variant, password: 'password-1' } })),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const response of responses.filter((candidate) => candidate.status === 409)) {
      expect(response.body.error.code).toBe('IDENTITY.EMAIL_TAKEN');
    }
  });
});

describe('POST /api/sessions', () => {
  test('logs in with the right password and records last_login_ts', async () => {
    const email = uniqueEmail('login');
    const id = await userWithPassword('right-password', { email_addr: email });
    const response = await legacy.request('POST', '/api/sessions', { json: { email, password: 'right-password' } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ userId: id, lastLoginAt: expect.stringMatching(ISO_UTC) });
    const { rows } = await legacy.pool.query<{ last_login: Date }>(
      `select last_login_ts at time zone 'UTC' as last_login from public.users where usr_id = $1`,
      [id],
    );
    expect(rows[0]?.last_login.toISOString()).toBe(response.body.lastLoginAt);
    expect(Math.abs(Date.parse(response.body.lastLoginAt) - Date.now())).toBeLessThan(60_000);
  });

  test('finds a stored address with mixed case and stray spaces, as the monolith always has', async () => {
    const email = uniqueEmail('messy');
    const id = await userWithPassword('right-password', { email_addr: `  ${email.toUpperCase()} ` });
    const response = await legacy.request('POST', '/api/sessions', { json: { email: ` ${email} `, password: 'right-password' } });
    expect(response.status).toBe(200);
    expect(response.body.userId).toBe(id);
  });

  test.each([
    ['a wrong password', 'A', 'wrong-password'],
    ['a suspended account', 'S', 'right-password'],
    ['a closed account', 'C', 'right-password'],
    ['an account with an unknown legacy status', 'X', 'right-password'],
  ])('refuses %s with 401 and leaves last_login_ts alone', async (_, status, password) => {
    const email = uniqueEmail('refused');
    const id = await userWithPassword('right-password', { email_addr: email, acct_stat_cd: status });
    const before = await legacy.userRow(id);
    expectFailure(await legacy.request('POST', '/api/sessions', { json: { email, password } }), 401, 'IDENTITY.INVALID_CREDENTIALS');
    expect(await legacy.userRow(id)).toEqual(before);
  });

  test('refuses an unknown email with the same 401', async () => {
    expectFailure(
      await legacy.request('POST', '/api/sessions', { json: { email: 'nobody@example.com', password: 'whatever-1' } }),
      401,
      'IDENTITY.INVALID_CREDENTIALS',
    );
  });

  test('refuses a password longer than 72 bytes even when bcrypt would match its first 72', async () => {
    const email = uniqueEmail('truncated');
    const password = 'p'.repeat(72);
    await userWithPassword(password, { email_addr: email });
    expect((await legacy.request('POST', '/api/sessions', { json: { email, password } })).status).toBe(200);
    expectFailure(
      await legacy.request('POST', '/api/sessions', { json: { email, password: `${password}-and-more` } }),
      401,
      'IDENTITY.INVALID_CREDENTIALS',
    );
  });

  test('refuses a body without a password as a validation failure, not a login attempt', async () => {
    expectFailure(await legacy.request('POST', '/api/sessions', { json: { email: 'a@example.com' } }), 400, 'REQUEST.VALIDATION_FAILED');
  });
});

describe('GET /api/users/:id/account', () => {
  test('returns the account with the email as stored and timestamps in UTC', async () => {
    const id = await legacy.insertUser({ email_addr: ' Stored.As@Typed.example.com', acct_stat_cd: 'S' });
    await legacy.pool.query(
      `update public.users set created_ts = '2015-03-04 05:06:07.089', last_login_ts = '2020-01-01 00:00:00' where usr_id = $1`,
      [id],
    );
    const response = await legacy.request('GET', `/api/users/${id}/account`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id,
      email: ' Stored.As@Typed.example.com',
      status: 'suspended',
      createdAt: '2015-03-04T05:06:07.089Z',
      lastLoginAt: '2020-01-01T00:00:00.000Z',
    });
  });

  test('shows an unknown legacy status code as "unknown"', async () => {
    const id = await legacy.insertUser({ acct_stat_cd: 'P' });
    expect((await legacy.request('GET', `/api/users/${id}/account`)).body.status).toBe('unknown');
  });

  test('answers 404 ACCOUNT_NOT_FOUND for an unknown id and 400 INVALID_ID for a non-id', async () => {
    expectFailure(await legacy.request('GET', '/api/users/987654321/account'), 404, 'IDENTITY.ACCOUNT_NOT_FOUND');
    expectFailure(await legacy.request('GET', '/api/users/abc/account'), 400, 'REQUEST.INVALID_ID');
    expectFailure(await legacy.request('GET', '/api/users/0/account'), 400, 'REQUEST.INVALID_ID');
  });
});

describe('PATCH /api/users/:id/account', () => {
  test('changes the email (stored trimmed) and the status, and writes updated_ts', async () => {
    const id = await legacy.insertUser();
    await legacy.pool.query(`update public.users set updated_ts = '2001-01-01' where usr_id = $1`, [id]);
    const email = uniqueEmail('Changed');
    const response = await legacy.request('PATCH', `/api/users/${id}/account`, { json: { email: ` ${email} `, status: 'suspended' } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id, email, status: 'suspended' });
    const row = await legacy.userRow(id);
    expect(row).toMatchObject({ email_addr: email, acct_stat_cd: 'S' });
    expect((row?.updated_ts as Date).getUTCFullYear()).toBeGreaterThan(2001);
  });

  test('walks the lifecycle active -> suspended -> active -> closed', async () => {
    const id = await legacy.insertUser();
    for (const status of ['suspended', 'active', 'closed']) {
      const response = await legacy.request('PATCH', `/api/users/${id}/account`, { json: { status } });
      expect([response.status, response.body.status]).toEqual([200, status]);
    }
  });

  test('an account may keep its own email in another case', async () => {
    const email = uniqueEmail('own');
    const id = await legacy.insertUser({ email_addr: email });
    const response = await legacy.request('PATCH', `/api/users/${id}/account`, { json: { email: email.toUpperCase() } });
    expect([response.status, response.body.email]).toEqual([200, email.toUpperCase()]);
  });

  test('PATCH {} is a no-op that returns the current account and writes nothing', async () => {
    const id = await legacy.insertUser();
    const before = await legacy.userRow(id);
    const response = await legacy.request('PATCH', `/api/users/${id}/account`, { json: {} });
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(id);
    expect(await legacy.userRow(id)).toEqual(before);
  });

  test.each([
    ['an invalid email', 'A', { email: 'no-at-sign' }, 400, 'IDENTITY.INVALID_EMAIL'],
    ['an unknown status', 'A', { status: 'banned' }, 400, 'IDENTITY.INVALID_STATUS'],
    ['reopening a closed account', 'C', { status: 'active' }, 409, 'IDENTITY.INVALID_STATUS_TRANSITION'],
    ['suspending a closed account', 'C', { status: 'suspended' }, 409, 'IDENTITY.INVALID_STATUS_TRANSITION'],
    ['activating an unknown legacy status', 'X', { status: 'active' }, 409, 'IDENTITY.INVALID_STATUS_TRANSITION'],
    ['a refused transition together with a valid email', 'C', { status: 'active', email: 'fresh@example.com' }, 409, 'IDENTITY.INVALID_STATUS_TRANSITION'],
    ['a password field (not changeable here)', 'A', { password: 'new-password' }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a null email', 'A', { email: null }, 400, 'REQUEST.VALIDATION_FAILED'],
  ])('refuses %s and leaves the row unchanged', async (_, status, json, httpStatus, code) => {
    const id = await legacy.insertUser({ acct_stat_cd: status });
    const before = await legacy.userRow(id);
    expectFailure(await legacy.request('PATCH', `/api/users/${id}/account`, { json }), httpStatus, code);
    expect(await legacy.userRow(id)).toEqual(before);
  });

  test('refuses an email another account has, in any case or spacing, and leaves the row unchanged', async () => {
    const taken = uniqueEmail('other');
    await legacy.insertUser({ email_addr: taken });
    const id = await legacy.insertUser();
    const before = await legacy.userRow(id);
    expectFailure(
      await legacy.request('PATCH', `/api/users/${id}/account`, { json: { email: ` ${taken.toUpperCase()}` } }),
      409,
      'IDENTITY.EMAIL_TAKEN',
    );
    expect(await legacy.userRow(id)).toEqual(before);
  });

  test('answers 404 for an unknown id, 400 for a non-id', async () => {
    expectFailure(await legacy.request('PATCH', '/api/users/987654321/account', { json: { status: 'closed' } }), 404, 'IDENTITY.ACCOUNT_NOT_FOUND');
    expectFailure(await legacy.request('PATCH', '/api/users/987654321/account', { json: {} }), 404, 'IDENTITY.ACCOUNT_NOT_FOUND');
    expectFailure(await legacy.request('PATCH', '/api/users/-4/account', { json: {} }), 400, 'REQUEST.INVALID_ID');
  });
});

describe('DELETE /api/users/:id', () => {
  test('erases the row and answers 204 with no body; a second delete finds nothing', async () => {
    const id = await legacy.insertUser();
    const response = await legacy.request('DELETE', `/api/users/${id}`);
    expect([response.status, response.text]).toEqual([204, '']);
    expect(await legacy.userRow(id)).toBeUndefined();
    expectFailure(await legacy.request('DELETE', `/api/users/${id}`), 404, 'IDENTITY.ACCOUNT_NOT_FOUND');
  });

  test('answers 400 INVALID_ID for a non-id and deletes nothing', async () => {
    const before = await userCount();
    expectFailure(await legacy.request('DELETE', '/api/users/1.0'), 400, 'REQUEST.INVALID_ID');
    expect(await userCount()).toBe(before);
  });
});
