import type { PoolClient } from 'pg';
import { startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';

// The database side of the boundary, which the migrations set up: identity's role reaches identity's
// schema and nothing else, and identity.accounts refuses what the domain would never store.

let harness: UserServiceHarness;
beforeAll(async () => {
  harness = await startUserServiceHarness();
});
afterAll(async () => {
  await harness?.stop();
});

/** Runs `sql` as `role` in a transaction that is always rolled back; answers the rows or the SQLSTATE. */
async function runAs(role: string, sql: string, params: unknown[] = []): Promise<{ rows?: unknown[]; code?: string }> {
  const client: PoolClient = await harness.admin.connect();
  try {
    await client.query('BEGIN');
    if (role !== 'owner') await client.query(`SET ROLE ${role}`);
    return { rows: (await client.query(sql, params)).rows };
  } catch (error) {
    return { code: (error as { code?: string }).code };
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

const PERMISSION_DENIED = '42501';

describe('the role boundary', () => {
  test.each(['profile.outbox', 'preferences.outbox', 'profile.profiles', 'preferences.preferences'])(
    'strangler_identity reading %s gets permission denied',
    async (table) => {
      expect(await runAs('strangler_identity', `SELECT * FROM ${table} LIMIT 1`)).toEqual({ code: PERMISSION_DENIED });
    },
  );

  test('strangler_identity reads and writes its own tables and draws ids from its sequence', async () => {
    expect((await runAs('strangler_identity', 'SELECT count(*) FROM identity.accounts')).rows).toHaveLength(1);
    expect((await runAs('strangler_identity', 'SELECT count(*) FROM identity.outbox')).rows).toHaveLength(1);
    expect(await runAs('strangler_identity', `SELECT nextval('identity.account_ids') >= 1000000000000 AS in_range`)).toEqual({ rows: [{ in_range: true }] });
  });

  test('the other contexts\' roles cannot read identity\'s accounts (the password hashes)', async () => {
    for (const role of ['strangler_profile', 'strangler_preferences']) {
      expect(await runAs(role, 'SELECT * FROM identity.accounts LIMIT 1')).toEqual({ code: PERMISSION_DENIED });
    }
  });

  test('the service\'s login role cannot read identity\'s accounts without SET ROLE (NOINHERIT)', async () => {
    expect(await runAs('strangler_user_service', 'SELECT * FROM identity.accounts LIMIT 1')).toEqual({ code: PERMISSION_DENIED });
  });
});

describe('identity.accounts', () => {
  const insert = (id: number, email: string, status: string) =>
    runAs('strangler_identity', `INSERT INTO identity.accounts VALUES ($1, $2, 'hash', $3, now(), NULL, 1, now())`, [id, email, status]);

  test('ids drawn here start at 10^12, far above any id legacy\'s bigserial has given out', async () => {
    const { rows } = await runAs('owner', `SELECT start_value, max_value FROM pg_sequences WHERE schemaname = 'identity' AND sequencename = 'account_ids'`);
    expect(rows).toEqual([{ start_value: '1000000000000', max_value: '9007199254740991' }]);
  });

  test.each(['unknown', 'A', 'Active', ''])('a status %p outside the lifecycle is never stored', async (status) => {
    expect(await insert(1, 'a@example.com', status)).toEqual({ code: '23514' });
  });

  test('an accepted row proves the insert above failed only on its status', async () => {
    expect(await insert(1, 'a@example.com', 'suspended')).toEqual({ rows: [] });
  });
});
