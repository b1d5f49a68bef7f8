// The verifier: every row of public.users against the contexts, chunk by chunk in primary-key order,
// through the forward ACL (cdc/verify/drift.ts), then a re-check of what drifted. The two databases
// share no snapshot, so a row a sync is applying during the pass can look drifting; the re-check after
// the pass (Ghostferry's verify-at-cutover, Vitess VDiff's row by row) is what keeps that out of the report.
import { setTimeout as delay } from 'node:timers/promises';
import type { Pool } from 'pg';
import { inTransaction } from '../postgres/in-transaction';
import type { LegacyUserRow } from '../debezium/change-event';
import type { Context } from '../ownership/ownership-map';
import { LEGACY_USERS_SELECT, legacyRowOf } from './legacy-rows';
import { chunkUpperBound, classifyAll, confirmedDrift, LANES, summarise, type ContextDrift, type DriftKind, type Page } from './drift';

export interface VerifyOptions {
  legacy: Pool;
  userService: Pool;
  contexts: readonly Context[];
  /** Rows read per side and statement; each chunk is one short read-only transaction per database. */
  chunkSize: number;
  /** Wait before re-reading drifting rows, so a sync in flight can land. Default 0. */
  recheckDelayMs?: number;
  /**
   * Awaited after the pass (and the delay), before the re-check, when anything drifted: e.g. "until the
   * forward sync's backlog is empty", a condition rather than a guess at a delay.
   */
  beforeRecheck?: () => Promise<void>;
  clock?: () => Date;
}

export interface VerifyReport {
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly chunkSize: number;
  /** Rows of public.users the pass read. */
  readonly legacyRows: number;
  /** Rows (per context) that drifted on the pass; only those still drifting on the re-check are reported. */
  readonly recheckedRows: number;
  readonly contexts: readonly ContextDrift[];
}

/** A short read-only transaction: no lock beyond ACCESS SHARE, no long snapshot. */
function readOnly<T>(pool: Pool, isolation: 'READ COMMITTED' | 'REPEATABLE READ', work: (query: Pool['query']) => Promise<T>): Promise<T> {
  return inTransaction(pool, (client) => work(client.query.bind(client) as Pool['query']), `BEGIN ISOLATION LEVEL ${isolation} READ ONLY`);
}

type Stored = Map<number, { id: number }>;

async function readLegacyPage(pool: Pool, after: number, limit: number): Promise<LegacyUserRow[]> {
  return readOnly(pool, 'READ COMMITTED', async (query) =>
    (await query(`${LEGACY_USERS_SELECT} WHERE usr_id > $1 ORDER BY usr_id LIMIT $2`, [after, limit])).rows.map(legacyRowOf));
}

/** The contexts' pages in one REPEATABLE READ transaction, so the contexts are read at one instant. */
async function readContextPages(pool: Pool, contexts: readonly Context[], after: number, limit: number): Promise<Map<Context, { id: number }[]>> {
  return readOnly(pool, 'REPEATABLE READ', async (query) => {
    const pages = new Map<Context, { id: number }[]>();
    for (const context of contexts) {
      const { target } = LANES[context];
      const { rows } = await query(`SELECT id, ${target.columns.join(', ')} FROM ${target.table} WHERE id > $1 ORDER BY id LIMIT $2`, [after, limit]);
      pages.set(context, rows.map((row: Record<string, unknown>) => target.fromRow(row)));
    }
    return pages;
  });
}

async function readLegacyIds(pool: Pool, ids: readonly number[]): Promise<LegacyUserRow[]> {
  return readOnly(pool, 'READ COMMITTED', async (query) =>
    (await query(`${LEGACY_USERS_SELECT} WHERE usr_id = ANY($1::bigint[])`, [ids])).rows.map(legacyRowOf));
}

async function readContextIds(pool: Pool, context: Context, ids: readonly number[]): Promise<{ id: number }[]> {
  const { target } = LANES[context];
  return readOnly(pool, 'READ COMMITTED', async (query) =>
    (await query(`SELECT id, ${target.columns.join(', ')} FROM ${target.table} WHERE id = ANY($1::bigint[])`, [ids])).rows.map((row: Record<string, unknown>) => target.fromRow(row)));
}

const byId = <T extends { id: number }>(rows: readonly T[]): Map<number, T> => new Map(rows.map((row) => [row.id, row]));
const legacyById = (rows: readonly LegacyUserRow[]): Map<number, LegacyUserRow> => new Map(rows.map((row) => [row.usr_id, row]));

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function verifyContexts({ legacy, userService, contexts, chunkSize, recheckDelayMs = 0, beforeRecheck, clock = () => new Date() }: VerifyOptions): Promise<VerifyReport> {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new Error(`chunkSize must be a positive integer, got ${chunkSize}`);
  if (contexts.length === 0) throw new Error('no context to verify');
  const startedAt = clock();
  const firstPass = new Map<Context, Map<number, DriftKind>>(contexts.map((context) => [context, new Map()]));
  let legacyRows = 0;

  // Keyset pagination over usr_id / id: every statement reads at most chunkSize rows per side.
  let after = 0;
  for (;;) {
    const legacyPage = await readLegacyPage(legacy, after, chunkSize);
    const contextPages = await readContextPages(userService, contexts, after, chunkSize);
    const pages: Page[] = [
      { ids: legacyPage.map((row) => row.usr_id), full: legacyPage.length === chunkSize },
      ...[...contextPages.values()].map((rows) => ({ ids: rows.map((row) => row.id), full: rows.length === chunkSize })),
    ];
    const bound = chunkUpperBound(pages);
    const legacyInChunk = legacyById(legacyPage.filter((row) => row.usr_id <= bound));
    legacyRows += legacyInChunk.size;
    for (const context of contexts) {
      const stored: Stored = byId((contextPages.get(context) ?? []).filter((row) => row.id <= bound));
      for (const [id, kind] of classifyAll(LANES[context], legacyInChunk, stored)) firstPass.get(context)!.set(id, kind);
    }
    if (bound === Number.POSITIVE_INFINITY) break;
    after = bound;
  }

  const recheckedRows = [...firstPass.values()].reduce((sum, drift) => sum + drift.size, 0);
  if (recheckedRows > 0 && recheckDelayMs > 0) await delay(recheckDelayMs);
  if (recheckedRows > 0 && beforeRecheck) await beforeRecheck();

  const results: ContextDrift[] = [];
  for (const context of contexts) {
    const flagged = firstPass.get(context)!;
    const recheck = new Map<number, DriftKind>();
    for (const ids of chunks([...flagged.keys()], chunkSize)) {
      // Legacy first, then the context: a forward sync in flight has had the longest to land by then.
      const legacyNow = legacyById(await readLegacyIds(legacy, ids));
      const storedNow: Stored = byId(await readContextIds(userService, context, ids));
      for (const [id, kind] of classifyAll(LANES[context], legacyNow, storedNow)) recheck.set(id, kind);
    }
    results.push(summarise(context, confirmedDrift(flagged, recheck)));
  }
  return { startedAt, finishedAt: clock(), chunkSize, legacyRows, recheckedRows, contexts: results };
}
