import type { NextFunction, RequestHandler, Response } from 'express';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { Failure } from './failure';
import { sendFailure } from './json-edge';

/**
 * Whether this service owns a context's writes right now, from the migration's control plane
 * (control.context_stages in database `strangler`: the one switch of ownership, which the proxy and the
 * syncs read too). The service refuses the writes of a context it does not own, so a proxy instance acting
 * on stale stages cannot split the writes between the two sides: nothing it sends here too early is kept.
 *
 * "Owns" is a stage of `writes` or `retired`. A write hold changes nothing here: the writes a proxy instance
 * forwarded before it confirmed the hold are the ones the hand-over waits for, and they must be able to finish
 * on the side that still owns them; instances stop sending by themselves (confirmation, lease). A positive answer is trusted for
 * `cacheMs`; any other answer is read afresh before a write is refused, so a flip to the new side is honoured
 * the moment it commits. A control plane that cannot be read for longer than `maxStaleMs` fails closed.
 */
export interface WriteOwnershipOptions {
  readonly control: Pool;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly cacheMs?: number;
  readonly maxStaleMs?: number;
  readonly now?: () => number;
}

interface Reading {
  readonly owned: ReadonlySet<string>;
  readonly at: number;
}

export type Ownership = { readonly owned: true } | { readonly owned: false; readonly reason: 'not-owner' | 'unknown' };

const OWNING_STAGES = "('writes', 'retired')";

export class WriteOwnership {
  private reading: Reading | undefined;
  private inFlight: { readonly startedAt: number; readonly reading: Promise<Reading> } | undefined;
  private readonly refused: Counter<'context' | 'reason'>;
  private readonly now: () => number;

  constructor(private readonly options: WriteOwnershipOptions) {
    this.now = options.now ?? (() => performance.now());
    this.refused = new Counter({
      name: 'user_service_writes_refused_total',
      help: 'Writes refused with 503 MIGRATION.WRITES_NOT_OWNED: the context is not owned by this service at its stage (not-owner) or the control plane could not be read (unknown)',
      labelNames: ['context', 'reason'] as const,
      registers: [options.registry],
    });
  }

  async ownership(context: string): Promise<Ownership> {
    const arrivedAt = this.now();
    const cached = this.reading;
    if (cached && cached.owned.has(context) && arrivedAt - cached.at < (this.options.cacheMs ?? 250)) return { owned: true };
    try {
      const fresh = await this.readSince(arrivedAt);
      return fresh.owned.has(context) ? { owned: true } : { owned: false, reason: 'not-owner' };
    } catch (error) {
      const last = this.reading;
      // A brief outage of the control plane: the last answer stands for a bounded time, then writes stop.
      if (last && this.now() - last.at < (this.options.maxStaleMs ?? 5_000)) return last.owned.has(context) ? { owned: true } : { owned: false, reason: 'not-owner' };
      this.options.logger.warn({ err: error, context }, 'cannot read the control plane: refusing the write');
      return { owned: false, reason: 'unknown' };
    }
  }

  /** Lets a write of `context` go on (`next`), or answers it 503 MIGRATION.WRITES_NOT_OWNED, counted. */
  admit(context: string, res: Response, next: NextFunction): void {
    this.ownership(context).then((answer) => {
      if (answer.owned) return next();
      this.refused.inc({ context, reason: answer.reason });
      res.set('retry-after', '1');
      const message = answer.reason === 'unknown' ? `cannot tell whether this service owns ${context}'s writes right now; retry shortly` : `${context}'s writes are not served here at its current migration stage; retry shortly`;
      sendFailure(res, new Failure('MIGRATION.WRITES_NOT_OWNED', message));
    }, next);
  }

  /**
   * A reading taken after `arrivedAt`: a query already under way is shared only if it started after the
   * write arrived. One that started before could miss a flip that committed in between, and refuse a write
   * the service owns by the time it arrived.
   */
  private readSince(arrivedAt: number): Promise<Reading> {
    if (this.inFlight && this.inFlight.startedAt > arrivedAt) return this.inFlight.reading;
    const startedAt = this.now();
    const reading = this.options.control
      .query<{ context: string }>({ text: `SELECT context FROM control.context_stages WHERE stage IN ${OWNING_STAGES}`, query_timeout: 1_000 } as never)
      .then(({ rows }) => {
        const fresh = { owned: new Set(rows.map((row) => row.context)), at: startedAt };
        if (!this.reading || this.reading.at <= startedAt) this.reading = fresh;
        return fresh;
      })
      .finally(() => {
        if (this.inFlight?.reading === reading) this.inFlight = undefined;
      });
    this.inFlight = { startedAt, reading };
    return reading;
  }
}

/**
 * The guard of one context's write routes. Without an ownership source in the app (`app.locals`), as in
 * the contexts' own tests that run without a control plane, every write passes.
 */
export function writesOwnedBy(context: string): RequestHandler {
  return (req, res, next) => {
    const ownership = req.app.locals.writeOwnership as WriteOwnership | undefined;
    if (!ownership) return next();
    ownership.admit(context, res, next);
  };
}
