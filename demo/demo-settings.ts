/**
 * The demo's settings: the environment its services run with and the length of its phases. The services
 * read exactly the variables an operator would set (see each component's README); the demo only lowers the
 * guards' sample sizes and the write-hold timings so that a walk fits in minutes, and every one of them can
 * still be overridden from the demo's own environment.
 */
import { randomBytes } from 'node:crypto';

/** The seed's password hashes use it too, so seeded users sign in as cheaply as new ones. */
export const DEMO_BCRYPT_COST = 4;

export interface DemoPorts {
  proxy: number;
  admin: number;
  legacy: number;
  userService: number;
  cdc: number;
}

export const CONTRACT_PORTS: DemoPorts = { proxy: 8080, admin: 8081, legacy: 8082, userService: 8083, cdc: 8084 };
/** `--chaos`'s second proxy instance (client and admin port) and second cdc process: beside the contract's, ten up. */
export const CHAOS_PORTS = { proxy: 8090, admin: 8091, cdc: 8094 } as const;

export interface StackEndpoints {
  pgPort: number;
  kafkaPort: number;
  connectPort: number;
}

export interface Phases {
  users: number;
  /** Shadow comparisons the guard wants before canary (STRANGLER_GUARD_MIN_SHADOW_SAMPLE). */
  minShadowSample: number;
  dwellMs: number;
  canarySteps: readonly number[];
  ratePerSecond: number;
}

export function phasesFor(options: { quick: boolean; users?: number }): Phases {
  if (options.quick) return { users: options.users ?? 1_000, minShadowSample: 30, dwellMs: 3_000, canarySteps: [10, 50, 100], ratePerSecond: 40 };
  return { users: options.users ?? 10_000, minShadowSample: 200, dwellMs: 15_000, canarySteps: [10, 50, 100], ratePerSecond: 40 };
}

/** A fresh operator token per run, unless the caller brought one. */
export function adminToken(env: NodeJS.ProcessEnv): string {
  return env.STRANGLER_ADMIN_TOKEN && env.STRANGLER_ADMIN_TOKEN.length > 0 ? env.STRANGLER_ADMIN_TOKEN : randomBytes(24).toString('base64url');
}

/**
 * The services' environment: the contract's ports and databases on this stack, plus the demo's timings.
 * Variables already in `base` win, except the token, which is always the one given.
 */
export function demoEnvironment(base: NodeJS.ProcessEnv, stack: StackEndpoints, token: string, phases: Phases, ports: DemoPorts = CONTRACT_PORTS, moreCdcUrls: readonly string[] = []): NodeJS.ProcessEnv {
  const pg = (user: string, database: string) => `postgres://${user}@127.0.0.1:${stack.pgPort}/${database}`;
  const defaults: Record<string, string> = {
    LOG_LEVEL: 'info',
    LEGACY_PORT: String(ports.legacy),
    LEGACY_DATABASE_URL: pg('postgres', 'legacy'),
    USER_SERVICE_PORT: String(ports.userService),
    USER_SERVICE_DATABASE_URL: pg('strangler_user_service', 'user_service'),
    USER_SERVICE_ADMIN_DATABASE_URL: pg('postgres', 'user_service'),
    CDC_PORT: String(ports.cdc),
    CDC_LEGACY_DATABASE_URL: pg('strangler_sync', 'legacy'),
    CDC_USER_SERVICE_DATABASE_URL: pg('strangler_sync', 'user_service'),
    STRANGLER_CONTROL_DATABASE_URL: pg('postgres', 'strangler'),
    STRANGLER_KAFKA_BROKERS: `127.0.0.1:${stack.kafkaPort}`,
    STRANGLER_CONNECT_URL: `http://127.0.0.1:${stack.connectPort}`,
    PROXY_PORT: String(ports.proxy),
    PROXY_ADMIN_PORT: String(ports.admin),
    // One proxy process, as `npm run start:proxy`; `PROXY_WORKERS=2 npm run demo` (or `auto`) runs it as that
    // many workers, each an instance of its own (proxy/README.md, "Several processes").
    PROXY_WORKERS: '1',
    LEGACY_URL: `http://127.0.0.1:${ports.legacy}`,
    USER_SERVICE_URL: `http://127.0.0.1:${ports.userService}`,
    // Every cdc process, the contract's first (proxy/cdc-addresses.ts).
    STRANGLER_CDC_URL: [`http://127.0.0.1:${ports.cdc}`, ...moreCdcUrls].join(','),
    // Walk-sized guards: enough comparisons to mean something, few enough to gather in seconds.
    STRANGLER_GUARD_MIN_SHADOW_SAMPLE: String(phases.minShadowSample),
    // A hold waits for each proxy instance's confirmation, which waits for that instance's writes in flight;
    // 4 s upstream is ample for this traffic and bounds how long one slow write can keep a flip waiting.
    PROXY_UPSTREAM_TIMEOUT_MS: '4000',
    // bcrypt at cost 10 is ~70 ms of CPU per sign-up or sign-in; at the demo's rate on 2 shared cores that
    // alone saturates a core and turns into upstream timeouts. Cost 4 keeps the same code paths cheap.
    LEGACY_BCRYPT_COST: String(DEMO_BCRYPT_COST),
    USER_SERVICE_BCRYPT_COST: String(DEMO_BCRYPT_COST),
    // Shadow counts reach the guard's table every second instead of every five.
    PROXY_SHADOW_FLUSH_MS: '1000',
  };
  return { ...defaults, ...base, STRANGLER_ADMIN_TOKEN: token };
}
