import { z } from 'zod';

const legacyEnvironment = z.object({
  LEGACY_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:55432/legacy'),
  LEGACY_HOST: z.string().min(1).default('127.0.0.1'),
  LEGACY_PORT: z.coerce.number().int().min(0).max(65_535).default(8082),
  // bcrypt's own bounds; 10 costs roughly 50-100 ms per hash.
  LEGACY_BCRYPT_COST: z.coerce.number().int().min(4).max(31).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface LegacyConfig {
  readonly databaseUrl: string;
  readonly host: string;
  readonly port: number;
  readonly bcryptCost: number;
  readonly logLevel: z.infer<typeof legacyEnvironment>['LOG_LEVEL'];
}

export function loadLegacyConfig(env: NodeJS.ProcessEnv): LegacyConfig {
  const parsed = legacyEnvironment.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`invalid legacy configuration: ${problems}`);
  }
  const { LEGACY_DATABASE_URL, LEGACY_HOST, LEGACY_PORT, LEGACY_BCRYPT_COST, LOG_LEVEL } = parsed.data;
  return { databaseUrl: LEGACY_DATABASE_URL, host: LEGACY_HOST, port: LEGACY_PORT, bcryptCost: LEGACY_BCRYPT_COST, logLevel: LOG_LEVEL };
}
