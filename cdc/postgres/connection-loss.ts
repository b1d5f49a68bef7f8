import type { Pool } from 'pg';
import type { Logger } from 'pino';

/**
 * PostgreSQL errors that mean "the connection or the server went away", as opposed to a statement that
 * failed: class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now),
 * and the client-side errors of a socket that closed or never opened. Anything else is a real failure.
 */
const LOST_SQLSTATES = /^(08|57P0[123])/;
const LOST_CLIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const LOST_MESSAGES = /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect|Query read timeout/i;

export function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (LOST_SQLSTATES.test(code) || LOST_CLIENT_CODES.has(code))) return true;
  return LOST_MESSAGES.test(error.message);
}

/**
 * A pool whose connections may die under it (a restart, a failover, a cut network). node-postgres emits
 * 'error' on the pool for an idle client and on the client itself for one that is checked out; without a
 * listener for the latter the process dies of an unhandled 'error' event (brianc/node-postgres#1324,
 * #2112). The checked-out client's error reaches its caller anyway, as the rejection of its next query.
 */
export function watchPool(pool: Pool, name: string, logger: Logger, onLost: (name: string) => void): Pool {
  pool.on('error', (error) => {
    onLost(name);
    logger.warn({ err: error, database: name }, 'an idle database connection was lost');
  });
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      onLost(name);
      logger.warn({ err: error, database: name }, 'a database connection in use was lost');
    });
  });
  return pool;
}

export interface RetryOptions {
  /** What is being retried, for the log. */
  readonly what: string;
  readonly logger: Logger;
  /** Called before each wait; a consumer's session must be kept alive meanwhile. */
  readonly onRetry?: (attempt: number, error: Error) => void | Promise<void>;
  /** Stops retrying (and rethrows) once this says so, e.g. the consumer is stopping. */
  readonly giveUp?: () => boolean;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The wait before retry `attempt` (0-based): exponential, capped, with half of it jittered. */
export function backoffMs(attempt: number, initialDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * Runs `work` again after a lost connection, with capped exponential backoff and jitter, until it succeeds
 * or fails for any other reason. `work` must be safe to repeat: the syncs' batches are (one transaction,
 * rolled back by the server when its connection dies, and positions that refuse what was applied if the
 * connection died during COMMIT after all).
 */
export async function retryOnConnectionLoss<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { initialDelayMs = 100, maxDelayMs = 5_000, random = Math.random, sleep = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)) } = options;
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await work();
      if (attempt > 0) options.logger.info({ what: options.what, attempts: attempt + 1 }, 'succeeded again after a lost database connection');
      return result;
    } catch (error) {
      if (!isConnectionLoss(error) || options.giveUp?.()) throw error;
      const delay = backoffMs(attempt, initialDelayMs, maxDelayMs, random);
      if (attempt === 0 || attempt % 10 === 0) options.logger.warn({ err: error, what: options.what, attempt, retryInMs: delay }, 'lost the database connection: rolled back, retrying');
      await options.onRetry?.(attempt, error as Error);
      await sleep(delay);
    }
  }
}
