import { startLegacyHarness, type LegacyHarness } from '../../../legacy/test/legacy-harness';
import { LegacyUsersNotEmptyError, seedLegacyUsers } from './seed-legacy-users';
import { seedPassword } from './password-pool';

let legacy: LegacyHarness;
beforeAll(async () => {
  legacy = await startLegacyHarness();
});
afterAll(async () => {
  await legacy?.stop();
});

const COUNT = 2_000;

async function rowsWithoutHashes(): Promise<unknown[]> {
  const { rows } = await legacy.pool.query('select * from public.users order by usr_id');
  return rows.map(({ pwd_hash: _hash, ...row }) => row);
}

async function countWhere(condition: string): Promise<number> {
  const { rows } = await legacy.pool.query<{ count: string }>(`select count(*) from public.users where ${condition}`);
  return Number(rows[0]?.count);
}

describe('seedLegacyUsers', () => {
  let firstRun: unknown[];

  test('inserts the requested users with ids 1..N and reports what it planted', async () => {
    const progress: number[] = [];
    const summary = await seedLegacyUsers({ pool: legacy.pool, count: COUNT, seed: 7, batchSize: 500, onProgress: (p) => progress.push(p.inserted) });
    expect(summary.inserted).toBe(COUNT);
    expect(progress).toEqual([500, 1000, 1500, 2000]);
    expect(Object.values(summary.statuses).reduce((sum, n) => sum + n, 0)).toBe(COUNT);
    const { rows } = await legacy.pool.query<{ min: string; max: string; count: string }>('select min(usr_id), max(usr_id), count(*) from public.users');
    expect(rows[0]).toEqual({ min: '1', max: String(COUNT), count: String(COUNT) });
    firstRun = await rowsWithoutHashes();
  });

  test('refuses to seed a table that already has users, and leaves it alone', async () => {
    await expect(seedLegacyUsers({ pool: legacy.pool, count: 10, seed: 8 })).rejects.toBeInstanceOf(LegacyUsersNotEmptyError);
    expect(await rowsWithoutHashes()).toEqual(firstRun);
  });

  test('reset with the same seed reproduces the same rows, bcrypt salts aside', async () => {
    await seedLegacyUsers({ pool: legacy.pool, count: COUNT, seed: 7, reset: true });
    expect(await rowsWithoutHashes()).toEqual(firstRun);
  });

  test('the legacy dirt is in the table: bad emails, untidy emails, unknown codes, blank locales, null preferences', async () => {
    expect(await countWhere(`email_addr !~ '^[^@ ]+@[^@ ]+$'`)).toBeGreaterThan(0);
    expect(await countWhere(`email_addr <> btrim(email_addr)`)).toBeGreaterThan(0);
    expect(await countWhere(`email_addr <> lower(email_addr)`)).toBeGreaterThan(0);
    expect(await countWhere(`acct_stat_cd not in ('A', 'S', 'C')`)).toBeGreaterThan(0);
    expect(await countWhere(`pref_lang is not null and btrim(pref_lang) = ''`)).toBeGreaterThan(0);
    expect(await countWhere(`pref_lang is null and pref_tz is null and theme_cd is null and email_optin_flg is null`)).toBeGreaterThan(0);
    expect(await countWhere(`acct_stat_cd = 'A'`)).toBeGreaterThan(COUNT * 0.8);
    expect(await countWhere(`acct_stat_cd = 'S'`)).toBeGreaterThan(0);
    expect(await countWhere(`acct_stat_cd = 'C'`)).toBeGreaterThan(0);
  });

  test('no two emails collide under the unique index rule', async () => {
    expect(await countWhere('true')).toBe(COUNT);
    const { rows } = await legacy.pool.query<{ count: string }>('select count(distinct lower(btrim(email_addr))) from public.users');
    expect(Number(rows[0]?.count)).toBe(COUNT);
  });

  test('large bios are stored out of line in the TOAST table', async () => {
    expect(await countWhere(`octet_length(bio_txt) between 3072 and 65536`)).toBeGreaterThan(0);
    const { rows } = await legacy.pool.query<{ toast_bytes: string }>(
      `select pg_relation_size(reltoastrelid) as toast_bytes from pg_class where oid = 'public.users'::regclass`,
    );
    expect(Number(rows[0]?.toast_bytes)).toBeGreaterThan(0);
  });

  test('a seeded active user logs in through the API with the documented pool password', async () => {
    const { rows } = await legacy.pool.query<{ usr_id: string; email_addr: string }>(
      `select usr_id, email_addr from public.users where acct_stat_cd = 'A' and usr_id > 16 order by usr_id limit 1`,
    );
    const user = rows[0]!;
    const password = seedPassword(Number(user.usr_id) - 1);
    const login = await legacy.request('POST', '/api/sessions', { json: { email: user.email_addr.trim(), password } });
    expect([login.status, login.body.userId]).toEqual([200, Number(user.usr_id)]);
    const wrong = await legacy.request('POST', '/api/sessions', { json: { email: user.email_addr.trim(), password: seedPassword(Number(user.usr_id)) } });
    expect(wrong.status).toBe(401);
  });

  test('every seeded row reads through the API without an internal error', async () => {
    for (const id of [1, 2, 3, 500, 1000, 1999, 2000]) {
      for (const resource of ['account', 'profile', 'preferences']) {
        expect((await legacy.request('GET', `/api/users/${id}/${resource}`)).status).toBe(200);
      }
    }
  });
});
