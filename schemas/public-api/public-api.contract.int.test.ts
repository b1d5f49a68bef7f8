// The public API is one contract with two implementations: the same sequence of requests goes to the
// monolith and to the user-service (each on its own fresh database) and both must answer alike, apart
// from the normalisations listed in `normalise` (and in the README). If this fails, a client could tell
// which backend answered, and the proxy could not move traffic between them unnoticed.
import { startLegacyHarness, type LegacyHarness } from '../../legacy/test/legacy-harness';
import { startUserServiceHarness, type UserServiceHarness } from '../../user-service/test/user-service-harness';

interface Step {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** `{user}` is replaced by the id the first sign-up returned on that backend. */
  path: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  contentType: string | null;
  body: unknown;
}

const password = 'correct horse battery';
const signUp = { email: 'Ada.Lovelace@Example.com', password, displayName: 'Ada' };

const steps: Step[] = [
  { name: 'sign up', method: 'POST', path: '/api/users', json: signUp },
  { name: 'sign up again with the same email in other case', method: 'POST', path: '/api/users', json: { ...signUp, email: ' ada.lovelace@example.com' } },
  { name: 'sign up with an invalid email', method: 'POST', path: '/api/users', json: { email: 'ada@@example.com', password } },
  { name: 'sign up with a weak password', method: 'POST', path: '/api/users', json: { email: 'grace@example.com', password: 'short' } },
  { name: 'sign up with an unknown field', method: 'POST', path: '/api/users', json: { email: 'grace@example.com', password, admin: true } },
  { name: 'sign up with a missing field', method: 'POST', path: '/api/users', json: { email: 'grace@example.com' } },
  { name: 'sign up with malformed JSON', method: 'POST', path: '/api/users', body: '{"email": ', headers: { 'content-type': 'application/json' } },
  { name: 'sign up as a form', method: 'POST', path: '/api/users', body: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { name: 'sign up with an oversized body', method: 'POST', path: '/api/users', json: { email: 'grace@example.com', password, displayName: 'x'.repeat(300_000) } },
  { name: 'sign up with a display name too long', method: 'POST', path: '/api/users', json: { email: 'grace@example.com', password, displayName: 'x'.repeat(101) } },
  { name: 'sign up for a taken email with a display name too long', method: 'POST', path: '/api/users', json: { ...signUp, displayName: 'x'.repeat(101) } },
  { name: 'sign in', method: 'POST', path: '/api/sessions', json: { email: 'ada.lovelace@example.com', password } },
  { name: 'sign in with a wrong password', method: 'POST', path: '/api/sessions', json: { email: 'ada.lovelace@example.com', password: 'wrong password!' } },
  { name: 'sign in with an unknown email', method: 'POST', path: '/api/sessions', json: { email: 'nobody@example.com', password } },
  { name: 'read the account', method: 'GET', path: '/api/users/{user}/account' },
  { name: 'change the email', method: 'PATCH', path: '/api/users/{user}/account', json: { email: 'ada@example.org' } },
  { name: 'change the email to an invalid one', method: 'PATCH', path: '/api/users/{user}/account', json: { email: 'not an email' } },
  { name: 'set an unknown status', method: 'PATCH', path: '/api/users/{user}/account', json: { status: 'banned' } },
  { name: 'suspend', method: 'PATCH', path: '/api/users/{user}/account', json: { status: 'suspended' } },
  { name: 'sign in while suspended', method: 'POST', path: '/api/sessions', json: { email: 'ada@example.org', password } },
  { name: 'reactivate', method: 'PATCH', path: '/api/users/{user}/account', json: { status: 'active' } },
  { name: 'empty account patch', method: 'PATCH', path: '/api/users/{user}/account', json: {} },
  { name: 'read the profile', method: 'GET', path: '/api/users/{user}/profile' },
  { name: 'change the profile', method: 'PATCH', path: '/api/users/{user}/profile', json: { bio: 'First programmer.', avatarUrl: 'https://example.com/ada.png' } },
  { name: 'clear the display name', method: 'PATCH', path: '/api/users/{user}/profile', json: { displayName: null } },
  { name: 'set an avatar that is not a URL', method: 'PATCH', path: '/api/users/{user}/profile', json: { avatarUrl: 'ftp://example.com/a.png' } },
  { name: 'set a bio too long', method: 'PATCH', path: '/api/users/{user}/profile', json: { bio: 'b'.repeat(20_001) } },
  { name: 'read the preferences of a new user', method: 'GET', path: '/api/users/{user}/preferences' },
  { name: 'change the preferences', method: 'PATCH', path: '/api/users/{user}/preferences', json: { locale: 'en-GB', timeZone: 'Europe/London', marketingEmails: true, theme: 'dark' } },
  { name: 'set an invalid locale', method: 'PATCH', path: '/api/users/{user}/preferences', json: { locale: 'english please' } },
  { name: 'set an unknown time zone', method: 'PATCH', path: '/api/users/{user}/preferences', json: { timeZone: 'Mars/Olympus_Mons' } },
  { name: 'set an unknown theme', method: 'PATCH', path: '/api/users/{user}/preferences', json: { theme: 'neon' } },
  { name: 'set marketing emails to a string', method: 'PATCH', path: '/api/users/{user}/preferences', json: { marketingEmails: 'yes' } },
  { name: 'read the preferences', method: 'GET', path: '/api/users/{user}/preferences' },
  { name: 'read an unknown account', method: 'GET', path: '/api/users/999999999/account' },
  { name: 'read an unknown profile', method: 'GET', path: '/api/users/999999999/profile' },
  { name: 'read unknown preferences', method: 'GET', path: '/api/users/999999999/preferences' },
  { name: 'read with an id that is not a number', method: 'GET', path: '/api/users/abc/account' },
  { name: 'close the account', method: 'PATCH', path: '/api/users/{user}/account', json: { status: 'closed' } },
  { name: 'reopen a closed account', method: 'PATCH', path: '/api/users/{user}/account', json: { status: 'active' } },
  { name: 'erase the user', method: 'DELETE', path: '/api/users/{user}' },
  { name: 'read the erased account', method: 'GET', path: '/api/users/{user}/account' },
  { name: 'read the erased profile', method: 'GET', path: '/api/users/{user}/profile' },
  { name: 'read the erased preferences', method: 'GET', path: '/api/users/{user}/preferences' },
  { name: 'erase the user again', method: 'DELETE', path: '/api/users/{user}' },
  { name: 'an unknown route', method: 'GET', path: '/api/nothing-here' },
];

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/**
 * The documented differences, and nothing else: ids (each side allocates its own: legacy's sequence,
 * the user-service's range from 10^12), timestamps (each side's clock; only their format must agree),
 * emails (the user-service stores them normalised: trimmed and lower-cased) and error messages (the
 * stable code is the contract, the wording is not).
 */
function normalise(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => normalise(item));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, normalise(v, k)] as const);
    return Object.fromEntries(entries);
  }
  if ((key === 'id' || key === 'userId') && typeof value === 'number') return '<id>';
  if (typeof value === 'string' && ISO_UTC.test(value)) return '<timestamp>';
  if (key === 'email' && typeof value === 'string') return value.trim().toLowerCase();
  if (key === 'message' && typeof value === 'string') return '<message>';
  return value;
}

async function play(request: LegacyHarness['request']): Promise<Answer[]> {
  const answers: Answer[] = [];
  let user: number | undefined;
  for (const step of steps) {
    const path = step.path.replace('{user}', String(user));
    const response = await request(step.method, path, {
      ...(step.json !== undefined ? { json: step.json } : {}),
      ...(step.body !== undefined ? { body: step.body } : {}),
      ...(step.headers ? { headers: step.headers } : {}),
    });
    if (user === undefined && step.name === 'sign up') user = (response.body as { id: number }).id;
    answers.push({ status: response.status, contentType: response.contentType?.split(';')[0] ?? null, body: normalise(response.body) });
  }
  return answers;
}

describe('the public API answers alike from legacy and from the user-service', () => {
  let legacy: LegacyHarness;
  let service: UserServiceHarness;
  let fromLegacy: Answer[];
  let fromService: Answer[];

  beforeAll(async () => {
    [legacy, service] = await Promise.all([startLegacyHarness(), startUserServiceHarness()]);
    fromLegacy = await play(legacy.request);
    fromService = await play(service.request);
  });

  afterAll(async () => {
    await Promise.all([legacy?.stop(), service?.stop()]);
  });

  test.each(steps.map((step, index) => [step.name, index] as const))('%s', (_name, index) => {
    expect(fromService[index]).toEqual(fromLegacy[index]);
  });

  test('the sequence exercised real answers, not a pair of identical failures', () => {
    const statuses = fromLegacy.map((answer) => answer.status);
    expect(statuses).toEqual(expect.arrayContaining([200, 201, 204, 400, 401, 404, 409, 413, 415]));
    expect(fromLegacy.filter((answer) => answer.status >= 500)).toEqual([]);
  });
});
