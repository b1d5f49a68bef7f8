// The verifier's results in the control plane (control.verify_runs, control.verify_drift) and the gauge
// dashboards read them through: strangler_verify_drift_rows{context,kind} (CONTRACT.md).
import type { Pool } from 'pg';
import { inTransaction } from '../postgres/in-transaction';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { CONTEXTS, type Context } from '../ownership/ownership-map';
import { DRIFT_KINDS, type DriftKind } from './drift';
import type { VerifyReport } from './verify-contexts';

/** Ids kept per run, context and kind; the count stays exact beyond it. */
export const MAX_STORED_IDS = 1_000;

/** Stores a finished run in one transaction and returns its id. */
export function recordVerifyRun(control: Pool, report: VerifyReport): Promise<number> {
  return inTransaction(control, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      'INSERT INTO control.verify_runs (contexts, chunk_size, legacy_rows, started_at, finished_at) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [report.contexts.map((c) => c.context), report.chunkSize, report.legacyRows, report.startedAt, report.finishedAt],
    );
    const runId = Number(rows[0]!.id);
    for (const drift of report.contexts) {
      for (const kind of DRIFT_KINDS) {
        const ids = drift.ids[kind];
        await client.query(
          'INSERT INTO control.verify_drift (run_id, context, kind, row_count, ids, ids_truncated) VALUES ($1, $2, $3, $4, $5, $6)',
          [runId, drift.context, kind, drift.counts[kind], ids.slice(0, MAX_STORED_IDS), ids.length > MAX_STORED_IDS],
        );
      }
    }
    return runId;
  });
}

export interface LatestDrift {
  readonly context: Context;
  readonly kind: DriftKind;
  readonly rows: number;
  readonly runId: number;
  readonly finishedAt: Date;
}

/** Per context and kind, the count of the latest run that verified that context. */
export async function latestDrift(control: Pool): Promise<LatestDrift[]> {
  const { rows } = await control.query<{ context: Context; kind: DriftKind; row_count: string; run_id: string; finished_at: Date }>(
    `SELECT DISTINCT ON (d.context, d.kind) d.context, d.kind, d.row_count, d.run_id, r.finished_at
       FROM control.verify_drift d JOIN control.verify_runs r ON r.id = d.run_id
      ORDER BY d.context, d.kind, d.run_id DESC`,
  );
  return rows.map((row) => ({ context: row.context, kind: row.kind, rows: Number(row.row_count), runId: Number(row.run_id), finishedAt: row.finished_at }));
}

/**
 * strangler_verify_drift_rows{context,kind}: read from the control plane on every scrape, so every process
 * that registers it (the cdc workers, the proxy) shows the latest run whoever ran it. A context never
 * verified has no series. When the control plane cannot be read the previous values stay and the failure
 * is logged: one unreachable table must not fail the whole /metrics.
 */
export function registerVerifyDriftGauge(registry: Registry, control: Pool, logger?: Logger): Gauge<'context' | 'kind'> {
  return new Gauge({
    name: 'strangler_verify_drift_rows',
    help: 'Rows the latest verifier run found drifting between legacy and a context, by kind (missing, extra, different, unsyncable)',
    labelNames: ['context', 'kind'] as const,
    registers: [registry],
    async collect() {
      let latest: LatestDrift[];
      try {
        latest = await latestDrift(control);
      } catch (error) {
        logger?.warn({ err: error }, 'could not read the latest verifier run; strangler_verify_drift_rows keeps its previous values');
        return;
      }
      for (const { context, kind, rows } of latest) {
        if ((CONTEXTS as readonly string[]).includes(context)) this.set({ context, kind }, rows);
      }
    },
  });
}
