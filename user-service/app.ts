import express, { type Express } from 'express';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { identityRoutes } from './identity';
import { preferencesRoutes } from './preferences';
import { profileRoutes } from './profile';
import { registrationRoutes } from './registration/registration.routes';
import { routeNotFound, unexpectedFailure } from './platform/json-edge';
import { healthRoutes, requestLogging, requestMetrics } from './platform/observability';
import { Database } from './platform/unit-of-work';
import type { WriteOwnership } from './platform/write-ownership';

export interface UserServiceDependencies {
  /** Logs in as strangler_user_service, which acts only through SET ROLE to a context's role. */
  pool: Pool;
  logger: Logger;
  registry: Registry;
  clock?: () => Date;
  bcryptCost?: number;
  /**
   * Which contexts' writes this service owns now (the migration's control plane). Without it every write is
   * served: for running a context on its own, as the contexts' tests do; `main.ts` always gives one.
   */
  writeOwnership?: WriteOwnership;
}

export const DEFAULT_BCRYPT_COST = 10;

/** The new home of the data in `users`: one app, three bounded contexts, and the processes that span them. */
export function createUserServiceApp({ pool, logger, registry, clock = () => new Date(), bcryptCost = DEFAULT_BCRYPT_COST, writeOwnership }: UserServiceDependencies): Express {
  const db = new Database(pool);
  const deps = { db, clock, bcryptCost };

  const app = express();
  app.disable('x-powered-by');
  // ETags are the aggregates' versions (platform/versioning.ts), not a hash of the body.
  app.set('etag', false);
  // Read by the write routes' guard (platform/write-ownership.ts); per app, so tests build isolated ones.
  app.locals.writeOwnership = writeOwnership;
  app.use(requestLogging(logger));
  app.use(requestMetrics(registry));
  // The router would answer OPTIONS itself, in plain text, for any path it knows; legacy does not either.
  app.options('/{*path}', routeNotFound);

  app.use(healthRoutes(pool, registry));
  app.use(registrationRoutes(deps));
  app.use(identityRoutes(deps));
  app.use(profileRoutes(deps));
  app.use(preferencesRoutes(deps));

  app.use(routeNotFound);
  app.use(unexpectedFailure);
  return app;
}
