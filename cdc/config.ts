import { z } from 'zod';

const postgresUrl = z.url({ protocol: /^postgres(ql)?$/ });

const environment = z.object({
  CDC_HOST: z.string().min(1).default('127.0.0.1'),
  CDC_PORT: z.coerce.number().int().min(0).max(65_535).default(8084),
  // The sync's own login role in both databases: its writes are recognisable as the sync's.
  CDC_USER_SERVICE_DATABASE_URL: postgresUrl.default('postgres://strangler_sync@127.0.0.1:55432/user_service'),
  CDC_LEGACY_DATABASE_URL: postgresUrl.default('postgres://strangler_sync@127.0.0.1:55432/legacy'),
  STRANGLER_CONTROL_DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:55432/strangler'),
  // Schema owners, used only to apply migrations at start.
  USER_SERVICE_ADMIN_DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:55432/user_service'),
  LEGACY_DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:55432/legacy'),
  // When set, start-up gives the sync role this password (servers that check passwords, e.g. compose).
  CDC_SYNC_DB_PASSWORD: z.string().min(1).optional(),
  STRANGLER_KAFKA_BROKERS: z.string().min(1).default('127.0.0.1:29092'),
  STRANGLER_CONNECT_URL: z.url().default('http://127.0.0.1:28083'),
  // How long events may wait with no progress before /healthz calls a worker stalled.
  CDC_STALL_AFTER_MS: z.coerce.number().int().positive().default(30_000),
  // Read-your-writes: how long legacy may take to tell its WAL position before the answer is a 503 (the
  // proxy's own bound on the call is longer), and how often a partition's idle horizon may be measured.
  CDC_SOURCE_POSITION_TIMEOUT_MS: z.coerce.number().int().positive().default(500),
  CDC_IDLE_HORIZON_EVERY_MS: z.coerce.number().int().positive().default(100),
  // The operators' token (the proxy's admin API uses the same): required to drain a sync direction.
  STRANGLER_ADMIN_TOKEN: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type CdcConfig = z.infer<typeof environment>;

export function loadCdcConfig(env: NodeJS.ProcessEnv): CdcConfig {
  const parsed = environment.safeParse(env);
  if (!parsed.success) throw new Error(`invalid cdc configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
