import express, { type Express } from 'express';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { authRoutes } from './auth/auth.routes';
import { createPasswords } from './auth/passwords';
import { routeNotFound, unexpectedFailure } from './http/fallbacks';
import { healthRoutes } from './http/health-routes';
import { requestLogging } from './http/request-logging';
import { requestMetrics } from './http/request-metrics';
import { profileRoutes } from './profile/profile.routes';
import { reportingRoutes } from './reporting/reporting.routes';
import { settingsRoutes } from './settings/settings.routes';

export interface LegacyAppDependencies {
  readonly pool: Pool;
  readonly logger: Logger;
  readonly registry: Registry;
  /** bcrypt cost for new password hashes; existing hashes carry their own. */
  readonly bcryptCost?: number;
}

export const DEFAULT_BCRYPT_COST = 10;

/** The monolith: every public API route, each module reading and writing `public.users` with its own SQL. */
export function createLegacyApp({ pool, logger, registry, bcryptCost = DEFAULT_BCRYPT_COST }: LegacyAppDependencies): Express {
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });

  const app = express();
  app.disable('x-powered-by');
  // Express's ETag hashes the body; the public API's versions (If-Match, 412) are not legacy's to invent.
  app.set('etag', false);
  app.use(requestLogging(logger));
  app.use(requestMetrics(registry));
  // The router would answer OPTIONS itself, in plain text, for any path it knows.
  app.options('/{*path}', routeNotFound);

  app.use(healthRoutes(pool, registry));
  app.use(authRoutes(pool, createPasswords(bcryptCost)));
  app.use(profileRoutes(pool));
  app.use(settingsRoutes(pool));
  app.use(reportingRoutes(pool));

  app.use(routeNotFound);
  app.use(unexpectedFailure);
  return app;
}
