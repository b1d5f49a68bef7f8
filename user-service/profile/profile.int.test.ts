import { publishedEventCheck } from '../../schemas/events/event-schemas';
import { expectFailure, startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { erasedPersona, signedUpPersona, storedPersona } from './profile.test-fixtures';

let service: UserServiceHarness;
beforeAll(async () => {
  service = await startUserServiceHarness();
});
afterAll(async () => {
  await service?.stop();
});
beforeEach(() => {
  service.now = new Date('2026-11-21T12:00:00.000Z');
});


const patch = (id: number | string, json: unknown, headers: Record<string, string> = {}) =>
  service.request('PATCH', `/api/users/${id}/profile`, { json, headers });

describe('GET /api/users/:id/profile', () => {
  test('answers the persona sign-up started, with its version as ETag', async () => {
    const id = await signedUpPersona(service, 'Ada');
    const response = await service.request('GET', `/api/users/${id}/profile`);
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"1"');
    expect(response.body).toEqual({ id, displayName: 'Ada', bio: null, avatarUrl: null, updatedAt: '2026-11-21T12:00:00.000Z' });
  });

  test('answers 404 PROFILE_NOT_FOUND for an unknown or erased id', async () => {
    expectFailure(await service.request('GET', '/api/users/987654321/profile'), 404, 'PROFILE.PROFILE_NOT_FOUND');
    const id = await signedUpPersona(service);
    await erasedPersona(service, id);
    expectFailure(await service.request('GET', `/api/users/${id}/profile`), 404, 'PROFILE.PROFILE_NOT_FOUND');
  });

  test.each(['x1', '0', '-1', '1e9', '1.5', '9007199254740992', '%E0%A4%A'])('answers 400 INVALID_ID for the id %p', async (raw) => {
    expectFailure(await service.request('GET', `/api/users/${raw}/profile`), 400, 'REQUEST.INVALID_ID');
  });
});

describe('PATCH /api/users/:id/profile', () => {
  test('sets the named fields, leaves the others, moves updatedAt and the ETag, and records ProfileUpdated', async () => {
    const id = await signedUpPersona(service, 'Ada');
    service.now = new Date('2026-11-22T08:00:00.000Z');
    const response = await patch(id, { bio: '数学者 🧮', avatarUrl: 'https://example.com/ada.png' });
    const persona = { id, displayName: 'Ada', bio: '数学者 🧮', avatarUrl: 'https://example.com/ada.png', updatedAt: '2026-11-22T08:00:00.000Z' };
    expect([response.status, response.headers.get('etag'), response.body]).toEqual([200, '"2"', persona]);
    expect((await service.request('GET', `/api/users/${id}/profile`)).body).toEqual(persona);
    const { row, events } = await storedPersona(service, id);
    expect(row).toMatchObject({ display_name: 'Ada', bio: '数学者 🧮', avatar_url: 'https://example.com/ada.png', version: 2 });
    expect(events.map((event) => [event.type, event.payload.version, event.payload.data])).toEqual([
      ['profile.ProfileCreated', 1, { ...persona, bio: null, avatarUrl: null, updatedAt: '2026-11-21T12:00:00.000Z' }],
      ['profile.ProfileUpdated', 2, persona],
    ]);
  });

  test('null clears a field', async () => {
    const id = await signedUpPersona(service, 'Ada');
    await patch(id, { bio: 'Analyst.' });
    const response = await patch(id, { displayName: null, bio: null, avatarUrl: null });
    expect([response.status, response.body]).toEqual([200, expect.objectContaining({ displayName: null, bio: null, avatarUrl: null })]);
    expect((await storedPersona(service, id)).row).toMatchObject({ display_name: null, bio: null, avatar_url: null, version: 3 });
  });

  test('takes a 20000-character bio of astral characters and a 100-emoji display name', async () => {
    const id = await signedUpPersona(service);
    const bio = '🧮'.repeat(20_000);
    const response = await patch(id, { bio, displayName: '😀'.repeat(100) });
    expect(response.status).toBe(200);
    expect((await storedPersona(service, id)).row?.bio).toBe(bio);
  });

  test.each([
    ['an empty body object', {}],
    ['the current values', { displayName: 'Ada', bio: null }],
  ])('%s is a no-op: 200 with the current state, the same ETag, no write, no event', async (_, json) => {
    const id = await signedUpPersona(service, 'Ada');
    const before = await storedPersona(service, id);
    service.now = new Date('2026-11-23T00:00:00.000Z');
    const response = await patch(id, json, { 'if-match': '"1"' });
    expect([response.status, response.headers.get('etag'), response.body.updatedAt]).toEqual([200, '"1"', '2026-11-21T12:00:00.000Z']);
    expect(await storedPersona(service, id)).toEqual(before);
  });

  test.each([
    ['a 101-character display name', { displayName: 'n'.repeat(101) }, 400, 'PROFILE.DISPLAY_NAME_TOO_LONG'],
    ['a 20001-character bio', { bio: 'b'.repeat(20_001) }, 400, 'PROFILE.BIO_TOO_LONG'],
    ['a non-http avatar URL', { avatarUrl: 'ftp://example.com/a.png' }, 400, 'PROFILE.INVALID_AVATAR_URL'],
    ['an avatar URL WHATWG parsing would forgive', { avatarUrl: 'http:example.com/a.png' }, 400, 'PROFILE.INVALID_AVATAR_URL'],
    ['an avatar URL with no valid host', { avatarUrl: 'https://exa%mple.com/' }, 400, 'PROFILE.INVALID_AVATAR_URL'],
    ['an avatar URL over 500 characters', { avatarUrl: `https://example.com/${'a'.repeat(481)}` }, 400, 'PROFILE.INVALID_AVATAR_URL'],
    ['a valid field beside an invalid one', { displayName: 'Fine', avatarUrl: 'not a url' }, 400, 'PROFILE.INVALID_AVATAR_URL'],
    ['two broken rules, legacy naming the first', { avatarUrl: 'x', displayName: 'n'.repeat(101) }, 400, 'PROFILE.DISPLAY_NAME_TOO_LONG'],
    ['a mistyped display name', { displayName: 42 }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown field', { nickname: 'Ada' }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a NUL character', { bio: 'nul\u0000byte' }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['an array for a body', [{ bio: 'x' }], 400, 'REQUEST.VALIDATION_FAILED'],
    ['a JSON string for a body', 'bio', 400, 'REQUEST.VALIDATION_FAILED'],
    ['null for a body', null, 400, 'REQUEST.VALIDATION_FAILED'],
  ])('refuses %s, changing nothing', async (_, json, status, code) => {
    const id = await signedUpPersona(service);
    const before = await storedPersona(service, id);
    expectFailure(await patch(id, json), status, code);
    expect(await storedPersona(service, id)).toEqual(before);
  });

  test.each([
    ['no body at all', {}, 400, 'REQUEST.VALIDATION_FAILED'],
    ['malformed JSON', { body: '{"bio": ', headers: { 'content-type': 'application/json' } }, 400, 'REQUEST.MALFORMED_JSON'],
    ['a body of another media type', { body: 'bio=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE'],
    ['a body with no media type', { body: '{"bio":"x"}' }, 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE'],
    ['a body over 256 KiB', { json: { bio: 'b'.repeat(270_000) } }, 413, 'REQUEST.PAYLOAD_TOO_LARGE'],
  ])('refuses %s, changing nothing', async (_, options, status, code) => {
    const id = await signedUpPersona(service);
    const before = await storedPersona(service, id);
    expectFailure(await service.request('PATCH', `/api/users/${id}/profile`, options), status, code);
    expect(await storedPersona(service, id)).toEqual(before);
  });

  test('checks in legacy order: body, then id, then shape, then rules, then the profile', async () => {
    expectFailure(await service.request('PATCH', '/api/users/x/profile', { body: '{', headers: { 'content-type': 'application/json' } }), 400, 'REQUEST.MALFORMED_JSON');
    expectFailure(await patch('x', { nickname: 'Ada' }), 400, 'REQUEST.INVALID_ID');
    expectFailure(await patch(987654321, { bio: 5 }), 400, 'REQUEST.VALIDATION_FAILED');
    expectFailure(await patch(987654321, { bio: 'b'.repeat(20_001) }), 400, 'PROFILE.BIO_TOO_LONG');
    expectFailure(await patch(987654321, { bio: 'x' }), 404, 'PROFILE.PROFILE_NOT_FOUND');
    expectFailure(await patch(987654321, {}), 404, 'PROFILE.PROFILE_NOT_FOUND');
  });
});

describe('If-Match on PATCH', () => {
  test('a stale ETag gets 412 and changes nothing; the current one succeeds', async () => {
    const id = await signedUpPersona(service);
    expect((await patch(id, { bio: 'first' })).headers.get('etag')).toBe('"2"');
    const before = await storedPersona(service, id);
    expectFailure(await patch(id, { bio: 'lost update' }, { 'if-match': '"1"' }), 412, 'REQUEST.PRECONDITION_FAILED');
    expect(await storedPersona(service, id)).toEqual(before);
    const response = await patch(id, { bio: 'second' }, { 'if-match': '"2"' });
    expect([response.status, response.headers.get('etag'), response.body.bio]).toEqual([200, '"3"', 'second']);
  });

  test.each([
    ['a list naming the current version', '"7", "1"', 200],
    ['*', '*', 200],
    ['a weak tag of the current version', 'W/"1"', 412],
    ['an unquoted version', '1', 412],
  ])('%s: %p answers %p', async (_, ifMatch, status) => {
    const id = await signedUpPersona(service);
    expect((await patch(id, { bio: 'x' }, { 'if-match': ifMatch })).status).toBe(status);
  });

  test('a stale ETag on a no-op still gets 412: the client based its request on a state that is gone', async () => {
    const id = await signedUpPersona(service);
    await patch(id, { bio: 'first' });
    expectFailure(await patch(id, {}, { 'if-match': '"1"' }), 412, 'REQUEST.PRECONDITION_FAILED');
  });

  test('an unknown id is 404 whatever If-Match says, as legacy (which ignores If-Match) answers', async () => {
    expectFailure(await patch(987654321, { bio: 'x' }, { 'if-match': '"1"' }), 404, 'PROFILE.PROFILE_NOT_FOUND');
  });

  test('of two concurrent writes on the same ETag exactly one wins: the row is locked before the check', async () => {
    const id = await signedUpPersona(service);
    const responses = await Promise.all(['a', 'b', 'c', 'd'].map((bio) => patch(id, { bio }, { 'if-match': '"1"' })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 412, 412, 412]);
    const { row, events } = await storedPersona(service, id);
    expect([row?.version, events.length]).toEqual([2, 2]);
  });
});

describe('the events of a whole life, as the outbox holds them', () => {
  test('created, updated, cleared, erased: one event per version, each on its published schema', async () => {
    const checkEvent = publishedEventCheck();
    const id = await signedUpPersona(service, null);
    service.now = new Date('2026-11-22T00:00:00.000Z');
    await patch(id, { displayName: 'Ada', avatarUrl: 'http://example.com/a.png' });
    await patch(id, {});
    await patch(id, { displayName: 'Ada' });
    service.now = new Date('2026-11-23T00:00:00.000Z');
    await patch(id, { avatarUrl: null, bio: '🧮'.repeat(20_000) });
    service.now = new Date('2026-11-24T00:00:00.000Z');
    await erasedPersona(service, id);
    await erasedPersona(service, id);

    const { row, events } = await storedPersona(service, id);
    expect(row).toBeUndefined();
    expect(events.map((event) => [event.type, event.payload.version, event.payload.occurredAt])).toEqual([
      ['profile.ProfileCreated', 1, '2026-11-21T12:00:00.000Z'],
      ['profile.ProfileUpdated', 2, '2026-11-22T00:00:00.000Z'],
      ['profile.ProfileUpdated', 3, '2026-11-23T00:00:00.000Z'],
      ['profile.ProfileErased', 4, '2026-11-24T00:00:00.000Z'],
    ]);
    for (const event of events) {
      expect(checkEvent(event.payload)).toEqual([]);
      expect([event.aggregatetype, event.type, event.payload.aggregateId]).toEqual(['profile', event.payload.type, id]);
    }
    expect(events[3]?.payload.data).toEqual({ id });
    expect(new Set(events.map((event) => event.payload.eventId)).size).toBe(4);
  });
});

describe('operations', () => {
  test('requests count under the profile context, by route pattern', async () => {
    const id = await signedUpPersona(service);
    await service.request('GET', `/api/users/${id}/profile`);
    const metrics = await service.registry.getSingleMetricAsString('user_service_http_requests_total');
    expect(metrics).toContain('context="profile",route="/api/users/:id/profile",method="GET",status="200"');
    expect(metrics).not.toContain(String(id));
  });

  test('no log line carries what a persona says', async () => {
    const id = await signedUpPersona(service);
    await patch(id, { displayName: 'Secret Name 4711', bio: 'secret bio 4711' });
    await patch(id, { bio: 'b'.repeat(20_001) + 'secret 4711' });
    expect(service.logLines.filter((line) => line.includes('4711'))).toEqual([]);
  });
});
