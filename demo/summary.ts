/** The table the demo ends with, and the verdict it exits with. */
import Table from 'cli-table3';
import { sumBy, sumOf, type Sample } from './prometheus-text';
import type { FaultRun } from './chaos';
import type { TrafficStats } from './client-traffic';
import type { ContextWalk, VerifyOutcome } from './stage-walk';
import { CONTEXTS } from './write-ledger';

export interface DemoResult {
  walks: readonly ContextWalk[];
  traffic: TrafficStats;
  acknowledgedWrites: number;
  bothSides: { users: number; differences: readonly string[] };
  finalVerify: VerifyOutcome | null;
  /** The proxy's /metrics at the end. */
  proxyMetrics: readonly Sample[];
  /** A failure that stopped the demo early (a crashed service, a promotion refused past its deadline). */
  aborted?: string;
  /** --chaos: the faults injected, in order, and how long each took to recover from. */
  faults?: readonly FaultRun[];
}

export interface Verdict {
  ok: boolean;
  reasons: string[];
}

export function verdictOf(result: DemoResult): Verdict {
  const reasons: string[] = [];
  if (result.aborted) reasons.push(`the demo stopped early: ${result.aborted}`);
  if (result.traffic.failed > 0) reasons.push(`${result.traffic.failed} client request(s) failed because of the migration`);
  // The proxy keeps writes through a hand-over: a 503 PROXY.WRITES_HELD means one waited past its bound.
  if (result.traffic.held > 0) reasons.push(`${result.traffic.held} held write(s) reached a client as 503 PROXY.WRITES_HELD`);
  if (result.bothSides.differences.length > 0) reasons.push(`${result.bothSides.differences.length} acknowledged write(s) not on both sides`);
  if (!result.finalVerify) reasons.push('the final `strangler verify` did not run');
  else if (result.finalVerify.exitCode !== 0) reasons.push(`the final \`strangler verify\` found drift (exit ${result.finalVerify.exitCode})`);
  return { ok: reasons.length === 0, reasons };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** --chaos: a row per fault, with the client requests that failed (or were held past their bound) during it. */
function faultTable(result: DemoResult): string {
  const table = new Table({
    head: ['fault', 'what it hit', 'undone after', 'recovered in', 'client failures during it', 'held 503s during it'],
    wordWrap: true,
    style: { head: [], border: [] },
    colWidths: [26, 50, 9, 10, 10, 8],
  });
  for (const fault of result.faults ?? []) {
    const during = result.traffic.duringFaults[fault.name] ?? { failed: 0, held: 0 };
    table.push([fault.name, fault.hits, seconds(fault.faultMs), seconds(fault.recoveryMs), String(during.failed), String(during.held)]);
  }
  return `${table.toString()}\nrecovered: every /healthz 200 and both syncs drained. Requests that failed while a fault was injected or being recovered from are counted against it, not the migration; ${result.traffic.rerouted} request(s) refused by a dead proxy instance went to the other.`;
}

export function renderSummary(result: DemoResult): string {
  const verdict = verdictOf(result);
  // Stopped before any traffic (ports taken, stack down): the table would be all zeros.
  if (result.walks.length === 0 && result.traffic.requests === 0) return `RESULT: FAILED\n${verdict.reasons.map((r) => `  - ${r}`).join('\n')}`;
  const table = new Table({
    head: ['context', 'stages walked', 'took', 'requests by backend', 'client failures', 'held 503s', 'shadow match / mismatch / lag / error', 'final verify drift (unsyncable)'],
    wordWrap: true,
    // Plain text: the summary is also read in logs, where colour codes are noise.
    style: { head: [], border: [] },
    colWidths: [13, 34, 9, 24, 10, 8, 18, 16],
  });
  for (const context of CONTEXTS) {
    const walk = result.walks.find((w) => w.context === context);
    const requests = sumBy(result.proxyMetrics, 'strangler_proxy_requests_total', 'backend', (s) => s.labels.context === context);
    const shadow = (r: string) => sumOf(result.proxyMetrics, 'strangler_shadow_comparisons_total', { context, result: r });
    const verdicts = result.traffic.byContext[context];
    table.push([
      context,
      walk ? ['legacy', ...walk.visits.map((v) => v.stage)].join(' → ') : 'not walked',
      walk && walk.tookMs > 0 ? seconds(walk.tookMs) : '-',
      [...requests].sort(([a], [b]) => a.localeCompare(b)).map(([backend, n]) => `${backend} ${n}`).join('\n') || '0',
      String(verdicts.failed),
      String(verdicts.held),
      `${shadow('match')} / ${shadow('mismatch')} / ${shadow('lag')} / ${shadow('error')}`,
      result.finalVerify ? `${result.finalVerify.drift[context] ?? 0} (${result.finalVerify.unsyncable[context] ?? 0})` : '-',
    ]);
  }
  const lines = [
    table.toString(),
    ...(result.faults ? [faultTable(result)] : []),
    `client requests ${result.traffic.requests} (sign-ups ${result.traffic.signUps}, erasures ${result.traffic.erasures}); failed because of the migration: ${result.traffic.failed}; held writes that reached a client as errors (503 PROXY.WRITES_HELD, retried): ${result.traffic.held}`,
    `acknowledged writes ${result.acknowledgedWrites} over ${result.bothSides.users} users; not on both sides: ${result.bothSides.differences.length}`,
    ...result.bothSides.differences.slice(0, 10).map((d) => `  - ${d}`),
    ...result.traffic.failures.slice(0, 10).map((f) => `  - failed: ${f.request} -> ${f.status}${f.code ? ` ${f.code}` : ''}`),
    verdict.ok ? 'RESULT: every context retired under load; nothing lost; verify clean.' : `RESULT: FAILED\n${verdict.reasons.map((r) => `  - ${r}`).join('\n')}`,
  ];
  return lines.join('\n');
}
