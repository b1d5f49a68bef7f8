import { availableParallelism } from 'node:os';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Pool } from 'pg';
import { loadProxySettings, proxyOptionsFrom } from './proxy-settings';

describe('proxy settings', () => {
  test('the contract ports and local URLs are the defaults', () => {
    expect(loadProxySettings({})).toMatchObject({
      PROXY_HOST: '127.0.0.1',
      PROXY_PORT: 8080,
      LEGACY_URL: 'http://127.0.0.1:8082',
      USER_SERVICE_URL: 'http://127.0.0.1:8083',
      STRANGLER_CONTROL_DATABASE_URL: 'postgres://postgres@127.0.0.1:55432/strangler',
      STRANGLER_CDC_URL: 'http://127.0.0.1:8084',
      PROXY_UPSTREAM_TIMEOUT_MS: 5000,
      PROXY_STAGE_POLL_MS: 250,
      PROXY_LEASE_MS: 10000,
      PROXY_HOLD_MAX_WRITES: 1000,
      PROXY_HOLD_MAX_MS: 10000,
    });
  });

  test('bad values are refused with every variable named', () => {
    expect(() => loadProxySettings({ PROXY_PORT: 'eighty', LEGACY_URL: 'ftp://x', PROXY_STAGE_POLL_MS: '5000' })).toThrow(/PROXY_PORT[\s\S]*LEGACY_URL[\s\S]*PROXY_STAGE_POLL_MS/);
  });

  test('the settings become startProxy options, the route table loaded and checked', () => {
    const options = proxyOptionsFrom(loadProxySettings({ PROXY_PORT: '0', PROXY_UPSTREAM_TIMEOUT_MS: '1234' }), { control: {} as Pool, registry: new Registry(), logger: pino({ level: 'silent' }) });
    expect(options).toMatchObject({ port: 0, upstreamTimeoutMs: 1234, legacyUrl: 'http://127.0.0.1:8082', cdcUrl: 'http://127.0.0.1:8084', stagePollMs: 250, shadow: { maxInFlight: 64 }, pins: { maxPins: 100000, recheckMs: 50 }, leaseMs: 10000, hold: { maxWrites: 1000, maxHoldMs: 10000 } });
    expect(options.routeTable?.match('GET', ['api', 'users', '1', 'profile'])?.route.key).toBe('profile.read');
    expect(() => proxyOptionsFrom(loadProxySettings({ PROXY_ROUTE_TABLE: '/nonexistent/routes.json' }), { control: {} as Pool, registry: new Registry(), logger: pino({ level: 'silent' }) })).toThrow(/cannot read the route table \/nonexistent\/routes\.json/);
  });
});

describe('PROXY_WORKERS', () => {
  test('one process unless asked; a whole number, or auto for one per core', () => {
    expect(loadProxySettings({}).PROXY_WORKERS).toBe(1);
    expect(loadProxySettings({ PROXY_WORKERS: '3' }).PROXY_WORKERS).toBe(3);
    expect(loadProxySettings({ PROXY_WORKERS: 'auto' }).PROXY_WORKERS).toBe(availableParallelism());
  });

  test.each(['0', '-1', '1.5', 'two', 'AUTO'])('%s is refused, by name', (value) => {
    expect(() => loadProxySettings({ PROXY_WORKERS: value })).toThrow(/PROXY_WORKERS: a whole number of processes, 1 or more, or auto/);
  });
});
