import { publishedEventCheck } from '../../schemas/events/event-schemas';
import { expectFailure, startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { erasedSubject, signedUpSubject, storedPreferences } from './preferences.test-fixtures';

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
  service.request('PATCH', `/api/users/${id}/preferences`, { json, headers });

const SETTLED = { locale: 'pt-BR', timeZone: 'America/Sao_Paulo', marketingEmails: false, theme: 'system' };

/** A subject who has made every setting (version 2). */
async function settledSubject(): Promise<number> {
  const id = await signedUpSubject(service);
  expect((await patch(id, SETTLED)).status).toBe(200);
  return id;
}

describe('GET /api/users/:id/preferences', () => {
  test('new preferences are empty, like a new legacy row, with ETag "1"', async () => {
    const id = await signedUpSubject(service);
    const response = await service.request('GET', `/api/users/${id}/preferences`);
    expect([response.status, response.headers.get('etag')]).toEqual([200, '"1"']);
    expect(response.body).toEqual({ id, locale: null, timeZone: null, marketingEmails: null, theme: null });
  });

  test('answers 404 PREFERENCES_NOT_FOUND for an unknown or erased id', async () => {
    expectFailure(await service.request('GET', '/api/users/987654321/preferences'), 404, 'PREFERENCES.PREFERENCES_NOT_FOUND');
    const id = await signedUpSubject(service);
    await erasedSubject(service, id);
    expectFailure(await service.request('GET', `/api/users/${id}/preferences`), 404, 'PREFERENCES.PREFERENCES_NOT_FOUND');
  });

  test.each(['x1', '0', '1e9', '9007199254740992'])('answers 400 INVALID_ID for the id %p', async (raw) => {
    expectFailure(await service.request('GET', `/api/users/${raw}/preferences`), 400, 'REQUEST.INVALID_ID');
  });
});

describe('PATCH /api/users/:id/preferences', () => {
  test('stores the canonical locale, the zone as sent, the flag and the theme, and records PreferencesChanged', async () => {
    const id = await signedUpSubject(service);
    const response = await patch(id, { locale: 'zh-hant-tw', timeZone: 'US/Eastern', marketingEmails: true, theme: 'dark' });
    const state = { id, locale: 'zh-Hant-TW', timeZone: 'US/Eastern', marketingEmails: true, theme: 'dark' };
    expect([response.status, response.headers.get('etag'), response.body]).toEqual([200, '"2"', state]);
    expect((await service.request('GET', `/api/users/${id}/preferences`)).body).toEqual(state);
    const { row, events } = await storedPreferences(service, id);
    expect(row).toMatchObject({ locale: 'zh-Hant-TW', time_zone: 'US/Eastern', marketing_emails: true, theme: 'dark', version: 2 });
    expect(events.map((event) => [event.type, event.payload.version, event.payload.data])).toEqual([
      ['preferences.PreferencesCreated', 1, { id, locale: null, timeZone: null, marketingEmails: null, theme: null }],
      ['preferences.PreferencesChanged', 2, state],
    ]);
  });

  test('changes only the named setting', async () => {
    const id = await settledSubject();
    const response = await patch(id, { theme: 'light' });
    expect([response.headers.get('etag'), response.body]).toEqual(['"3"', { id, ...SETTLED, theme: 'light' }]);
  });

  test.each(['UTC', 'US/Eastern', 'Asia/Kolkata', 'Etc/GMT+5'])('accepts the IANA name %p, links included, stored as sent', async (timeZone) => {
    const id = await signedUpSubject(service);
    const response = await patch(id, { timeZone });
    expect([response.status, response.body.timeZone]).toEqual([200, timeZone]);
  });

  test.each([
    ['an empty body object', {}],
    ['the current values', SETTLED],
    ['a locale that canonicalises to the current one', { locale: 'PT-br' }],
  ])('%s is a no-op: 200 with the current state, the same ETag, no write, no event', async (_, json) => {
    const id = await settledSubject();
    const before = await storedPreferences(service, id);
    service.now = new Date('2026-11-23T00:00:00.000Z');
    const response = await patch(id, json, { 'if-match': '"2"' });
    expect([response.status, response.headers.get('etag'), response.body]).toEqual([200, '"2"', { id, ...SETTLED }]);
    expect(await storedPreferences(service, id)).toEqual(before);
  });

  test.each([
    ['a POSIX locale', { locale: 'en_US' }, 'PREFERENCES.INVALID_LOCALE'],
    ['a locale with an extension the legacy column cannot hold', { locale: 'en-US-u-ca-buddhist' }, 'PREFERENCES.INVALID_LOCALE'],
    ['a locale over 10 characters', { locale: 'yue-Hant-HK' }, 'PREFERENCES.INVALID_LOCALE'],
    ['an invented time zone', { timeZone: 'Mars/Olympus_Mons' }, 'PREFERENCES.INVALID_TIME_ZONE'],
    ['an offset instead of a zone', { timeZone: '+02:00' }, 'PREFERENCES.INVALID_TIME_ZONE'],
    ['an unknown theme', { theme: 'sepia' }, 'PREFERENCES.INVALID_THEME'],
    ['a stored theme code instead of the API value', { theme: 'SYS' }, 'PREFERENCES.INVALID_THEME'],
    ['a valid theme beside an invalid locale', { theme: 'dark', locale: 'nope_NOPE' }, 'PREFERENCES.INVALID_LOCALE'],
    ['three broken rules, legacy naming the first', { theme: 'x', timeZone: 'x', locale: 'x' }, 'PREFERENCES.INVALID_LOCALE'],
    ['a string for marketingEmails', { marketingEmails: 'Y' }, 'REQUEST.VALIDATION_FAILED'],
    ['null for the locale', { locale: null }, 'REQUEST.VALIDATION_FAILED'],
    ['null for marketingEmails', { marketingEmails: null }, 'REQUEST.VALIDATION_FAILED'],
    ['a number for the theme', { theme: 1 }, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown field', { language: 'en' }, 'REQUEST.VALIDATION_FAILED'],
    ['a NUL character', { timeZone: 'UTC\u0000' }, 'REQUEST.VALIDATION_FAILED'],
    ['an array for a body', [], 'REQUEST.VALIDATION_FAILED'],
    ['null for a body', null, 'REQUEST.VALIDATION_FAILED'],
  ])('refuses %s with 400, changing nothing', async (_, json, code) => {
    const id = await settledSubject();
    const before = await storedPreferences(service, id);
    expectFailure(await patch(id, json), 400, code);
    expect(await storedPreferences(service, id)).toEqual(before);
  });

  test.each([
    ['no body at all', {}, 400, 'REQUEST.VALIDATION_FAILED'],
    ['malformed JSON', { body: '{"theme": "dark"', headers: { 'content-type': 'application/json' } }, 400, 'REQUEST.MALFORMED_JSON'],
    ['a body of another media type', { body: 'theme=dark', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE'],
    ['a body over 256 KiB', { json: { timeZone: 'x'.repeat(270_000) } }, 413, 'REQUEST.PAYLOAD_TOO_LARGE'],
  ])('refuses %s, changing nothing', async (_, options, status, code) => {
    const id = await settledSubject();
    const before = await storedPreferences(service, id);
    expectFailure(await service.request('PATCH', `/api/users/${id}/preferences`, options), status, code);
    expect(await storedPreferences(service, id)).toEqual(before);
  });

  test('checks in legacy order: body, then id, then shape, then rules, then the preferences', async () => {
    expectFailure(await service.request('PATCH', '/api/users/x/preferences', { body: '{', headers: { 'content-type': 'application/json' } }), 400, 'REQUEST.MALFORMED_JSON');
    expectFailure(await patch('x', { language: 'en' }), 400, 'REQUEST.INVALID_ID');
    expectFailure(await patch(987654321, { theme: null }), 400, 'REQUEST.VALIDATION_FAILED');
    expectFailure(await patch(987654321, { theme: 'sepia' }), 400, 'PREFERENCES.INVALID_THEME');
    expectFailure(await patch(987654321, { theme: 'dark' }), 404, 'PREFERENCES.PREFERENCES_NOT_FOUND');
    expectFailure(await patch(987654321, {}), 404, 'PREFERENCES.PREFERENCES_NOT_FOUND');
  });
});

describe('If-Match on PATCH', () => {
  test('a stale ETag gets 412 and changes nothing; the current one succeeds', async () => {
    const id = await settledSubject();
    const before = await storedPreferences(service, id);
    expectFailure(await patch(id, { theme: 'dark' }, { 'if-match': '"1"' }), 412, 'REQUEST.PRECONDITION_FAILED');
    expect(await storedPreferences(service, id)).toEqual(before);
    const response = await patch(id, { theme: 'dark' }, { 'if-match': '"2"' });
    expect([response.status, response.headers.get('etag'), response.body.theme]).toEqual([200, '"3"', 'dark']);
  });

  test.each([
    ['a list naming the current version', '"9", "2"', 200],
    ['*', '*', 200],
    ['a weak tag of the current version', 'W/"2"', 412],
  ])('%s: %p answers %p', async (_, ifMatch, status) => {
    const id = await settledSubject();
    expect((await patch(id, { theme: 'dark' }, { 'if-match': ifMatch })).status).toBe(status);
  });

  test('an unknown id is 404 whatever If-Match says, as legacy (which ignores If-Match) answers', async () => {
    expectFailure(await patch(987654321, { theme: 'dark' }, { 'if-match': '"1"' }), 404, 'PREFERENCES.PREFERENCES_NOT_FOUND');
  });

  test('of concurrent writes on the same ETag exactly one wins: the row is locked before the check', async () => {
    const id = await signedUpSubject(service);
    const responses = await Promise.all(['light', 'dark', 'system'].map((theme) => patch(id, { theme }, { 'if-match': '"1"' })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 412, 412]);
    const { row, events } = await storedPreferences(service, id);
    expect([row?.version, events.length]).toEqual([2, 2]);
  });
});

describe('the events of a whole life, as the outbox holds them', () => {
  test('created, changed, erased: one event per version, each on its published schema', async () => {
    const checkEvent = publishedEventCheck();
    const id = await signedUpSubject(service);
    service.now = new Date('2026-11-22T00:00:00.000Z');
    await patch(id, { locale: 'en-us', marketingEmails: false });
    await patch(id, {});
    await patch(id, { locale: 'en-US' });
    service.now = new Date('2026-11-23T00:00:00.000Z');
    await patch(id, { timeZone: 'Europe/Berlin', theme: 'system', marketingEmails: true });
    service.now = new Date('2026-11-24T00:00:00.000Z');
    await erasedSubject(service, id);
    await erasedSubject(service, id);

    const { row, events } = await storedPreferences(service, id);
    expect(row).toBeUndefined();
    expect(events.map((event) => [event.type, event.payload.version, event.payload.occurredAt])).toEqual([
      ['preferences.PreferencesCreated', 1, '2026-11-21T12:00:00.000Z'],
      ['preferences.PreferencesChanged', 2, '2026-11-22T00:00:00.000Z'],
      ['preferences.PreferencesChanged', 3, '2026-11-23T00:00:00.000Z'],
      ['preferences.PreferencesErased', 4, '2026-11-24T00:00:00.000Z'],
    ]);
    expect(events[2]?.payload.data).toEqual({ id, locale: 'en-US', timeZone: 'Europe/Berlin', marketingEmails: true, theme: 'system' });
    for (const event of events) {
      expect(checkEvent(event.payload)).toEqual([]);
      expect([event.aggregatetype, event.type, event.payload.aggregateId]).toEqual(['preferences', event.payload.type, id]);
    }
  });
});

describe('operations', () => {
  test('requests count under the preferences context, by route pattern', async () => {
    const id = await signedUpSubject(service);
    await patch(id, { theme: 'dark' });
    const metrics = await service.registry.getSingleMetricAsString('user_service_http_requests_total');
    expect(metrics).toContain('context="preferences",route="/api/users/:id/preferences",method="PATCH",status="200"');
  });
});
