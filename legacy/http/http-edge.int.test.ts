import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { Pool } from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ensureDatabase } from '../../migrations/migrate';
import { dropDatabase, throwawayDatabaseUrl, endPool } from '../../migrations/test/throwaway-database';
import { createLegacyApp } from '../app';
import { startLegacyHarness, type LegacyHarness, type LegacyResponse, expectFailure } from '../test/legacy-harness';

let legacy: LegacyHarness;
let userId: number;
beforeAll(async () => {
  legacy = await startLegacyHarness();
  userId = await legacy.insertUser({ email_addr: 'edge@example.com', disp_nm: 'Edge', pref_lang: 'en_US', theme_cd: 'DARK' });
});
afterAll(async () => {
  await legacy?.stop();
});

async function tableSnapshot(): Promise<unknown[]> {
  return (await legacy.pool.query('select * from public.users order by usr_id')).rows;
}


const bodyRoutes = () => [
  ['POST', '/api/users'],
  ['POST', '/api/sessions'],
  ['PATCH', `/api/users/${userId}/account`],
  ['PATCH', `/api/users/${userId}/profile`],
  ['PATCH', `/api/users/${userId}/preferences`],
] as const;

const idRoutes = [
  ['GET', 'account'],
  ['PATCH', 'account'],
  ['GET', 'profile'],
  ['PATCH', 'profile'],
  ['GET', 'preferences'],
  ['PATCH', 'preferences'],
  ['DELETE', ''],
] as const;

describe('request bodies', () => {
  test('malformed JSON is refused with 400 MALFORMED_JSON on every body route and changes nothing', async () => {
    const before = await tableSnapshot();
    for (const [method, path] of bodyRoutes()) {
      for (const body of ['{"email": "a@b.co",', "{'single': 'quotes'}", '{"a":1}}', 'nul']) {
        const response = await legacy.request(method, path, { body, headers: { 'content-type': 'application/json' } });
        expectFailure(response, 400, 'REQUEST.MALFORMED_JSON');
      }
    }
    expect(await tableSnapshot()).toEqual(before);
  });

  test('a body of another media type, or of none, is refused with 415 and changes nothing', async () => {
    const before = await tableSnapshot();
    const json = JSON.stringify({ displayName: 'Changed' });
    for (const [method, path] of bodyRoutes()) {
      expectFailure(await legacy.request(method, path, { body: json, headers: { 'content-type': 'text/plain' } }), 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
      expectFailure(
        await legacy.request(method, path, { body: json, headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        415,
        'REQUEST.UNSUPPORTED_MEDIA_TYPE',
      );
      const untyped = await fetch(`${legacy.baseUrl}${path}`, { method, body: new TextEncoder().encode(json) });
      expect([untyped.status, ((await untyped.json()) as any).error.code]).toEqual([415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE']);
      expectFailure(
        await legacy.request(method, path, { body: json, headers: { 'content-type': 'application/json; charset=latin1' } }),
        415,
        'REQUEST.UNSUPPORTED_MEDIA_TYPE',
      );
    }
    expect(await tableSnapshot()).toEqual(before);
  });

  test('application/json with a UTF-8 charset parameter is accepted', async () => {
    const response = await legacy.request('PATCH', `/api/users/${userId}/profile`, {
      body: '{}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(response.status).toBe(200);
  });

  test('a body over 256 KiB is refused with 413 and changes nothing', async () => {
    const before = await tableSnapshot();
    const oversized = JSON.stringify({ bio: 'x'.repeat(256 * 1024) });
    for (const [method, path] of bodyRoutes()) {
      expectFailure(await legacy.request(method, path, { body: oversized, headers: { 'content-type': 'application/json' } }), 413, 'REQUEST.PAYLOAD_TOO_LARGE');
    }
    expect(await tableSnapshot()).toEqual(before);
  });

  test('a body just under 256 KiB is read and judged on its content, not refused for size', async () => {
    const response = await legacy.request('PATCH', `/api/users/${userId}/profile`, { json: { bio: 'x'.repeat(250 * 1024) } });
    expectFailure(response, 400, 'PROFILE.BIO_TOO_LONG');
  });

  test('a POST without a body is a validation failure', async () => {
    for (const path of ['/api/users', '/api/sessions']) {
      expectFailure(await legacy.request('POST', path), 400, 'REQUEST.VALIDATION_FAILED');
    }
  });

  test('valid JSON that is not an object is a validation failure, not malformed', async () => {
    for (const body of ['[]', '"text"', 'null', '42']) {
      const response = await legacy.request('PATCH', `/api/users/${userId}/profile`, { body, headers: { 'content-type': 'application/json' } });
      expectFailure(response, 400, 'REQUEST.VALIDATION_FAILED');
    }
  });
});

describe('ids in the path', () => {
  test.each(['abc', '0', '-1', '1.5', '1e3', '99999999999999999999', '%E0%A4%A'])(
    'the id %p is refused with 400 INVALID_ID on every id route, changing nothing',
    async (badId) => {
      const before = await tableSnapshot();
      for (const [method, resource] of idRoutes) {
        const path = resource ? `/api/users/${badId}/${resource}` : `/api/users/${badId}`;
        const response = await legacy.request(method, path, method === 'PATCH' ? { json: {} } : {});
        expectFailure(response, 400, 'REQUEST.INVALID_ID');
      }
      expect(await tableSnapshot()).toEqual(before);
    },
  );
});

describe('unknown routes', () => {
  test.each([
    ['GET', '/'],
    ['GET', '/api/users'],
    ['GET', '/api/users/1'],
    ['PUT', '/api/users/1/account'],
    ['POST', '/api/users/1/profile'],
    ['DELETE', '/api/users/1/profile'],
    ['OPTIONS', '/api/users/1/profile'],
    ['GET', '/api/reports/users-by-region'],
  ])('%s %s answers 404 ROUTE_NOT_FOUND in JSON, never an Express page', async (method, path) => {
    expectFailure(await legacy.request(method, path), 404, 'REQUEST.ROUTE_NOT_FOUND');
  });
});

describe('unexpected failures', () => {
  test('a database error answers 500 INTERNAL without details and is logged with the request', async () => {
    const databaseUrl = throwawayDatabaseUrl('legacy_it');
    await ensureDatabase(databaseUrl);
    const pool = new Pool({ connectionString: databaseUrl });
    const lines: string[] = [];
    const app = createLegacyApp({ pool, logger: pino({}, { write: (line: string) => void lines.push(line) }), registry: new Registry() });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      // No migrations ran, so public.users does not exist.
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/users/1/account`);
      const text = await response.text();
      expect([response.status, JSON.parse(text)]).toEqual([500, { error: { code: 'INTERNAL', message: 'an unexpected error occurred' } }]);
      expect(text).not.toContain('relation');
      const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.level >= 50);
      expect(logged).toMatchObject({ req: { method: 'GET', url: '/api/users/1/account' }, res: { statusCode: 500 } });
      expect(logged.err.message).toContain('relation "public.users" does not exist');
    } finally {
      server.closeAllConnections();
      server.close();
      await endPool(pool);
      await dropDatabase(databaseUrl);
    }
  });
});

describe('health and metrics', () => {
  test('GET /healthz answers 200 ok while the database answers', async () => {
    const response = await legacy.request('GET', '/healthz');
    expect([response.status, response.body]).toEqual([200, { status: 'ok' }]);
  });

  test('GET /healthz answers 503 when the database does not', async () => {
    const pool = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/nowhere', connectionTimeoutMillis: 500 });
    const app = createLegacyApp({ pool, logger: pino({ level: 'silent' }), registry: new Registry() });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`);
      expect([response.status, await response.json()]).toEqual([503, { status: 'unavailable', reason: 'the database does not answer' }]);
    } finally {
      server.closeAllConnections();
      server.close();
      await pool.end();
    }
  });

  test('GET /metrics labels requests by module and route pattern, never by raw path or id', async () => {
    await legacy.request('GET', `/api/users/${userId}/account`);
    await legacy.request('GET', `/api/users/${userId}/preferences`);
    await legacy.request('GET', '/no/such/route');
    const response = await legacy.request('GET', '/metrics');
    expect(response.status).toBe(200);
    expect(response.contentType).toMatch(/^text\/plain/);
    expect(response.text).toContain('legacy_http_requests_total{module="auth",route="/api/users/:id/account",method="GET",status="200"}');
    expect(response.text).toContain('legacy_http_requests_total{module="settings",route="/api/users/:id/preferences",method="GET",status="200"}');
    expect(response.text).toContain('legacy_http_requests_total{module="http",route="(unmatched)",method="GET",status="404"}');
    expect(response.text).toMatch(/legacy_http_request_duration_seconds_bucket\{le="0.005",module="auth",route="\/api\/users\/:id\/account",method="GET"\}/);
    expect(response.text).toContain('process_cpu_user_seconds_total');
    expect(response.text).not.toContain(`/api/users/${userId}`);
    expect(response.text).not.toContain('/no/such/route');
  });

  test('emails and passwords sent to the API never appear in the log', async () => {
    const email = 'Secret.Person@Example.com';
    const password = 'correct horse battery';
    await legacy.request('POST', '/api/users', { json: { email, password } });
    await legacy.request('POST', '/api/users', { json: { email, password } });
    await legacy.request('POST', '/api/sessions', { json: { email, password } });
    await legacy.request('POST', '/api/sessions', { json: { email, password: 'wrong password' } });
    const log = legacy.logLines.join('\n');
    expect(log).toContain('/api/sessions');
    for (const secret of [email, email.toLowerCase(), password, 'wrong password', '$2b$']) expect(log).not.toContain(secret);
  });
});
