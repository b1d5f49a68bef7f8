import { Router } from 'express';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { inModule } from './request-metrics';

const DATABASE_PROBE_TIMEOUT_MS = 2_000;

async function databaseAnswers(pool: Pool, log: Logger): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), DATABASE_PROBE_TIMEOUT_MS);
  });
  try {
    // A pool without connectionTimeoutMillis waits forever for an unreachable server; the probe must not.
    return await Promise.race([pool.query('select 1').then(() => true), timeout]);
  } catch (error) {
    log.warn({ err: error }, 'health probe: the database did not answer');
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(pool: Pool, registry: Registry): Router {
  const router = Router();
  router.get('/healthz', inModule('http'), async (req, res) => {
    if (await databaseAnswers(pool, req.log)) res.json({ status: 'ok' });
    else res.status(503).json({ status: 'unavailable', reason: 'the database does not answer' });
  });
  router.get('/metrics', inModule('http'), async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
