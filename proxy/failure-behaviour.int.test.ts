// What a client sees when an upstream is down, slow or drops the connection, and that bodies stream
// through whole in both directions: real sockets, real (tiny) upstreams, a real control database.
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { until } from '../cdc/test/until';
import { loadRouteTable, RouteTable } from './routing/route-table';
import { call, startControlPlane, startEchoUpstream, startTestProxy, type ControlPlane, type EchoUpstream, type TestProxy, syncAlwaysCaughtUp } from './test/proxy-harness';


async function closedPort(): Promise<string> {
  const server = http.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('upstream failures', () => {
  let control: ControlPlane;
  let slow: EchoUpstream;
  let other: EchoUpstream;
  let resetting: http.Server;
  let resets = 0;
  const proxies: TestProxy[] = [];

  beforeAll(async () => {
    control = await startControlPlane();
    slow = await startEchoUpstream('slow');
    other = await startEchoUpstream('other');
    resetting = http.createServer((req) => {
      resets += 1;
      req.socket.destroy();
    });
    resetting.listen(0, '127.0.0.1');
    await once(resetting, 'listening');
  });

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all([slow?.stop(), other?.stop()]);
    resetting?.closeAllConnections();
    await new Promise<void>((resolve) => resetting.close(() => resolve()));
    await control?.stop();
  });

  const proxyTo = async (legacyUrl: string, newServiceUrl: string, upstreamTimeoutMs = 5_000) => {
    const proxy = await startTestProxy({ legacyUrl, newServiceUrl, control: control.pool, upstreamTimeoutMs, progress: syncAlwaysCaughtUp });
    proxies.push(proxy);
    return proxy;
  };

  test('an unreachable backend is a 502 PROXY.UPSTREAM_UNREACHABLE in JSON, at once', async () => {
    const proxy = await proxyTo(await closedPort(), other.url);
    const started = Date.now();
    const response = await call(`${proxy.url}/api/users/1/account`);
    expect([response.status, response.body?.error?.code, response.headers.get('content-type')]).toEqual([502, 'PROXY.UPSTREAM_UNREACHABLE', 'application/json; charset=utf-8']);
    expect(typeof response.body.error.message).toBe('string');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await proxy.metric('strangler_proxy_upstream_failures_total', { context: 'identity', backend: 'legacy', reason: 'unreachable' })).toBe(1);
    expect(await proxy.metric('strangler_proxy_requests_total', { route: 'account.read', backend: 'legacy', status: '502' })).toBe(1);
  });

  test('write-retried-on-slow-backend never happens: a slow backend is a 504 after the timeout, the write reached it once and the other side never', async () => {
    slow.delayMs = 3_000;
    const proxy = await proxyTo(slow.url, other.url, 300);
    const before = { slow: slow.hits.length, other: other.hits.length };
    const started = Date.now();
    const response = await call(`${proxy.url}/api/users/1/profile`, 'PATCH', { displayName: 'slow' });
    const took = Date.now() - started;
    expect([response.status, response.body?.error?.code]).toEqual([504, 'PROXY.UPSTREAM_TIMEOUT']);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2_500);
    expect({ slow: slow.hits.length - before.slow, other: other.hits.length - before.other }).toEqual({ slow: 1, other: 0 });
    slow.delayMs = 0;
  });

  test('a backend that drops the connection is a 502 PROXY.UPSTREAM_RESET, and the write is not sent again', async () => {
    const proxy = await proxyTo(`http://127.0.0.1:${(resetting.address() as AddressInfo).port}`, other.url);
    const before = { resets, other: other.hits.length };
    const response = await call(`${proxy.url}/api/users/1/preferences`, 'PATCH', { theme: 'dark' });
    expect([response.status, response.body?.error?.code]).toEqual([502, 'PROXY.UPSTREAM_RESET']);
    expect({ resets: resets - before.resets, other: other.hits.length - before.other }).toEqual({ resets: 1, other: 0 });
  });

  test('bodies stream through whole: a 3 MiB request body arrives intact, a 5 MiB answer comes back intact', async () => {
    const proxy = await proxyTo(other.url, slow.url);
    const sent = Buffer.from(JSON.stringify({ bio: 'é'.repeat(1_500_000) }));
    const response = await fetch(`${proxy.url}/api/users/3/profile`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: sent });
    expect(response.status).toBe(200);
    const hit = other.hits.at(-1)!;
    expect([hit.method, hit.url, hit.body.equals(sent)]).toEqual(['PATCH', '/api/users/3/profile', true]);

    other.bodyBytes = 5 * 1024 * 1024;
    const large = await call(`${proxy.url}/api/users/3/profile`);
    other.bodyBytes = 0;
    expect([large.status, large.body?.padding?.length]).toEqual([200, 5 * 1024 * 1024]);
  });

  test('a fault in the proxy itself is a 500 PROXY.INTERNAL in JSON, and the next request is served', async () => {
    const shipped = loadRouteTable();
    let failNext = true;
    const faulty = new (class extends RouteTable {
      override match(method: string, segments: readonly string[]) {
        if (failNext) {
          failNext = false;
          throw new Error('planted fault');
        }
        return super.match(method, segments);
      }
    })(shipped.routes);
    const proxy = await startTestProxy({ legacyUrl: other.url, newServiceUrl: slow.url, control: control.pool, progress: syncAlwaysCaughtUp, routeTable: faulty });
    proxies.push(proxy);
    const failed = await call(`${proxy.url}/api/users/1/account`);
    expect([failed.status, failed.body?.error?.code, failed.text]).toEqual([500, 'PROXY.INTERNAL', expect.not.stringMatching(/planted|at .+\.ts/)]);
    expect((await call(`${proxy.url}/api/users/1/account`)).status).toBe(200);
  });

  test('an answer that breaks mid-body reaches the client broken, never as a complete answer, and is counted as a reset', async () => {
    const breaking = http.createServer((_req, res) => {
      // Promises 1,000 bytes, sends 10, then the connection dies.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"partial"', () => setTimeout(() => res.socket?.destroy(), 20));
    });
    breaking.listen(0, '127.0.0.1');
    await once(breaking, 'listening');
    try {
      const proxy = await proxyTo(`http://127.0.0.1:${(breaking.address() as AddressInfo).port}`, other.url);
      const response = await fetch(`${proxy.url}/api/users/1/account`);
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
      expect(await proxy.metric('strangler_proxy_upstream_failures_total', { context: 'identity', backend: 'legacy', reason: 'reset' })).toBe(1);
      // The client may see the cut before the proxy has closed its side of the exchange.
      await until('the cut exchange recorded', async () =>
        ((await proxy.metric('strangler_proxy_requests_total', { route: 'account.read', backend: 'legacy', status: 'aborted' })) === 1 ? true : undefined));
    } finally {
      breaking.closeAllConnections();
      await new Promise<void>((resolve) => breaking.close(() => resolve()));
    }
  });

  test('headers: hop-by-hop ones stay on their hop, Host and the rest pass, X-Forwarded-* say where the request came from', async () => {
    const proxy = await proxyTo(other.url, slow.url);
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.request(`${proxy.url}/api/users/4/account`, {
        headers: { host: 'app.example.test', connection: 'keep-alive, x-hop-secret', 'x-hop-secret': 'only-for-the-proxy', 'keep-alive': 'timeout=5', 'x-request-id': 'r-1', 'x-forwarded-for': '203.0.113.7', cookie: 'a=1' },
      }, resolve);
      request.on('error', reject);
      request.end();
    });
    response.resume();
    const hit = other.hits.at(-1)!;
    expect(hit.url).toBe('/api/users/4/account');
    expect(hit.headers).toMatchObject({ host: 'app.example.test', 'x-request-id': 'r-1', cookie: 'a=1', 'x-forwarded-for': '203.0.113.7, 127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'app.example.test' });
    expect(hit.headers['x-hop-secret']).toBeUndefined();
    expect(hit.headers['keep-alive']).toBeUndefined();
  });

  test('an answer with several Set-Cookie headers reaches the client with all of them', async () => {
    const cookies = http.createServer((_req, res) => {
      res.writeHead(201, [['set-cookie', 'a=1; HttpOnly'], ['set-cookie', 'b=2'], ['content-type', 'application/json'], ['x-upstream', 'yes']]);
      res.end('{}');
    });
    cookies.listen(0, '127.0.0.1');
    await once(cookies, 'listening');
    try {
      const proxy = await proxyTo(`http://127.0.0.1:${(cookies.address() as AddressInfo).port}`, other.url);
      const response = await fetch(`${proxy.url}/api/users/1/account`);
      expect([response.status, response.headers.getSetCookie(), response.headers.get('x-upstream')]).toEqual([201, ['a=1; HttpOnly', 'b=2'], 'yes']);
    } finally {
      cookies.closeAllConnections();
      await new Promise<void>((resolve) => cookies.close(() => resolve()));
    }
  });

  test('a client that gives up does not take the proxy down', async () => {
    slow.delayMs = 1_000;
    const proxy = await proxyTo(slow.url, other.url, 5_000);
    await expect(fetch(`${proxy.url}/api/users/1/account`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    slow.delayMs = 0;
    expect((await call(`${proxy.url}/api/users/1/account`)).status).toBe(200);
  });
});
