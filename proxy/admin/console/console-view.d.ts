// Types of console-view.js for its Node unit tests (the browser loads the .js file as it is, no build step).
// The shapes mirror what proxy/admin/admin-app.ts answers; the console reads them, never writes them.

export type StageName = 'legacy' | 'shadow' | 'canary' | 'reads' | 'writes' | 'retired';

export interface ConsoleGuard {
  guard: string;
  passed: boolean;
  reason: string;
  measured?: Record<string, unknown>;
}

export interface ConsoleNext {
  stage: string;
  allowed: boolean;
  guards: ConsoleGuard[];
}

export interface ConsoleSync {
  direction: 'forward' | 'reverse';
  reachable: boolean;
  running?: boolean;
  state?: string;
  healthy?: boolean;
  backlog?: number | null;
  lagSeconds?: number | null;
  reason?: string;
}

export interface ConsoleWorker {
  name: string;
  state: string;
  healthy: boolean;
  backlog: number | null;
  lastLagSeconds?: number | null;
  reason?: string;
}

export interface ConsoleMismatch {
  observedAt: string;
  context: string;
  route: string;
  result: string;
  usrId: number | null;
  differences: unknown;
}

export interface ConsoleAuditEntry {
  at: string;
  actor: string;
  context: string;
  action: 'promote' | 'rollback' | 'canary';
  fromStage: string;
  toStage: string;
  fromCanaryPercent: number;
  toCanaryPercent: number;
  reason: string | null;
  forced: boolean;
}

export type OutcomeKind = 'applied' | 'dry-run' | 'refused' | 'unauthorized' | 'failed';

export const STAGES: readonly StageName[];
export function rollbackTargets(stage: string): StageName[];
export function stagePipeline(stage: string): { stage: StageName; position: 'done' | 'current' | 'ahead' }[];
export function guardLine(guard: ConsoleGuard): { passed: boolean; mark: string; text: string };
export function nextSummary(next: ConsoleNext | null): { state: 'ready' | 'blocked' | 'final'; text: string };
export function formatSeconds(seconds: number | null | undefined): string;
export function formatBacklog(backlog: number | null | undefined): string;
export function syncLine(sync: ConsoleSync | null | undefined): { healthy: boolean; text: string };
export function workerRow(worker: ConsoleWorker): { healthy: boolean; cells: string[] };
export interface ConsoleInstance {
  instanceId: string;
  host: string;
  pid: number;
  renewedAt: string;
  leaseExpiresAt: string;
  state: 'live' | 'lapsed' | 'fenced';
  confirmedVersions: Record<string, number>;
}
export function instanceRow(instance: ConsoleInstance, now: Date): { live: boolean; cells: string[] };
export function formatAge(iso: string, now: Date): string;
export function formatTime(iso: string): string;
export function differenceLines(differences: unknown): string[];
export function mismatchRow(mismatch: ConsoleMismatch): { cells: string[]; differences: string[] };
export function describeChange(entry: ConsoleAuditEntry): string;
export function auditRow(entry: ConsoleAuditEntry): { forced: boolean; cells: string[] };
export function outcomeMessage(status: number, body: unknown): { kind: OutcomeKind; title: string; lines: string[] };
export function parsePercent(text: string): { percent: number } | { error: string };
export function actorFor(name: string | null | undefined): string;
export function withReason<T extends object>(body: T, reason: string | null | undefined): T & { reason?: string };
