import { startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { PREFERENCES_ROLE } from '.';
import { signedUpSubject } from './preferences.test-fixtures';

let service: UserServiceHarness;
beforeAll(async () => {
  service = await startUserServiceHarness();
});
afterAll(async () => {
  await service?.stop();
});


describe('the preferences role reaches the preferences schema and nothing else', () => {
  test.each(['profile.profiles', 'profile.outbox', 'identity.outbox'])('reading %s is refused with permission denied', async (table) => {
    await expect(service.asRole(PREFERENCES_ROLE, `SELECT * FROM ${table} LIMIT 1`)).rejects.toThrow(/permission denied/);
  });

  test('writing into another context is refused too', async () => {
    await expect(service.asRole(PREFERENCES_ROLE, `DELETE FROM profile.profiles`)).rejects.toThrow(/permission denied/);
  });

  test('its own tables it may read and write', async () => {
    const id = await signedUpSubject(service);
    expect(await service.asRole(PREFERENCES_ROLE, `UPDATE preferences.preferences SET theme = 'dark' WHERE id = $1 RETURNING id`, [id])).toHaveLength(1);
    expect(await service.asRole(PREFERENCES_ROLE, 'SELECT count(*) FROM preferences.outbox')).toHaveLength(1);
  });

  test("the service's login role reaches nothing without taking the context's role (NOINHERIT)", async () => {
    await expect(service.asRole('strangler_user_service', 'SELECT * FROM preferences.preferences LIMIT 1')).rejects.toThrow(/permission denied/);
  });
});

describe('the table holds the rules even against a writer that bypasses the domain', () => {
  test.each([
    ['an unknown theme', 'theme', 'SYS', /preferences_theme_known/],
    ['a locale legacy could not hold', 'locale', 'yue-Hant-HK', /too long/],
    ['a zone name over 64 characters', 'time_zone', 'x'.repeat(65), /too long/],
  ])('%s is refused', async (_, column, value, error) => {
    const id = await signedUpSubject(service);
    await expect(service.asRole(PREFERENCES_ROLE, `UPDATE preferences.preferences SET ${column} = $2 WHERE id = $1`, [id, value])).rejects.toThrow(error);
  });
});
