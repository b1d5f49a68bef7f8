import { startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { PROFILE_ROLE } from '.';
import { signedUpPersona } from './profile.test-fixtures';

let service: UserServiceHarness;
beforeAll(async () => {
  service = await startUserServiceHarness();
});
afterAll(async () => {
  await service?.stop();
});


describe('the profile role reaches the profile schema and nothing else', () => {
  test.each(['preferences.preferences', 'preferences.outbox', 'identity.outbox'])('reading %s is refused with permission denied', async (table) => {
    await expect(service.asRole(PROFILE_ROLE, `SELECT * FROM ${table} LIMIT 1`)).rejects.toThrow(/permission denied/);
  });

  test('writing into another context is refused too', async () => {
    await expect(service.asRole(PROFILE_ROLE, `INSERT INTO preferences.preferences (id, version, updated_at) VALUES (1, 1, now())`)).rejects.toThrow(/permission denied/);
  });

  test('its own tables it may read and write', async () => {
    const id = await signedUpPersona(service);
    expect(await service.asRole(PROFILE_ROLE, 'UPDATE profile.profiles SET bio = $2 WHERE id = $1 RETURNING id', [id, 'x'])).toHaveLength(1);
    expect(await service.asRole(PROFILE_ROLE, 'SELECT count(*) FROM profile.outbox')).toHaveLength(1);
  });

  test("the service's login role reaches nothing without taking the context's role (NOINHERIT)", async () => {
    await expect(service.asRole('strangler_user_service', 'SELECT * FROM profile.profiles LIMIT 1')).rejects.toThrow(/permission denied/);
  });
});

describe('the table holds the rules even against a writer that bypasses the domain', () => {
  test.each([
    ['a 101-character display name', 'display_name', 'n'.repeat(101), /too long/],
    ['a 20001-character bio', 'bio', 'b'.repeat(20_001), /profiles_bio_length/],
    ['a non-http avatar', 'avatar_url', 'javascript:alert(1)', /profiles_avatar_url_http/],
  ])('%s is refused', async (_, column, value, error) => {
    const id = await signedUpPersona(service);
    await expect(service.asRole(PROFILE_ROLE, `UPDATE profile.profiles SET ${column} = $2 WHERE id = $1`, [id, value])).rejects.toThrow(error);
  });

  test('a 20000-character bio of astral characters and an upper-case HTTPS avatar pass', async () => {
    const id = await signedUpPersona(service);
    const updated = await service.asRole(PROFILE_ROLE, 'UPDATE profile.profiles SET bio = $2, avatar_url = $3 WHERE id = $1 RETURNING id', [
      id, '🧮'.repeat(20_000), 'HTTPS://EXAMPLE.COM/a.png',
    ]);
    expect(updated).toHaveLength(1);
  });
});
