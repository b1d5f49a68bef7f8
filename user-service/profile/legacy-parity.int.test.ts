import { startLegacyHarness, type LegacyHarness, type LegacyResponse } from '../../legacy/test/legacy-harness';
import { startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { signedUpPersona } from './profile.test-fixtures';

// A client must not tell which backend answered: the same request against a fresh legacy user and a fresh
// persona gets the same status, media type and body, messages included. Only the id (each side has its
// own) and updatedAt (each side's clock) are normalised.

let legacy: LegacyHarness;
let service: UserServiceHarness;
beforeAll(async () => {
  [legacy, service] = await Promise.all([startLegacyHarness(), startUserServiceHarness()]);
});
afterAll(async () => {
  await Promise.all([legacy?.stop(), service?.stop()]);
});

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function comparable(response: LegacyResponse, id: number) {
  const body = response.body && typeof response.body === 'object' && 'id' in response.body
    ? { ...response.body, id: response.body.id === id ? '(the id)' : response.body.id, updatedAt: ISO_UTC.test(response.body.updatedAt) ? '(ISO UTC)' : response.body.updatedAt }
    : response.body;
  return { status: response.status, contentType: response.contentType, body };
}

/** One persona on each side, as a sign-up with this display name leaves it. */
async function twins(displayName: string | null = 'Ada') {
  return { legacyId: await legacy.insertUser({ disp_nm: displayName }), id: await signedUpPersona(service, displayName) };
}

type Request = { json?: unknown; body?: string; headers?: Record<string, string> };

async function bothAnswer(method: string, path: (id: number) => string, pair: { legacyId: number; id: number }, options: Request = {}) {
  const [old, renewed] = await Promise.all([
    legacy.request(method, path(pair.legacyId), options),
    service.request(method, path(pair.id), options),
  ]);
  expect(comparable(renewed, pair.id)).toEqual(comparable(old, pair.legacyId));
  return renewed;
}

const profileOf = (id: number) => `/api/users/${id}/profile`;

describe('the user-service answers profile requests as legacy does', () => {
  test('GET of a new persona, with and without a display name', async () => {
    await bothAnswer('GET', profileOf, await twins('Ada'));
    await bothAnswer('GET', profileOf, await twins(null));
  });

  test.each(['987654321', 'x1', '0', '1e9', '9007199254740992', '%E0%A4%A'])('GET and PATCH of the id %p', async (raw) => {
    const none = { legacyId: 0, id: 0 };
    await bothAnswer('GET', () => `/api/users/${raw}/profile`, none);
    await bothAnswer('PATCH', () => `/api/users/${raw}/profile`, none, { json: { bio: 'x' } });
  });

  test.each<[string, Request]>([
    ['a full change', { json: { displayName: 'Countess', bio: '数学者 🧮', avatarUrl: 'HTTPS://example.com/a.png' } }],
    ['clearing every field', { json: { displayName: null, bio: null, avatarUrl: null } }],
    ['an empty change', { json: {} }],
    ['the longest values', { json: { displayName: '😀'.repeat(100), bio: '字'.repeat(20_000), avatarUrl: `https://example.com/${'a'.repeat(480)}` } }],
    ['a 101-character display name', { json: { displayName: 'n'.repeat(101) } }],
    ['a 20001-character bio', { json: { bio: 'b'.repeat(20_001) } }],
    ['a non-http avatar', { json: { avatarUrl: 'ftp://example.com/a.png' } }],
    ['a forgiving avatar', { json: { avatarUrl: 'http:example.com' } }],
    ['a 501-character avatar', { json: { avatarUrl: `https://example.com/${'a'.repeat(481)}` } }],
    ['three broken rules', { json: { avatarUrl: 'x', bio: 'b'.repeat(20_001), displayName: 'n'.repeat(101) } }],
    ['mistyped fields', { json: { displayName: 42, bio: true, avatarUrl: [] } }],
    ['unknown fields', { json: { nickname: 'Ada', email: 'a@b.c' } }],
    ['a NUL character', { json: { bio: 'nul\u0000byte' } }],
    ['an array', { json: [] }],
    ['null', { json: null }],
    ['no body', {}],
    ['malformed JSON', { body: '{"bio": ', headers: { 'content-type': 'application/json' } }],
    ['another media type', { body: 'bio=x', headers: { 'content-type': 'text/plain' } }],
    ['a body over 256 KiB', { json: { bio: 'b'.repeat(270_000) } }],
  ])('PATCH with %s', async (_, options) => {
    await bothAnswer('PATCH', profileOf, await twins(), options);
  });

  test('a sequence of changes reads back the same on both sides', async () => {
    const pair = await twins(null);
    for (const json of [{ displayName: 'Ada' }, { bio: 'first' }, { bio: 'first' }, { avatarUrl: 'http://x.y/a' }, { displayName: null }]) {
      await bothAnswer('PATCH', profileOf, pair, { json });
      await bothAnswer('GET', profileOf, pair);
    }
  });
});
