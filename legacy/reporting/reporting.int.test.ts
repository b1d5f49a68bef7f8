import { startLegacyHarness, type LegacyHarness } from '../test/legacy-harness';

let legacy: LegacyHarness;
beforeAll(async () => {
  legacy = await startLegacyHarness();
});
afterAll(async () => {
  await legacy?.stop();
});

describe('GET /api/reports/users-by-status', () => {
  test('an empty table reports zeros', async () => {
    const response = await legacy.request('GET', '/api/reports/users-by-status');
    expect([response.status, response.body]).toEqual([200, { active: 0, suspended: 0, closed: 0 }]);
  });

  test('counts A, S and C straight from users; unknown legacy codes are in no bucket', async () => {
    for (const code of ['A', 'A', 'A', 'S', 'C', 'C', 'X', 'P']) await legacy.insertUser({ acct_stat_cd: code });
    const response = await legacy.request('GET', '/api/reports/users-by-status');
    expect(response.body).toEqual({ active: 3, suspended: 1, closed: 2 });
  });
});
