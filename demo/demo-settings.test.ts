import { adminToken, demoEnvironment, phasesFor } from './demo-settings';
import { topicsOwnedBy } from './clean-slate';

describe('demo settings', () => {
  const stack = { pgPort: 55432, kafkaPort: 29092, connectPort: 28083 };

  it('points every service at the contract ports and this stack, with walk-sized guards', () => {
    const env = demoEnvironment({}, stack, 'token-1', phasesFor({ quick: true }));
    expect(env).toMatchObject({
      PROXY_PORT: '8080', PROXY_ADMIN_PORT: '8081', LEGACY_PORT: '8082', USER_SERVICE_PORT: '8083', CDC_PORT: '8084',
      LEGACY_DATABASE_URL: 'postgres://postgres@127.0.0.1:55432/legacy',
      CDC_LEGACY_DATABASE_URL: 'postgres://strangler_sync@127.0.0.1:55432/legacy',
      STRANGLER_CONTROL_DATABASE_URL: 'postgres://postgres@127.0.0.1:55432/strangler',
      STRANGLER_KAFKA_BROKERS: '127.0.0.1:29092',
      STRANGLER_GUARD_MIN_SHADOW_SAMPLE: '30',
      STRANGLER_ADMIN_TOKEN: 'token-1',
    });
  });

  it('lets the caller\'s environment override a default, but not the token it was given', () => {
    const env = demoEnvironment({ STRANGLER_GUARD_MIN_SHADOW_SAMPLE: '500', STRANGLER_ADMIN_TOKEN: 'other' }, stack, 'given', phasesFor({ quick: false }));
    expect(env.STRANGLER_GUARD_MIN_SHADOW_SAMPLE).toBe('500');
    expect(env.STRANGLER_ADMIN_TOKEN).toBe('given');
  });

  it('runs the proxy as one process unless the demo\'s environment asks for workers', () => {
    expect(demoEnvironment({}, stack, 't', phasesFor({ quick: true })).PROXY_WORKERS).toBe('1');
    expect(demoEnvironment({ PROXY_WORKERS: 'auto' }, stack, 't', phasesFor({ quick: true })).PROXY_WORKERS).toBe('auto');
  });

  it('generates a fresh token per run unless one is set', () => {
    expect(adminToken({ STRANGLER_ADMIN_TOKEN: 'mine' })).toBe('mine');
    const a = adminToken({});
    expect(a.length).toBeGreaterThanOrEqual(32);
    expect(adminToken({})).not.toBe(a);
  });

  it('quick runs 1,000 users, the default 10,000, --users wins', () => {
    expect(phasesFor({ quick: true }).users).toBe(1000);
    expect(phasesFor({ quick: false }).users).toBe(10_000);
    expect(phasesFor({ quick: true, users: 50_000 }).users).toBe(50_000);
  });
});

describe('clean slate', () => {
  it('deletes only the topics of the demo\'s connectors and the dead letters, never a test sandbox\'s', () => {
    const existing = [
      'legacy.public.users', 'legacy.public.debezium_heartbeat', '__debezium-heartbeat.legacy', 'user-service.account.events',
      'user-service.message', '__debezium-heartbeat.user-service', 'strangler.dead-letters',
      'sync_ab12.public.users', '__debezium-heartbeat.sync_ab12', 'legacyish.topic', 'strangler-connect-offsets', '__consumer_offsets',
    ];
    expect(topicsOwnedBy(['legacy', 'user-service'], existing)).toEqual([
      '__debezium-heartbeat.legacy', '__debezium-heartbeat.user-service', 'legacy.public.debezium_heartbeat', 'legacy.public.users',
      'strangler.dead-letters', 'user-service.account.events', 'user-service.message',
    ]);
  });
});
