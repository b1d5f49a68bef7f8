import { publishedEventCheck } from '../../schemas/events/event-schemas';
import { startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { storedPreferences } from './preferences.test-fixtures';

// Preferences' part in the processes that span the contexts (registration/), driven through the public API.

let service: UserServiceHarness;
beforeAll(async () => {
  service = await startUserServiceHarness();
});
afterAll(async () => {
  await service?.stop();
});

let signUps = 0;
const signUp = () =>
  service.request('POST', '/api/users', { json: { email: `subject${++signUps}@example.com`, password: 'password-1', displayName: 'Grace' } });

describe('POST /api/users starts empty preferences', () => {
  test('nothing chosen yet, version 1, PreferencesCreated on its schema', async () => {
    const { id } = (await signUp()).body;
    const preferences = await service.request('GET', `/api/users/${id}/preferences`);
    expect([preferences.status, preferences.headers.get('etag'), preferences.body]).toEqual([
      200, '"1"', { id, locale: null, timeZone: null, marketingEmails: null, theme: null },
    ]);
    const { events } = await storedPreferences(service, id);
    expect(events.map((event) => [event.type, event.payload.version])).toEqual([['preferences.PreferencesCreated', 1]]);
    expect(publishedEventCheck()(events[0]!.payload)).toEqual([]);
  });

  test('a refused sign-up leaves no preferences behind', async () => {
    const before = await service.admin.query('SELECT count(*) FROM preferences.preferences');
    const refused = await service.request('POST', '/api/users', { json: { email: 'subject-long@example.com', password: 'password-1', displayName: 'n'.repeat(101) } });
    expect(refused.status).toBe(400);
    expect((await service.admin.query('SELECT count(*) FROM preferences.preferences')).rows).toEqual(before.rows);
  });
});

describe('DELETE /api/users/:id erases the preferences', () => {
  test('they are gone, with PreferencesErased at the version after their last', async () => {
    const { id } = (await signUp()).body;
    await service.request('PATCH', `/api/users/${id}/preferences`, { json: { locale: 'de-de', theme: 'dark' } });
    expect((await service.request('DELETE', `/api/users/${id}`)).status).toBe(204);
    expect((await service.request('GET', `/api/users/${id}/preferences`)).body.error.code).toBe('PREFERENCES.PREFERENCES_NOT_FOUND');
    const { row, events } = await storedPreferences(service, id);
    expect(row).toBeUndefined();
    expect(events.map((event) => [event.type, event.payload.version, event.payload.data])).toEqual([
      ['preferences.PreferencesCreated', 1, { id, locale: null, timeZone: null, marketingEmails: null, theme: null }],
      ['preferences.PreferencesChanged', 2, { id, locale: 'de-DE', timeZone: null, marketingEmails: null, theme: 'dark' }],
      ['preferences.PreferencesErased', 3, { id }],
    ]);
  });
});
