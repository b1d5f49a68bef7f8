import type { RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

export type LegacyModule = 'auth' | 'profile' | 'settings' | 'reporting' | 'http';

/** First handler of every route: names the monolith module that answered, for the metrics' `module` label. */
export function inModule(module: LegacyModule): RequestHandler {
  return (_req, res, next) => {
    res.locals.legacyModule = module;
    next();
  };
}

function existingOr<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/**
 * Counts and times every request by route pattern, never by raw path: ids in a label would give each user
 * their own time series.
 */
export function requestMetrics(registry: Registry): RequestHandler {
  const requests = existingOr(registry, 'legacy_http_requests_total', () =>
    new Counter({
      name: 'legacy_http_requests_total',
      help: 'HTTP requests answered by the legacy monolith',
      labelNames: ['module', 'route', 'method', 'status'] as const,
      registers: [registry],
    }),
  );
  const duration = existingOr(registry, 'legacy_http_request_duration_seconds', () =>
    new Histogram({
      name: 'legacy_http_request_duration_seconds',
      help: 'Time to answer an HTTP request in the legacy monolith',
      labelNames: ['module', 'route', 'method'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  );
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = {
        module: (res.locals.legacyModule as LegacyModule | undefined) ?? 'http',
        // req.route survives until the response ends; unmatched requests share one label.
        route: (req.route as { path?: string } | undefined)?.path ?? '(unmatched)',
        method: req.method,
      };
      requests.inc({ ...labels, status: String(res.statusCode) });
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
