import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DrainTimeout, type DrainResult } from '../drain/drain';
import type { CatchUp } from '../forward/caught-up';
import { SourceUnavailable } from '../forward/source-position';
import type { Direction } from '../metrics/sync-metrics';
import { formatPgLsn, isPgLsn, parsePgLsn } from '../postgres/pg-lsn';

/**
 * What the proxy asks the sync, over HTTP rather than through its tables or code: how far the forward sync
 * has got for one user (read-your-writes, shadow lag), and the drain of one direction before an ownership
 * flip. Draining holds an operator action open, so it takes the same bearer token as the admin API; the
 * reads reveal no personal data and are open, like /metrics.
 */
export interface SyncApiDependencies {
  /** user_service, where the forward sync keeps its per-row positions. */
  userService: Pool;
  /** legacy, where the reverse sync creates and erases users' rows. */
  legacy: Pool;
  /** STRANGLER_ADMIN_TOKEN; without one, every drain is refused. */
  token: string | undefined;
  drain(direction: Direction, timeoutMs: number): Promise<DrainResult>;
  /** Legacy's pg_current_wal_lsn(), read by a query that started after the call (SourcePosition). */
  forwardSourcePosition(): Promise<bigint>;
  /** Whether the forward sync has processed the user's partition up to a WAL position (ForwardCatchUp). */
  forwardCaughtUp(usrId: string, lsn: bigint): Promise<CatchUp>;
  logger: Logger;
}

const drainRequest = z.object({ timeoutMs: z.number().int().min(1).max(600_000).default(30_000) }).strict();

function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function syncApiRouter(deps: SyncApiDependencies): Router {
  const router = express.Router();
  // The user routes take the contract's ids (bigint, up to 18 digits); anything else changes nothing and is a 400.
  router.param('id', (_req, res, next, id: string) => {
    if (!/^[1-9][0-9]{0,17}$/.test(id)) return fail(res, 400, 'CDC.INVALID_USER_ID', 'the user id must be a positive integer');
    next();
  });

  router.get('/sync/forward/users/:id', async (req, res) => {
    const id = req.params.id;
    const { rows } = await deps.userService.query<{ commit_lsn: string; source_committed_at: Date | null; applied_at: Date }>(
      'SELECT commit_lsn, source_committed_at, applied_at FROM sync.forward_positions WHERE usr_id = $1',
      [id],
    );
    const row = rows[0];
    res.json({
      usrId: Number(id),
      sourceCommittedAt: row?.source_committed_at?.toISOString() ?? null,
      commitLsn: row?.commit_lsn ?? null,
      appliedAt: row?.applied_at.toISOString() ?? null,
    });
  });

  // Read-your-writes across proxy instances (cdc/README.md): after a write legacy answered, the proxy takes
  // this position and keeps the writer's reads on legacy until caught-up says the sync has reached it.
  router.get('/sync/forward/source-position', async (_req, res) => {
    try {
      res.json({ lsn: formatPgLsn(await deps.forwardSourcePosition()) });
    } catch (error) {
      if (!(error instanceof SourceUnavailable)) throw error;
      deps.logger.warn({ err: error }, 'legacy\'s WAL position could not be read');
      fail(res, 503, 'CDC.SOURCE_UNAVAILABLE', error.message);
    }
  });

  router.get('/sync/forward/users/:id/caught-up', async (req, res) => {
    const { lsn } = req.query;
    if (!isPgLsn(lsn)) return fail(res, 400, 'CDC.INVALID_REQUEST', 'lsn must be one WAL position as pg_lsn text, e.g. 16/B374D848');
    res.json(await deps.forwardCaughtUp(req.params.id, parsePgLsn(lsn)));
  });

  // Whether legacy has the user's row yet: a user signed up (or erased) on the new side exists there (or is
  // gone) only once the reverse sync has applied it; the proxy holds that user's legacy-bound requests until then.
  router.get('/sync/reverse/users/:id', async (req, res) => {
    const id = req.params.id;
    const { rowCount } = await deps.legacy.query('SELECT 1 FROM public.users WHERE usr_id = $1', [id]);
    res.json({ usrId: Number(id), legacyRowExists: (rowCount ?? 0) > 0 });
  });

  router.post('/sync/:direction/drain', express.json({ limit: '1kb' }), async (req, res) => {
    if (!bearerMatches(req.get('authorization'), deps.token)) return fail(res, 401, 'CDC.UNAUTHORIZED', 'a valid bearer token is required');
    const direction = req.params.direction;
    if (direction !== 'forward' && direction !== 'reverse') return fail(res, 404, 'CDC.UNKNOWN_DIRECTION', 'direction must be forward or reverse');
    const parsed = drainRequest.safeParse(req.body ?? {});
    if (!parsed.success) return fail(res, 400, 'CDC.INVALID_REQUEST', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    try {
      const result = await deps.drain(direction, parsed.data.timeoutMs);
      deps.logger.info({ direction, ...result }, 'drained');
      res.json({ direction, drained: true, ...result });
    } catch (error) {
      if (error instanceof DrainTimeout) return fail(res, 504, 'CDC.DRAIN_TIMEOUT', error.message);
      throw error;
    }
  });

  // Express 5 forwards rejected promises here; a malformed JSON body arrives as a 400 from the parser.
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status;
    if (status === 400 || status === 413) return fail(res, status, 'CDC.INVALID_REQUEST', status === 413 ? 'request body too large' : 'malformed JSON body');
    deps.logger.error({ err: error }, 'sync API call failed');
    fail(res, 500, 'CDC.INTERNAL', 'the sync API failed; see the cdc log');
  });
  return router;
}
