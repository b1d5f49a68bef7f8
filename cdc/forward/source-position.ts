import { parsePgLsn } from '../postgres/pg-lsn';

/** The part of a pg Pool this needs: one query with a client-side timeout. */
export interface WalPositionSource {
  query(config: { text: string; query_timeout: number }): Promise<{ rows: { lsn: string }[] }>;
}

/** Legacy could not be read in time: the sync API answers 503 CDC.SOURCE_UNAVAILABLE. */
export class SourceUnavailable extends Error {}

const CURRENT_WAL_LSN = 'SELECT pg_current_wal_lsn()::text AS lsn';

/**
 * Legacy's WAL position now (`pg_current_wal_lsn()`), which the proxy takes after legacy has answered a
 * write: it is then at or past that write's commit. Many writes are answered at once, so callers share a
 * query, but only one that started after they called: a query already under way may have read the
 * position before the caller's write committed, and a position before the write would release the
 * writer's reads too early. So at most one query runs; callers arriving meanwhile join the next one,
 * which starts as soon as it has settled. Each caller waits at most two queries, legacy sees at most one.
 */
export class SourcePosition {
  private running: Promise<bigint> | undefined;
  private next: Promise<bigint> | undefined;

  constructor(
    private readonly legacy: WalPositionSource,
    private readonly timeoutMs: number,
  ) {}

  /** A position read by a query that started after this call. */
  now(): Promise<bigint> {
    if (this.next) return this.next;
    if (!this.running) return this.start();
    const settled = this.running.then(() => undefined, () => undefined);
    this.next = settled.then(() => {
      this.next = undefined;
      return this.start();
    });
    return this.next;
  }

  private start(): Promise<bigint> {
    const query = this.read().finally(() => {
      if (this.running === query) this.running = undefined;
    });
    this.running = query;
    return query;
  }

  private async read(): Promise<bigint> {
    let timer: NodeJS.Timeout | undefined;
    // The pg timeout frees the connection (pg-pool discards a client whose query failed); the race also
    // bounds the wait for a connection, which a pool with no free client or an unreachable server holds.
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new SourceUnavailable(`legacy's WAL position was not read within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const { rows } = await Promise.race([this.legacy.query({ text: CURRENT_WAL_LSN, query_timeout: this.timeoutMs }), timedOut]);
      const lsn = rows[0]?.lsn;
      if (lsn === undefined) throw new SourceUnavailable('pg_current_wal_lsn() returned no row');
      return parsePgLsn(lsn);
    } catch (error) {
      if (error instanceof SourceUnavailable) throw error;
      throw new SourceUnavailable(`legacy's WAL position could not be read: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
