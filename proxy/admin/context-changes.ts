// Operators' changes to a context's stage and canary, against the control plane (control.context_stages,
// control.audit_log): guards first, the drain-before-flip protocol of cdc/README.md when writes change
// hands, then the new stage and its audit row in one transaction.
import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { AdminFailure } from './admin-failure';
import type { AdminSettings } from './admin-settings';
import { drainSync, fetchSyncFacts, type DrainOutcome } from './cdc-client';
import { evaluateGuards, failedGuards, type GuardResult, type PromotionFacts, type SyncFacts, type VerifyFacts } from './promotion-guards';
import { awaitHoldConfirmed, type HoldConfirmation } from './proxy-instances';
import { contextStageOf, type ContextStageRecord } from '../stages/stage-state';
import { CONTEXTS, type ContextStage } from '../stages/stages';
import { isRefusal, planCanary, planPromotion, planRollback, type Context, type ContextPosition, type Stage, type Transition } from './stage-transitions';

export interface ControlPlane {
  readonly control: Pool;
  readonly logger: Logger;
  readonly clock: () => Date;
  /** Sent to the cdc drain endpoints; the admin API refuses every call without one, so it is set here. */
  readonly token: string;
  readonly cdcUrl: string;
  readonly settings: AdminSettings;
}

/** A context's row of control.context_stages, with why its writes are held (the admin API shows it). */
export interface ContextRow extends ContextStage {
  readonly writesHeldReason: string | null;
}

type Queryable = Pick<Pool | PoolClient, 'query'>;

const CONTEXT_COLUMNS = 'context, stage, canary_percent, version, changed_at, writes_held_since, writes_held_reason';

function contextRow(row: ContextStageRecord & { writes_held_reason: string | null }): ContextRow {
  return { ...contextStageOf(row), writesHeldReason: row.writes_held_reason };
}

export async function readContexts(db: Queryable): Promise<ContextRow[]> {
  const { rows } = await db.query(`SELECT ${CONTEXT_COLUMNS} FROM control.context_stages ORDER BY array_position($1::text[], context)`, [CONTEXTS]);
  return rows.map(contextRow);
}

async function readContext(db: Queryable, context: Context): Promise<ContextRow> {
  const { rows } = await db.query(`SELECT ${CONTEXT_COLUMNS} FROM control.context_stages WHERE context = $1`, [context]);
  if (rows.length === 0) throw new Error(`control.context_stages has no row for ${context}`);
  return contextRow(rows[0]!);
}

/** Comparisons of every proxy instance since the context entered its stage (whole minutes: the table's grain). */
async function shadowSince(db: Queryable, context: Context, since: Date): Promise<PromotionFacts['shadow']> {
  const { rows } = await db.query<{ result: string; total: string }>(
    `SELECT result, sum(count) AS total FROM control.shadow_comparisons
      WHERE context = $1 AND minute >= date_trunc('minute', $2::timestamptz) GROUP BY result`,
    [context, since],
  );
  const total = (result: string) => Number(rows.find((row) => row.result === result)?.total ?? 0);
  return { since, match: total('match'), mismatch: total('mismatch'), lag: total('lag'), error: total('error') };
}

async function latestVerify(db: Queryable, context: Context): Promise<VerifyFacts | null> {
  const { rows } = await db.query<{ id: string; finished_at: Date; drift: Record<string, string | number> }>(
    `SELECT r.id, r.finished_at, coalesce(jsonb_object_agg(d.kind, d.row_count) FILTER (WHERE d.kind IS NOT NULL), '{}'::jsonb) AS drift
       FROM control.verify_runs r LEFT JOIN control.verify_drift d ON d.run_id = r.id AND d.context = $1
      WHERE $1 = ANY (r.contexts) GROUP BY r.id ORDER BY r.id DESC LIMIT 1`,
    [context],
  );
  const run = rows[0];
  if (!run) return null;
  const rowsOf = (kind: string) => Number(run.drift[kind] ?? 0);
  return { runId: Number(run.id), finishedAt: run.finished_at, missing: rowsOf('missing'), extra: rowsOf('extra'), different: rowsOf('different'), unsyncable: rowsOf('unsyncable') };
}

export async function gatherFacts(db: Queryable, row: ContextRow, sync: SyncFacts): Promise<PromotionFacts> {
  const [shadow, verify] = await Promise.all([shadowSince(db, row.context, row.changedAt), latestVerify(db, row.context)]);
  return { shadow, sync, verify };
}

export const fetchSync = (plane: ControlPlane) => fetchSyncFacts(plane.cdcUrl, plane.settings.cdcTimeoutMs);

/**
 * One change of a context at a time, across every admin instance: a session-level advisory lock held on a
 * connection of its own for the whole change, drain included. A second change finds it taken and is
 * refused at once rather than queued behind a drain. If the process dies, the session ends and the lock
 * goes with it.
 */
async function withContextLock<T>(control: Pool, context: Context, work: (client: PoolClient) => Promise<T>): Promise<T | AdminFailure> {
  const client = await control.connect();
  let broken = false;
  try {
    const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext('strangler.context-change'), hashtext($1)) AS locked", [context]);
    if (!rows[0]!.locked) return new AdminFailure('ADMIN.CHANGE_IN_PROGRESS', `another change of ${context} is under way; try again when it has finished`);
    try {
      return await work(client);
    } finally {
      // If the unlock itself fails, the connection is discarded below and its session's lock goes with it.
      await client.query("SELECT pg_advisory_unlock(hashtext('strangler.context-change'), hashtext($1))", [context]).catch(() => {
        broken = true;
      });
    }
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * A hold left by an admin process that died mid-flip: whoever holds the lock now is the only one who could
 * be flipping, and the stage was not changed (it changes in the same transaction that clears the hold).
 */
async function clearStaleHold(client: PoolClient, row: ContextRow, logger: Logger): Promise<ContextRow> {
  if (row.writesHeldSince === null) return row;
  logger.warn({ context: row.context, since: row.writesHeldSince, reason: row.writesHeldReason }, 'clearing a write hold left by an interrupted stage change');
  await releaseHold(client, row.context);
  return { ...row, writesHeldSince: null, writesHeldReason: null };
}

/**
 * Clears the write holds an admin process left when it died mid-flip, for every context nobody is changing
 * right now (its lock is free). For the admin process's start, so a crash does not leave a context's writes
 * refused until the next operator change; a context whose lock is taken is mid-change elsewhere and kept.
 */
export async function releaseInterruptedHolds(control: Pool, logger: Logger): Promise<Context[]> {
  const released: Context[] = [];
  for (const row of await readContexts(control)) {
    if (row.writesHeldSince === null) continue;
    const outcome = await withContextLock(control, row.context, async (client) => {
      await clearStaleHold(client, await readContext(client, row.context), logger);
      return row.context;
    });
    if (!(outcome instanceof AdminFailure)) released.push(outcome);
  }
  return released;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly context: Context;
  readonly action: 'promote' | 'rollback' | 'canary';
  readonly fromStage: Stage;
  readonly toStage: Stage;
  readonly fromCanaryPercent: number;
  readonly toCanaryPercent: number;
  readonly reason: string | null;
  readonly forced: boolean;
  readonly guards: unknown;
}

const AUDIT_COLUMNS = 'id, at, actor, context, action, from_stage, to_stage, from_canary_percent, to_canary_percent, reason, forced, guards';

function auditEntry(row: Record<string, any>): AuditEntry {
  return {
    id: Number(row.id),
    at: (row.at as Date).toISOString(),
    actor: row.actor,
    context: row.context,
    action: row.action,
    fromStage: row.from_stage,
    toStage: row.to_stage,
    fromCanaryPercent: Number(row.from_canary_percent),
    toCanaryPercent: Number(row.to_canary_percent),
    reason: row.reason,
    forced: row.forced,
    guards: row.guards,
  };
}

interface Change {
  readonly action: AuditEntry['action'];
  readonly from: ContextPosition;
  readonly to: ContextPosition;
  readonly actor: string;
  readonly reason: string | undefined;
  readonly forced: boolean;
  readonly guards: readonly GuardResult[];
}

/**
 * The new position and its audit row, in one transaction, only if nobody changed the context since it was
 * read (the version). A stage change also clears the write hold and restarts `changed_at`, from which the
 * next stage's shadow comparisons are counted.
 */
async function commitChange(client: PoolClient, row: ContextRow, change: Change): Promise<AuditEntry | AdminFailure> {
  await client.query('BEGIN');
  try {
    const stageChanges = change.from.stage !== change.to.stage;
    const updated = await client.query(
      `UPDATE control.context_stages
          SET stage = $3, canary_percent = $4, version = version + 1,
              changed_at = CASE WHEN $5::boolean THEN now() ELSE changed_at END,
              writes_held_since = NULL, writes_held_reason = NULL
        WHERE context = $1 AND version = $2`,
      [row.context, row.version, change.to.stage, change.to.canaryPercent, stageChanges],
    );
    if (updated.rowCount !== 1) {
      await client.query('ROLLBACK');
      return new AdminFailure('ADMIN.CHANGE_IN_PROGRESS', `${row.context} changed while this change was being prepared; read its state again`);
    }
    const { rows } = await client.query(
      `INSERT INTO control.audit_log (actor, context, action, from_stage, to_stage, from_canary_percent, to_canary_percent, reason, forced, guards)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb) RETURNING ${AUDIT_COLUMNS}`,
      [change.actor, row.context, change.action, change.from.stage, change.to.stage, change.from.canaryPercent, change.to.canaryPercent, change.reason ?? null, change.forced, JSON.stringify(change.guards)],
    );
    await client.query('COMMIT');
    return auditEntry(rows[0]!);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** A hold that every proxy instance has confirmed and a drained losing direction: the flip may go ahead. */
export interface HandOver {
  readonly confirmed: HoldConfirmation;
  readonly drained: DrainOutcome;
}

/**
 * Drain-before-flip (cdc/README.md): hold the context's writes (a new version of its row), wait until every
 * proxy instance with a live lease has confirmed that version with nothing older of the context still in
 * flight (those whose lease lapses meanwhile are waited out and fenced), then have the losing side's sync
 * apply all it has. On failure the hold is lifted again and the stage stays as it was. Returns the row as
 * the hold left it, for the flip's version check.
 */
async function holdAndDrain(plane: ControlPlane, client: PoolClient, row: ContextRow, transition: Transition): Promise<{ handOver: HandOver; held: ContextRow } | AdminFailure> {
  const flip = transition.writesFlip!;
  const reason = `${transition.action} ${transition.from.stage} → ${transition.to.stage}: draining the ${flip.drain} sync before writes change hands`;
  const { rows } = await client.query(
    `UPDATE control.context_stages SET writes_held_since = now(), writes_held_reason = $3, version = version + 1
      WHERE context = $1 AND version = $2 RETURNING ${CONTEXT_COLUMNS}`,
    [row.context, row.version, reason],
  );
  if (rows.length !== 1) return new AdminFailure('ADMIN.CHANGE_IN_PROGRESS', `${row.context} changed while this change was being prepared; read its state again`);
  const held = contextRow(rows[0]);
  plane.logger.info({ context: row.context, version: held.version, direction: flip.drain }, 'writes held; waiting for every proxy instance to confirm, then draining');
  let outcome: DrainOutcome;
  let confirmed: HoldConfirmation;
  try {
    const confirmation = await awaitHoldConfirmed(plane.control, row.context, held.version, { timeoutMs: plane.settings.holdConfirmTimeoutMs });
    if ('unconfirmed' in confirmation) {
      await releaseHold(client, row.context);
      plane.logger.warn({ context: row.context, unconfirmed: confirmation.unconfirmed }, 'proxy instances did not confirm the hold; writes released, stage unchanged');
      const names = confirmation.unconfirmed.map((i) => `${i.instanceId} (${i.host} pid ${i.pid})`).join(', ');
      return new AdminFailure('ADMIN.HOLD_NOT_CONFIRMED', `proxy instances ${names} neither confirmed the write hold nor let their lease lapse within ${plane.settings.holdConfirmTimeoutMs} ms; writes are released and ${row.context} stays ${row.stage}`);
    }
    confirmed = confirmation;
    if (confirmed.fenced.length > 0) plane.logger.warn({ context: row.context, fenced: confirmed.fenced }, 'waited out proxy instances whose lease lapsed; they are fenced until they register again');
    outcome = await drainSync(plane.cdcUrl, flip.drain, plane.token, plane.settings.drainTimeoutMs);
  } catch (error) {
    await releaseHold(client, row.context);
    throw error;
  }
  if (outcome.drained) return { handOver: { confirmed, drained: outcome }, held };
  // Not audited: the audit log records changes, and nothing changed. The failure is logged and answered.
  await releaseHold(client, row.context);
  plane.logger.warn({ context: row.context, direction: flip.drain, reason: outcome.reason }, 'drain failed; writes released, stage unchanged');
  return new AdminFailure(outcome.timedOut ? 'ADMIN.DRAIN_TIMEOUT' : 'ADMIN.DRAIN_FAILED', `${outcome.reason}; writes are released and ${row.context} stays ${row.stage}`);
}

async function releaseHold(client: PoolClient, context: Context): Promise<void> {
  await client.query('UPDATE control.context_stages SET writes_held_since = NULL, writes_held_reason = NULL WHERE context = $1', [context]);
}

export interface StageChangeRequest {
  readonly context: Context;
  readonly actor: string;
  readonly reason?: string;
  readonly percent?: number;
}

export interface PromoteRequest extends StageChangeRequest {
  readonly to?: Stage;
  readonly dryRun: boolean;
  readonly force: boolean;
}

export interface RollbackRequest extends StageChangeRequest {
  readonly to: Stage;
}

export interface DryRun {
  readonly dryRun: true;
  readonly context: Context;
  readonly action: 'promote';
  readonly from: ContextPosition;
  readonly to: ContextPosition;
  /** Whether the promotion would go ahead now (guards hold, or `force`). */
  readonly allowed: boolean;
  readonly forced: boolean;
  readonly drains: 'forward' | 'reverse' | null;
  readonly guards: readonly GuardResult[];
}

export interface Applied {
  readonly dryRun: false;
  readonly context: Context;
  readonly action: AuditEntry['action'];
  readonly from: ContextPosition;
  readonly to: ContextPosition;
  readonly forced: boolean;
  readonly guards: readonly GuardResult[];
  readonly drained: DrainOutcome | null;
  /** For a hand-over of writes: the proxy instances that confirmed the hold, and those waited out. */
  readonly holdConfirmed: HoldConfirmation | null;
  readonly audit: AuditEntry | null;
}

const position = (row: ContextRow): ContextPosition => ({ stage: row.stage, canaryPercent: row.canaryPercent });

async function applyTransition(plane: ControlPlane, client: PoolClient, row: ContextRow, transition: Transition, change: Omit<Change, 'action' | 'from' | 'to'>): Promise<Applied | AdminFailure> {
  let handOver: HandOver | null = null;
  let current = row;
  if (transition.writesFlip) {
    const outcome = await holdAndDrain(plane, client, row, transition);
    if (outcome instanceof AdminFailure) return outcome;
    handOver = outcome.handOver;
    current = outcome.held;
  }
  let audit: AuditEntry | AdminFailure;
  try {
    audit = await commitChange(client, current, { ...change, action: transition.action, from: transition.from, to: transition.to });
  } catch (error) {
    // A hold must not outlive a change that failed: the context's writes would stay refused.
    if (transition.writesFlip) await releaseHold(client, row.context).catch((releaseError: unknown) => plane.logger.error({ err: releaseError, context: row.context }, 'could not release the write hold; the next change of the context clears it'));
    throw error;
  }
  if (audit instanceof AdminFailure) {
    if (transition.writesFlip) await releaseHold(client, row.context);
    return audit;
  }
  plane.logger.info({ context: row.context, action: transition.action, from: transition.from.stage, to: transition.to.stage, actor: change.actor, forced: change.forced }, 'context stage changed');
  return { dryRun: false, context: row.context, action: transition.action, from: transition.from, to: transition.to, forced: change.forced, guards: change.guards, drained: handOver?.drained ?? null, holdConfirmed: handOver?.confirmed ?? null, audit };
}

export async function promoteContext(plane: ControlPlane, request: PromoteRequest): Promise<Applied | DryRun | AdminFailure> {
  const evaluate = async (db: Queryable, row: ContextRow) => {
    const transition = planPromotion(position(row), request, plane.settings.initialCanaryPercent);
    if (isRefusal(transition)) return new AdminFailure(transition.refused, transition.message);
    const facts = await gatherFacts(db, row, await fetchSync(plane));
    const guards = evaluateGuards(transition.to.stage, facts, plane.settings.guards, plane.clock());
    return { transition, guards, failed: failedGuards(guards) };
  };

  if (request.dryRun) {
    const row = await readContext(plane.control, request.context);
    const evaluated = await evaluate(plane.control, row);
    if (evaluated instanceof AdminFailure) return evaluated;
    const { transition, guards, failed } = evaluated;
    return { dryRun: true, context: row.context, action: 'promote', from: transition.from, to: transition.to, allowed: failed.length === 0 || request.force, forced: request.force && failed.length > 0, drains: transition.writesFlip?.drain ?? null, guards };
  }

  const outcome = await withContextLock(plane.control, request.context, async (client) => {
    const row = await clearStaleHold(client, await readContext(client, request.context), plane.logger);
    const evaluated = await evaluate(client, row);
    if (evaluated instanceof AdminFailure) return evaluated;
    const { transition, guards, failed } = evaluated;
    if (failed.length > 0 && !request.force) {
      return new AdminFailure('ADMIN.GUARDS_FAILED', `promotion of ${row.context} to ${transition.to.stage} refused: ${failed.map((g) => `${g.guard}: ${g.reason}`).join('; ')}`, guards);
    }
    return applyTransition(plane, client, row, transition, { actor: request.actor, reason: request.reason, forced: failed.length > 0, guards });
  });
  return outcome;
}

/** Back to any earlier stage; no guards (it is the way out), but the same drain when writes change hands. */
export async function rollbackContext(plane: ControlPlane, request: RollbackRequest): Promise<Applied | AdminFailure> {
  return withContextLock(plane.control, request.context, async (client) => {
    const row = await clearStaleHold(client, await readContext(client, request.context), plane.logger);
    const transition = planRollback(position(row), request, plane.settings.initialCanaryPercent);
    if (isRefusal(transition)) return new AdminFailure(transition.refused, transition.message);
    return applyTransition(plane, client, row, transition, { actor: request.actor, reason: request.reason, forced: false, guards: [] });
  });
}

export async function setCanaryPercent(plane: ControlPlane, request: { context: Context; percent: number; actor: string; reason?: string }): Promise<Applied | AdminFailure> {
  return withContextLock(plane.control, request.context, async (client) => {
    const row = await readContext(client, request.context);
    const to = planCanary(position(row), request.percent);
    if (isRefusal(to)) return new AdminFailure(to.refused, to.message);
    const from = position(row);
    // Setting the percentage it already has changes nothing, so it is not a change to audit.
    if (to.canaryPercent === from.canaryPercent) return { dryRun: false, context: row.context, action: 'canary', from, to, forced: false, guards: [], drained: null, holdConfirmed: null, audit: null };
    const audit = await commitChange(client, row, { action: 'canary', from, to, actor: request.actor, reason: request.reason, forced: false, guards: [] });
    if (audit instanceof AdminFailure) return audit;
    plane.logger.info({ context: row.context, from: from.canaryPercent, to: to.canaryPercent, actor: request.actor }, 'canary percentage changed');
    return { dryRun: false, context: row.context, action: 'canary', from, to, forced: false, guards: [], drained: null, holdConfirmed: null, audit };
  });
}

export async function listAudit(control: Pool, filter: { context?: Context; limit: number }): Promise<AuditEntry[]> {
  const { rows } = await control.query(
    `SELECT ${AUDIT_COLUMNS} FROM control.audit_log WHERE ($1::text IS NULL OR context = $1) ORDER BY id DESC LIMIT $2`,
    [filter.context ?? null, filter.limit],
  );
  return rows.map(auditEntry);
}

export interface ShadowMismatch {
  readonly id: number;
  readonly observedAt: string;
  readonly context: Context;
  readonly route: string;
  readonly result: 'mismatch' | 'lag';
  readonly usrId: number | null;
  readonly differences: unknown;
}

export async function listShadowMismatches(control: Pool, filter: { context?: Context; limit: number }): Promise<ShadowMismatch[]> {
  const { rows } = await control.query(
    `SELECT id, observed_at, context, route, result, usr_id, differences FROM control.shadow_mismatches
      WHERE ($1::text IS NULL OR context = $1) ORDER BY id DESC LIMIT $2`,
    [filter.context ?? null, filter.limit],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    observedAt: (row.observed_at as Date).toISOString(),
    context: row.context,
    route: row.route,
    result: row.result,
    usrId: row.usr_id === null ? null : Number(row.usr_id),
    differences: row.differences,
  }));
}
