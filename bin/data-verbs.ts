// `strangler verify` and `strangler resync` against the databases named by the cdc's own environment
// variables (cdc/config.ts), and how their results are printed.
import { Pool } from 'pg';
import pino from 'pino';
import { loadCdcConfig } from '../cdc/config';
import { resync, type ResyncResult } from '../cdc/resync/resync';
import { DRIFT_KINDS, isDrifting } from '../cdc/verify/drift';
import { verifyContexts, type VerifyReport } from '../cdc/verify/verify-contexts';
import { recordVerifyRun } from '../cdc/verify/verify-runs';
import { runMigrationSet } from '../migrations/migrate';
import { migrationSets } from '../migrations/migration-sets';
import { EXIT, type DataVerbs, type ResyncRequest, type VerifyRequest } from './program';

/** Ids shown per context and kind in the table; --json has them all. */
const SHOWN_IDS = 5;

export function renderVerifyReport(report: VerifyReport, runId: number): string {
  const header = ['context', ...DRIFT_KINDS];
  const rows = report.contexts.map((drift) => [drift.context, ...DRIFT_KINDS.map((kind) => String(drift.counts[kind]))]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const out = [line(header), ...rows.map(line)];
  for (const drift of report.contexts) {
    for (const kind of DRIFT_KINDS) {
      const ids = drift.ids[kind];
      if (ids.length === 0) continue;
      const more = ids.length > SHOWN_IDS ? ` … (${ids.length - SHOWN_IDS} more)` : '';
      out.push(`${drift.context} ${kind}: ${ids.slice(0, SHOWN_IDS).join(', ')}${more}`);
    }
  }
  const drifting = report.contexts.filter(isDrifting).map((drift) => drift.context);
  const took = report.finishedAt.getTime() - report.startedAt.getTime();
  out.push(`${report.legacyRows} legacy rows compared in ${took} ms (run ${runId}); ${drifting.length === 0 ? 'clean' : `DRIFT in ${drifting.join(', ')}`}`);
  return `${out.join('\n')}\n`;
}

export function renderResyncResult(result: ResyncResult): string {
  const out: string[] = [];
  if (result.writesOwner === 'legacy') {
    out.push(`${result.context}: legacy owns the writes; the forward sync re-applies the rows Debezium re-reads`);
    for (const signal of result.signals) out.push(`  signal ${signal.signalId}: ${signal.ids === 'all' ? 'every row of public.users' : `${signal.ids.length} row(s)`}`);
    if (result.erased.length > 0) out.push(`  erased from the context (no legacy row): ${result.erased.join(', ')}`);
  } else {
    out.push(`${result.context}: the new service owns the writes; legacy's columns rewritten from the context`);
    out.push(`  rewritten ${result.rewritten.length}, inserted ${result.inserted.length}, already equal ${result.unchanged}, refused ${result.refused.length}`);
    for (const refusal of result.refused) out.push(`  refused ${refusal.id}: ${refusal.code} ${refusal.reason}`);
  }
  for (const skip of result.skipped) out.push(`  skipped ${skip.id}: ${skip.reason}`);
  return `${out.join('\n')}\n`;
}

interface Io {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
}

export function dataVerbs({ env, stdout }: Io): DataVerbs {
  // Operational messages go to stderr so that stdout stays the report (and valid JSON with --json).
  const logger = pino({ name: 'strangler', level: env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  return {
    async verify(request: VerifyRequest) {
      const config = loadCdcConfig(env);
      // The results table is the control plane's; the CLI may run before the cdc process ever migrated it.
      await runMigrationSet(migrationSets.control, config.STRANGLER_CONTROL_DATABASE_URL, { logger });
      const pools = {
        legacy: new Pool({ connectionString: config.CDC_LEGACY_DATABASE_URL, max: 2 }),
        userService: new Pool({ connectionString: config.CDC_USER_SERVICE_DATABASE_URL, max: 2 }),
        control: new Pool({ connectionString: config.STRANGLER_CONTROL_DATABASE_URL, max: 1 }),
      };
      try {
        const report = await verifyContexts({ legacy: pools.legacy, userService: pools.userService, contexts: request.contexts, chunkSize: request.chunkSize, recheckDelayMs: request.recheckDelayMs });
        const runId = await recordVerifyRun(pools.control, report);
        const drifting = report.contexts.some(isDrifting);
        stdout(request.json ? `${JSON.stringify({ runId, drifting, ...report }, null, 2)}\n` : renderVerifyReport(report, runId));
        return drifting ? EXIT.drift : EXIT.ok;
      } finally {
        await Promise.all(Object.values(pools).map((pool) => pool.end()));
      }
    },
    async resync(request: ResyncRequest) {
      const config = loadCdcConfig(env);
      const pools = {
        legacy: new Pool({ connectionString: config.CDC_LEGACY_DATABASE_URL, max: 2 }),
        // Debezium's signal table belongs to legacy's schema owner; the sync role may not write it.
        signals: new Pool({ connectionString: config.LEGACY_DATABASE_URL, max: 1 }),
        userService: new Pool({ connectionString: config.CDC_USER_SERVICE_DATABASE_URL, max: 2 }),
        control: new Pool({ connectionString: config.STRANGLER_CONTROL_DATABASE_URL, max: 1 }),
      };
      try {
        const result = await resync({ context: request.context, ...(request.ids ? { ids: request.ids } : {}), chunkSize: request.chunkSize, ...pools });
        stdout(request.json ? `${JSON.stringify(result, null, 2)}\n` : renderResyncResult(result));
        return result.writesOwner === 'new' && result.refused.length > 0 ? EXIT.drift : EXIT.ok;
      } finally {
        await Promise.all(Object.values(pools).map((pool) => pool.end()));
      }
    },
  };
}
