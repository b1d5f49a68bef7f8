import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { cdcUrlSetting } from './cdc-addresses';
import type { ProxyOptions } from './proxy-server';
import { DEFAULT_ROUTE_TABLE_FILE, loadRouteTable } from './routing/route-table';

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();
const url = z.url({ protocol: /^https?$/ });
const WORKERS = 'a whole number of processes, 1 or more, or auto (one per core)';
/** Proxy processes on this host (proxy/cluster/): each one instance with its own lease; `auto` is one per core. */
const workerCount = z.union([z.literal('auto').transform(() => availableParallelism()), z.coerce.number().int(WORKERS).min(1, WORKERS)], { error: WORKERS });

const settingsSchema = z.object({
  PROXY_HOST: z.string().min(1).default('127.0.0.1'),
  PROXY_PORT: port.default(8080),
  PROXY_WORKERS: workerCount.default(1),
  LEGACY_URL: url.default('http://127.0.0.1:8082'),
  USER_SERVICE_URL: url.default('http://127.0.0.1:8083'),
  STRANGLER_CONTROL_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').default('postgres://postgres@127.0.0.1:55432/strangler'),
  STRANGLER_CDC_URL: cdcUrlSetting.default('http://127.0.0.1:8084'),
  PROXY_ROUTE_TABLE: z.string().min(1).default(DEFAULT_ROUTE_TABLE_FILE),
  PROXY_UPSTREAM_TIMEOUT_MS: positiveMs.default(5_000),
  PROXY_UPSTREAM_MAX_SOCKETS: positiveMs.default(256),
  PROXY_STAGE_POLL_MS: positiveMs.max(1_000).default(250),
  PROXY_SHADOW_MAX_IN_FLIGHT: positiveMs.default(64),
  PROXY_SHADOW_TIMEOUT_MS: positiveMs.default(2_000),
  PROXY_SHADOW_LAG_RECHECKS: z.coerce.number().int().min(0).default(3),
  PROXY_SHADOW_LAG_RECHECK_DELAY_MS: positiveMs.default(500),
  PROXY_SHADOW_FLUSH_MS: positiveMs.default(5_000),
  PROXY_SHADOW_SAMPLES_KEPT: positiveMs.default(200),
  PROXY_MAX_PINS: positiveMs.default(100_000),
  PROXY_PIN_RECHECK_MS: positiveMs.default(50),
  PROXY_EXISTENCE_WAIT_MS: z.coerce.number().int().min(0).default(3_000),
  // How long a lease renewal holds in the control plane: a hand-over waits at most this long for an instance
  // that went silent, and a cut-off instance stops starting writes this long less the upstream timeout after
  // its last renewal (see proxy/README.md, "Several instances").
  PROXY_LEASE_MS: positiveMs.default(10_000),
  // Writes that arrive during a hand-over are kept (per context, at most this many, this long) and then
  // forwarded to whoever owns them after it; only past the bound does a client get 503 PROXY.WRITES_HELD.
  PROXY_HOLD_MAX_WRITES: positiveMs.default(1_000),
  PROXY_HOLD_MAX_MS: positiveMs.default(10_000),
});

export type ProxySettings = z.infer<typeof settingsSchema>;

/** The data plane's settings from the environment; the error names every bad variable. */
export function loadProxySettings(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const parsed = settingsSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    throw new Error(`invalid proxy settings:\n${parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n')}`);
  }
  return parsed.data;
}

/** Everything startProxy needs from the settings; the caller adds what has state (pool, registry, logger). */
export function proxyOptionsFrom(settings: ProxySettings, state: Pick<ProxyOptions, 'control' | 'registry' | 'logger'> & Partial<Pick<ProxyOptions, 'clock' | 'progress'>>): ProxyOptions {
  return {
    ...state,
    host: settings.PROXY_HOST,
    port: settings.PROXY_PORT,
    legacyUrl: settings.LEGACY_URL,
    newServiceUrl: settings.USER_SERVICE_URL,
    cdcUrl: settings.STRANGLER_CDC_URL,
    routeTable: loadRouteTable(settings.PROXY_ROUTE_TABLE),
    upstreamTimeoutMs: settings.PROXY_UPSTREAM_TIMEOUT_MS,
    upstreamMaxSockets: settings.PROXY_UPSTREAM_MAX_SOCKETS,
    stagePollMs: settings.PROXY_STAGE_POLL_MS,
    shadow: {
      maxInFlight: settings.PROXY_SHADOW_MAX_IN_FLIGHT,
      timeoutMs: settings.PROXY_SHADOW_TIMEOUT_MS,
      lagRechecks: settings.PROXY_SHADOW_LAG_RECHECKS,
      lagRecheckDelayMs: settings.PROXY_SHADOW_LAG_RECHECK_DELAY_MS,
      flushEveryMs: settings.PROXY_SHADOW_FLUSH_MS,
      samplesKept: settings.PROXY_SHADOW_SAMPLES_KEPT,
    },
    existenceWaitMs: settings.PROXY_EXISTENCE_WAIT_MS,
    leaseMs: settings.PROXY_LEASE_MS,
    hold: { maxWrites: settings.PROXY_HOLD_MAX_WRITES, maxHoldMs: settings.PROXY_HOLD_MAX_MS },
    pins: { maxPins: settings.PROXY_MAX_PINS, recheckMs: settings.PROXY_PIN_RECHECK_MS },
  };
}
