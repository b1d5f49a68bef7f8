import { z } from 'zod';

const environment = z.object({
  // The service's own login role: member of the context roles, no rights of its own.
  USER_SERVICE_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://strangler_user_service@127.0.0.1:55432/user_service'),
  // The schemas' owner, used only to apply the contexts' migrations at start.
  USER_SERVICE_ADMIN_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:55432/user_service'),
  // When set, the start-up gives the login role this password (servers that check passwords, e.g. compose).
  USER_SERVICE_DB_PASSWORD: z.string().min(1).optional(),
  // The migration's control plane: which contexts' writes this service owns at their current stage.
  STRANGLER_CONTROL_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:55432/strangler'),
  USER_SERVICE_HOST: z.string().min(1).default('127.0.0.1'),
  USER_SERVICE_PORT: z.coerce.number().int().min(0).max(65_535).default(8083),
  USER_SERVICE_BCRYPT_COST: z.coerce.number().int().min(4).max(31).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type UserServiceConfig = z.infer<typeof environment>;

export function loadUserServiceConfig(env: NodeJS.ProcessEnv): UserServiceConfig {
  const parsed = environment.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid user-service configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
