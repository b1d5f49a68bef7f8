// The proxy's admin port (CONTRACT.md, "Operator surfaces"): /healthz, /metrics and the operator console's
// static page (console/) for anyone, and under /admin the operators' calls, each behind the bearer token.
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler, type Response } from 'express';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { AdminFailure } from './admin-failure';
import { consoleRouter } from './console/console-assets';
import { parseActor, parseCanary, parseContext, parseListQuery, parsePromote, parseRollback } from './admin-requests';
import type { AdminSettings } from './admin-settings';
import { fetchSync, gatherFacts, listAudit, listShadowMismatches, promoteContext, readContexts, rollbackContext, setCanaryPercent, type Applied, type ControlPlane, type DryRun } from './context-changes';
import { evaluateGuards, failedGuards, type SyncFacts } from './promotion-guards';
import { listInstances, registerInstancesGauge } from './proxy-instances';
import { nextStage, writesOwnerOf, type Context } from './stage-transitions';

export interface AdminDependencies {
  /** The control plane, database `strangler`. */
  control: Pool;
  /** STRANGLER_ADMIN_TOKEN; undefined means every admin call is refused. */
  token: string | undefined;
  cdcUrl: string;
  logger: Logger;
  clock: () => Date;
  registry: Registry;
  /** The proxy's own health, as the data plane reports it. */
  health: () => { healthy: boolean; [key: string]: unknown };
  settings: AdminSettings;
}

export const MAX_ADMIN_BODY_BYTES = 16 * 1024;

function send(res: Response, failure: AdminFailure): void {
  if (failure.code === 'ADMIN.UNAUTHORIZED') res.set('www-authenticate', 'Bearer realm="strangler-admin"');
  res.status(failure.status).json(failure.toJSON());
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Bearer token, compared in constant time (digests of equal length, so neither the content nor the length
 * of the configured token leaks through timing). No token configured: nothing is open.
 */
function requireToken(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, res, next) => {
    if (expected === undefined) return send(res, new AdminFailure('ADMIN.UNAUTHORIZED', 'the admin API has no token configured (STRANGLER_ADMIN_TOKEN) and refuses every call'));
    const match = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) return send(res, new AdminFailure('ADMIN.UNAUTHORIZED', 'missing or wrong bearer token'));
    next();
  };
}

function jsonBody(): RequestHandler {
  const parse = express.json({ limit: MAX_ADMIN_BODY_BYTES, strict: false, type: () => true });
  return (req, res, next) => {
    const length = req.headers['content-length'];
    const declaresBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (!declaresBody) return next();
    if (!req.is('application/json')) return send(res, new AdminFailure('ADMIN.UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'));
    parse(req, res, (error?: unknown) => {
      if (error === undefined) return next();
      const type = (error as { type?: unknown }).type;
      if (type === 'entity.too.large') return send(res, new AdminFailure('ADMIN.PAYLOAD_TOO_LARGE', `the body exceeds ${MAX_ADMIN_BODY_BYTES} bytes`));
      if (type === 'entity.parse.failed') return send(res, new AdminFailure('ADMIN.INVALID_REQUEST', `the body is not valid JSON: ${(error as Error).message}`));
      if (type === 'charset.unsupported' || type === 'encoding.unsupported') return send(res, new AdminFailure('ADMIN.UNSUPPORTED_MEDIA_TYPE', 'the body must be UTF-8 JSON'));
      next(error);
    });
  };
}

function changeCounter(registry: Registry): Counter<'context' | 'action' | 'outcome'> {
  const existing = registry.getSingleMetric('strangler_admin_changes_total');
  if (existing) return existing as Counter<'context' | 'action' | 'outcome'>;
  return new Counter({
    name: 'strangler_admin_changes_total',
    help: 'Operator changes through the admin API, by context, action (promote, rollback, canary) and outcome (applied, dry-run, refused, failed)',
    labelNames: ['context', 'action', 'outcome'] as const,
    registers: [registry],
  });
}

function syncSummary(sync: SyncFacts, direction: 'forward' | 'reverse') {
  if (!sync.reachable) return { direction, reachable: false, reason: sync.reason };
  const worker = sync.workers.find((w) => w.name === direction);
  if (!worker) return { direction, reachable: true, running: false, reason: `no ${direction} worker reported` };
  return { direction, reachable: true, state: worker.state, healthy: worker.healthy, backlog: worker.backlog, lagSeconds: worker.lastLagSeconds ?? null, ...(worker.reason ? { reason: worker.reason } : {}) };
}

export function createAdminApp(deps: AdminDependencies): Express {
  const { control, token, logger, registry, health, settings } = deps;
  const changes = changeCounter(registry);
  registerInstancesGauge(registry, control, (error) => logger.warn({ err: error }, 'cannot count the proxy instances for strangler_proxy_instances'));

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    const report = health();
    res.status(report.healthy ? 200 : 503).json({ status: report.healthy ? 'ok' : 'unhealthy', ...report });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  // The page holds no data and no secret; it calls /admin below with the token the operator types.
  app.use(consoleRouter());

  const admin = express.Router();
  admin.use(requireToken(token));
  admin.use(jsonBody());

  // Behind requireToken, so `token` is set whenever a change runs.
  const controlPlane: ControlPlane = { control, logger, clock: deps.clock, token: token!, cdcUrl: deps.cdcUrl, settings };

  const actorOf = (req: Request) => parseActor(req.headers['x-strangler-actor']);

  /** Answers a change; counts it. */
  const answer = (res: Response, context: string, action: string, outcome: Applied | DryRun | AdminFailure) => {
    if (outcome instanceof AdminFailure) {
      changes.inc({ context, action, outcome: outcome.code === 'ADMIN.GUARDS_FAILED' ? 'refused' : 'failed' });
      return send(res, outcome);
    }
    changes.inc({ context, action, outcome: outcome.dryRun ? 'dry-run' : 'applied' });
    res.status(200).json(outcome);
  };

  admin.get('/contexts', async (_req, res) => {
    const [sync, rows, instances] = await Promise.all([fetchSync(controlPlane), readContexts(control), listInstances(control)]);
    const contexts = await Promise.all(
      rows.map(async (row) => {
        const next = nextStage(row.stage);
        const guards = next === undefined ? [] : evaluateGuards(next, await gatherFacts(control, row, sync), settings.guards, deps.clock());
        const writesOwner = writesOwnerOf(row.stage);
        return {
          context: row.context,
          stage: row.stage,
          canaryPercent: row.canaryPercent,
          version: row.version,
          changedAt: row.changedAt.toISOString(),
          writesOwner,
          writesHeld: row.writesHeldSince === null ? null : { since: row.writesHeldSince.toISOString(), reason: row.writesHeldReason },
          next: next === undefined ? null : { stage: next, allowed: failedGuards(guards).length === 0, guards },
          // The direction that carries this context's writes to the other side right now.
          sync: syncSummary(sync, writesOwner === 'legacy' ? 'forward' : 'reverse'),
        };
      }),
    );
    res.json({ contexts, instances, cdc: sync.reachable ? { reachable: true, workers: sync.workers } : { reachable: false, reason: sync.reason } });
  });

  /**
   * A change to one context: the context, the body and the actor are checked in that order (the first bad one
   * answers), then the use case runs against the control plane and its outcome is answered and counted.
   */
  const changeRoute =
    <I>(action: string, parseBody: (body: unknown) => I | AdminFailure, change: (plane: ControlPlane, request: I & { context: Context; actor: string }) => Promise<Applied | DryRun | AdminFailure>) =>
    async (req: Request, res: Response) => {
      const context = parseContext(req.params.context);
      if (context instanceof AdminFailure) return send(res, context);
      const input = parseBody(req.body);
      if (input instanceof AdminFailure) return send(res, input);
      const actor = actorOf(req);
      if (actor instanceof AdminFailure) return send(res, actor);
      answer(res, context, action, await change(controlPlane, { ...input, context, actor }));
    };

  admin.post('/contexts/:context/promote', changeRoute('promote', parsePromote, promoteContext));
  admin.post('/contexts/:context/rollback', changeRoute('rollback', parseRollback, rollbackContext));
  admin.put('/contexts/:context/canary', changeRoute('canary', parseCanary, setCanaryPercent));

  admin.get('/audit', async (req, res) => {
    const filter = parseListQuery(req.query);
    if (filter instanceof AdminFailure) return send(res, filter);
    res.json({ entries: await listAudit(control, filter) });
  });

  admin.get('/shadow/mismatches', async (req, res) => {
    const filter = parseListQuery(req.query);
    if (filter instanceof AdminFailure) return send(res, filter);
    res.json({ mismatches: await listShadowMismatches(control, filter) });
  });

  app.use('/admin', admin);
  app.use((req, res) => send(res, new AdminFailure('ADMIN.ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  const unexpected: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    if (error instanceof URIError) return send(res, new AdminFailure('ADMIN.INVALID_REQUEST', 'the path has an invalid %-escape'));
    logger.error({ err: error, method: req.method, path: req.path }, 'admin request failed unexpectedly');
    if (res.headersSent) return void res.destroy();
    send(res, new AdminFailure('INTERNAL', 'an unexpected error occurred'));
  };
  app.use(unexpected);
  return app;
}
