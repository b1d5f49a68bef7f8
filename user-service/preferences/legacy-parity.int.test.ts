import { startLegacyHarness, type LegacyHarness, type LegacyResponse } from '../../legacy/test/legacy-harness';
import { startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { signedUpSubject } from './preferences.test-fixtures';

// A client must not tell which backend answered: the same request against a fresh legacy user and fresh
// preferences gets the same status, media type and body, messages included. Only the id is normalised
// (each side has its own). Legacy stores en_US where the user-service stores en-US; both answer en-US.

let legacy: LegacyHarness;
let service: UserServiceHarness;
beforeAll(async () => {
  [legacy, service] = await Promise.all([startLegacyHarness(), startUserServiceHarness()]);
});
afterAll(async () => {
  await Promise.all([legacy?.stop(), service?.stop()]);
});

function comparable(response: LegacyResponse, id: number) {
  const body = response.body && typeof response.body === 'object' && response.body.id === id ? { ...response.body, id: '(the id)' } : response.body;
  return { status: response.status, contentType: response.contentType, body };
}

/** A new user on each side: legacy's row with no settings, the user-service's empty preferences. */
async function twins() {
  return { legacyId: await legacy.insertUser(), id: await signedUpSubject(service) };
}

type Request = { json?: unknown; body?: string; headers?: Record<string, string> };

async function bothAnswer(method: string, path: (id: number) => string, pair: { legacyId: number; id: number }, options: Request = {}) {
  const [old, renewed] = await Promise.all([
    legacy.request(method, path(pair.legacyId), options),
    service.request(method, path(pair.id), options),
  ]);
  expect(comparable(renewed, pair.id)).toEqual(comparable(old, pair.legacyId));
}

const preferencesOf = (id: number) => `/api/users/${id}/preferences`;

describe('the user-service answers preferences requests as legacy does', () => {
  test('GET of new preferences', async () => {
    await bothAnswer('GET', preferencesOf, await twins());
  });

  test.each(['987654321', 'x1', '0', '1e9', '9007199254740992'])('GET and PATCH of the id %p', async (raw) => {
    const none = { legacyId: 0, id: 0 };
    await bothAnswer('GET', () => `/api/users/${raw}/preferences`, none);
    await bothAnswer('PATCH', () => `/api/users/${raw}/preferences`, none, { json: { theme: 'dark' } });
  });

  test.each<[string, Request]>([
    ['every setting', { json: { locale: 'zh-hant-tw', timeZone: 'Asia/Taipei', marketingEmails: true, theme: 'dark' } }],
    ['a deprecated language tag', { json: { locale: 'iw-IL' } }],
    ['an M.49 region', { json: { locale: 'es-419' } }],
    ['zone links', { json: { timeZone: 'US/Eastern' } }],
    ['an empty change', { json: {} }],
    ['a POSIX locale', { json: { locale: 'en_US' } }],
    ['a locale with an extension', { json: { locale: 'en-US-u-ca-buddhist' } }],
    ['a locale over 10 characters', { json: { locale: 'yue-Hant-HK' } }],
    ['an invented zone', { json: { timeZone: 'Mars/Olympus_Mons' } }],
    ['an offset', { json: { timeZone: '+02:00' } }],
    ['a stored theme code', { json: { theme: 'SYS' } }],
    ['three broken rules', { json: { theme: 'x', timeZone: 'x', locale: 'x' } }],
    ['mistyped settings', { json: { marketingEmails: 'Y', theme: 1 } }],
    ['nulls', { json: { locale: null, timeZone: null, marketingEmails: null, theme: null } }],
    ['unknown fields', { json: { language: 'en' } }],
    ['a NUL character', { json: { timeZone: 'UTC\u0000' } }],
    ['an array', { json: [] }],
    ['no body', {}],
    ['malformed JSON', { body: '{"theme": "dark"', headers: { 'content-type': 'application/json' } }],
    ['another media type', { body: 'theme=dark', headers: { 'content-type': 'text/plain' } }],
    ['a body over 256 KiB', { json: { timeZone: 'x'.repeat(270_000) } }],
  ])('PATCH with %s', async (_, options) => {
    await bothAnswer('PATCH', preferencesOf, await twins(), options);
  });

  test('a sequence of changes reads back the same on both sides', async () => {
    const pair = await twins();
    for (const json of [{ locale: 'pt-br' }, { theme: 'light' }, { theme: 'light' }, { marketingEmails: false }, { timeZone: 'UTC', locale: 'sr-latn-rs' }]) {
      await bothAnswer('PATCH', preferencesOf, pair, { json });
      await bothAnswer('GET', preferencesOf, pair);
    }
  });
});
