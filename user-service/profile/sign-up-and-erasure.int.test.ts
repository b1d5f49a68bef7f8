import { publishedEventCheck } from '../../schemas/events/event-schemas';
import { startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { storedPersona } from './profile.test-fixtures';

// Profile's part in the processes that span the contexts (registration/), driven through the public API.

let service: UserServiceHarness;
beforeAll(async () => {
  service = await startUserServiceHarness();
});
afterAll(async () => {
  await service?.stop();
});

let signUps = 0;
const signUp = (json: Record<string, unknown>) =>
  service.request('POST', '/api/users', { json: { email: `persona${++signUps}@example.com`, password: 'password-1', ...json } });

async function everything() {
  const counts = await service.admin.query(`SELECT (SELECT count(*) FROM identity.accounts) AS accounts,
    (SELECT count(*) FROM profile.profiles) AS profiles, (SELECT count(*) FROM preferences.preferences) AS preferences,
    (SELECT count(*) FROM identity.outbox) + (SELECT count(*) FROM profile.outbox) + (SELECT count(*) FROM preferences.outbox) AS events`);
  return counts.rows[0];
}

describe('POST /api/users starts the persona', () => {
  test.each([
    ['with the display name given', { displayName: 'Grace' }, 'Grace'],
    ['with no display name', {}, null],
    ['with a null display name', { displayName: null }, null],
    ['with a 100-emoji display name', { displayName: '😀'.repeat(100) }, '😀'.repeat(100)],
  ])('%s', async (_, json, displayName) => {
    service.now = new Date('2026-11-21T09:00:00.000Z');
    const created = await signUp(json);
    expect(created.status).toBe(201);
    const { id } = created.body;
    const profile = await service.request('GET', `/api/users/${id}/profile`);
    expect([profile.status, profile.headers.get('etag'), profile.body]).toEqual([
      200, '"1"', { id, displayName, bio: null, avatarUrl: null, updatedAt: '2026-11-21T09:00:00.000Z' },
    ]);
    const { events } = await storedPersona(service, id);
    expect(events.map((event) => [event.type, event.payload.version])).toEqual([['profile.ProfileCreated', 1]]);
    expect(publishedEventCheck()(events[0]!.payload)).toEqual([]);
  });

  test('a 101-character display name is 400 DISPLAY_NAME_TOO_LONG and nothing exists in any context', async () => {
    const before = await everything();
    const refused = await signUp({ displayName: 'n'.repeat(101) });
    expect([refused.status, refused.body.error.code]).toEqual([400, 'PROFILE.DISPLAY_NAME_TOO_LONG']);
    expect(await everything()).toEqual(before);
  });
});

describe('DELETE /api/users/:id erases the persona', () => {
  test('the profile is gone, with ProfileErased at the version after its last', async () => {
    const { id } = (await signUp({ displayName: 'Grace' })).body;
    await service.request('PATCH', `/api/users/${id}/profile`, { json: { bio: 'Admiral.' } });
    service.now = new Date('2026-11-25T00:00:00.000Z');
    expect((await service.request('DELETE', `/api/users/${id}`)).status).toBe(204);
    expect((await service.request('GET', `/api/users/${id}/profile`)).body.error.code).toBe('PROFILE.PROFILE_NOT_FOUND');
    const { row, events } = await storedPersona(service, id);
    expect(row).toBeUndefined();
    expect(events.map((event) => [event.type, event.payload.version])).toEqual([
      ['profile.ProfileCreated', 1], ['profile.ProfileUpdated', 2], ['profile.ProfileErased', 3],
    ]);
    expect(events[2]?.payload).toMatchObject({ occurredAt: '2026-11-25T00:00:00.000Z', data: { id } });
  });

  test('erasing again finds no account and records nothing more', async () => {
    const { id } = (await signUp({})).body;
    await service.request('DELETE', `/api/users/${id}`);
    const before = await everything();
    expect((await service.request('DELETE', `/api/users/${id}`)).status).toBe(404);
    expect(await everything()).toEqual(before);
  });
});
