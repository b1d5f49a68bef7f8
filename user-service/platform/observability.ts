import { Router, type RequestHandler } from 'express';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { Counter, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';

/** First handler of a context's routes: names the context for the metrics' `context` label. */
export function inContext(context: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.context = context;
    next();
  };
}

/**
 * One line per request, without bodies or query strings: emails and passwords travel in both. The
 * `detail` of a PostgreSQL error quotes the offending values (the email of a unique violation, the whole
 * row, password hash included, of a failed check), so it is censored too.
 */
export function requestLogging(logger: Logger) {
  return pinoHttp({
    logger: logger.child({}, { redact: { paths: ['err.detail'], censor: '[redacted]' } }),
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: {
      req: (req: { method: string; url: string; id: unknown }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
  });
}

/** Counts and times requests by route pattern, never by raw path: an id in a label is a series per user. */
export function requestMetrics(registry: Registry): RequestHandler {
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'user_service_http_requests_total',
    help: 'HTTP requests answered by the user-service',
    labelNames: ['context', 'route', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'user_service_http_request_duration_seconds',
    help: 'Time to answer an HTTP request in the user-service',
    labelNames: ['context', 'route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = {
        context: (res.locals.context as string | undefined) ?? 'none',
        route: (req.route as { path?: string } | undefined)?.path ?? '(unmatched)',
        method: req.method,
      };
      requests.inc({ ...labels, status: String(res.statusCode) });
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

export function healthRoutes(pool: Pool, registry: Registry): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    try {
      await pool.query({ text: 'select 1', query_timeout: 2_000 } as never);
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database does not answer' });
    }
  });
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
