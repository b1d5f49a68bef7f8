import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { DeadLetterSink } from '../dead-letters/dead-letter-sink';
import { comparePositions, parseUsersChange, type LegacyUserRow, type Position } from '../debezium/change-event';
import type { LogMessage } from '../kafka/event-log';
import type { Outcome, SyncMetrics } from '../metrics/sync-metrics';
import { ownershipOf, type Ownership } from '../ownership/ownership-map';
import { readStages } from '../ownership/stage-store';
import { accountTarget, personaTarget, settingsTarget, type ContextTarget } from './context-targets';
import {
  legacyUserToAccount,
  legacyUserToPersona,
  legacyUserToSettings,
  sameAccount,
  samePersona,
  sameSettings,
  type Translation,
} from './legacy-user.acl';

export interface ForwardSyncDependencies {
  /** user_service, logged in as strangler_sync. */
  userService: Pool;
  /** The control plane: stages (who owns writes). */
  control: Pool;
  deadLetters: DeadLetterSink;
  metrics: SyncMetrics;
  logger: Logger;
  clock: () => Date;
}

interface Lane<S extends { id: number }> {
  target: ContextTarget<S>;
  translate(row: LegacyUserRow, observedAt: Date, current: S | undefined): Translation<S>;
  same(a: S, b: S): boolean;
}

// The same apply logic serves the three contexts; what differs is in their targets and translations.
const lanes: Lane<any>[] = [
  {
    target: accountTarget,
    translate: (row, observedAt, current) => legacyUserToAccount(row, { observedAt, ...(current ? { storedCreatedAt: current.createdAt } : {}) }),
    same: sameAccount,
  },
  { target: personaTarget, translate: (row) => legacyUserToPersona(row), same: samePersona },
  { target: settingsTarget, translate: (row) => legacyUserToSettings(row), same: sameSettings },
];

const INTEGRITY_OR_DATA_ERROR = /^(22|23)/;

/**
 * Applies one batch of Debezium events of public.users in one user_service transaction: for each row,
 * the position check, then each context the ownership map gives legacy, then the new position. The
 * Kafka offsets are committed by the caller only after this resolves, so a crash anywhere means the
 * batch comes again and the positions refuse what was already applied.
 */
export async function applyLegacyChanges(messages: LogMessage[], deps: ForwardSyncDependencies): Promise<void> {
  const ownership = ownershipOf(await readStages(deps.control));
  const client = await deps.userService.connect();
  const applied: { sourceTsMs: number; commitLsn: bigint | null }[] = [];
  let failed = false;
  try {
    await client.query('BEGIN');
    for (const message of messages) {
      const result = await applyOne(client, message, ownership, deps);
      if (result) applied.push(result);
    }
    await client.query('COMMIT');
  } catch (error) {
    failed = true;
    await client.query('ROLLBACK').catch((rollbackError: unknown) => deps.logger.error({ err: rollbackError }, 'rollback failed'));
    throw error;
  } finally {
    client.release(failed);
  }
  const now = deps.clock().getTime();
  for (const { sourceTsMs, commitLsn } of applied) {
    deps.metrics.lag.observe({ direction: 'forward' }, Math.max(0, now - sourceTsMs) / 1000);
    if (commitLsn !== null) deps.metrics.lastAppliedPosition.set({ direction: 'forward' }, Number(commitLsn));
  }
  if (applied.length > 0) deps.metrics.lastAppliedAt.set({ direction: 'forward' }, now / 1000);
}

async function applyOne(client: PoolClient, message: LogMessage, ownership: Ownership, deps: ForwardSyncDependencies) {
  const count = (context: string, outcome: Outcome) => deps.metrics.events.inc({ direction: 'forward', context, outcome });
  const change = parseUsersChange(message.key, message.value);
  switch (change.kind) {
    case 'tombstone':
      count('none', 'ignored');
      return undefined;
    case 'unparseable':
      await deps.deadLetters.record({ direction: 'forward', context: null, code: 'FORWARD.UNPARSEABLE', reason: change.reason, usrId: null, message });
      count('none', 'dead-letter');
      return undefined;
    case 'truncate':
      // Emptying the monolith's table is not something a sync should replay on the new side.
      await deps.deadLetters.record({ direction: 'forward', context: null, code: 'FORWARD.TRUNCATE_NOT_REPLICATED', reason: 'TRUNCATE of public.users is not applied to the contexts', usrId: null, message });
      count('none', 'dead-letter');
      return undefined;
    default:
      break;
  }

  const usrId = change.usrId;
  const stored = (await client.query<{ commit_lsn: string; lsn: string; kafka_offset: string | null }>(
    'SELECT commit_lsn, lsn, kafka_offset FROM sync.forward_positions WHERE usr_id = $1 FOR UPDATE',
    [usrId],
  )).rows[0];
  // A batch redelivered after a crash: this very event, or a later one, was applied already.
  if (stored?.kafka_offset != null && BigInt(message.offset) <= BigInt(stored.kafka_offset)) {
    count('none', 'duplicate');
    return undefined;
  }
  // Snapshot rows say "this is the row now" and carry no usable LSN: they replace the state (or not, if
  // it is the same) without moving the LSN position. A streamed change older than the newest applied
  // one was re-emitted by a restarted connector.
  const streamed = change.kind === 'delete' || change.snapshot === 'no';
  const storedPosition: Position | null = stored ? { commitLsn: BigInt(stored.commit_lsn), lsn: BigInt(stored.lsn) } : null;
  if (streamed && change.position && storedPosition && comparePositions(change.position, storedPosition) <= 0) {
    count('none', 'duplicate');
    return undefined;
  }

  const changedAt = new Date(change.sourceTsMs);
  for (const lane of lanes) {
    const context = lane.target.context;
    const outcome = change.kind === 'delete'
      ? await erase(client, lane.target, usrId, ownership, changedAt)
      : await upsert(client, lane, change.row, ownership, changedAt, deps, message);
    count(context, outcome);
  }

  const position = streamed && change.position ? change.position : storedPosition ?? { commitLsn: 0n, lsn: 0n };
  await client.query(
    `INSERT INTO sync.forward_positions (usr_id, commit_lsn, lsn, kafka_offset, applied_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (usr_id) DO UPDATE SET commit_lsn = EXCLUDED.commit_lsn, lsn = EXCLUDED.lsn, kafka_offset = EXCLUDED.kafka_offset, applied_at = EXCLUDED.applied_at`,
    [usrId, position.commitLsn.toString(), position.lsn.toString(), message.offset, deps.clock()],
  );
  return { sourceTsMs: change.sourceTsMs, commitLsn: streamed ? change.position?.commitLsn ?? null : null };
}

async function upsert<S extends { id: number }>(
  client: PoolClient,
  lane: Lane<S>,
  row: LegacyUserRow,
  ownership: Ownership,
  changedAt: Date,
  deps: ForwardSyncDependencies,
  message: LogMessage,
): Promise<Outcome> {
  const { target } = lane;
  const current = (await client.query(`SELECT * FROM ${target.table} WHERE id = $1 FOR UPDATE`, [row.usr_id])).rows[0] as Record<string, unknown> | undefined;
  // A user comes into being with identity's owner; afterwards each context's state follows its own owner.
  const owner = current ? ownership.writesOf(target.context) : ownership.existence();
  if (owner !== 'legacy') return 'not-owned';

  const translated = lane.translate(row, changedAt, current ? target.fromRow(current) : undefined);
  if (!translated.ok) {
    await deps.deadLetters.record({ direction: 'forward', context: target.context, code: translated.code, reason: translated.reason, usrId: row.usr_id, message });
    return 'dead-letter';
  }
  const state = translated.state;
  if (current && lane.same(target.fromRow(current), state)) return 'unchanged';

  // A constraint the translation did not foresee (a taken email, a value too long for a column) must
  // dead-letter this context's part, not abort the batch for every other row.
  await client.query('SAVEPOINT context_write');
  try {
    const values = target.values(state);
    const assignments = target.columns.map((column, i) => `${column} = $${i + 2}`).join(', ');
    const version = current
      ? (await client.query<{ version: number }>(
          `UPDATE ${target.table} SET ${assignments}, version = version + 1, updated_at = $${values.length + 2} WHERE id = $1 RETURNING version`,
          [state.id, ...values, changedAt],
        )).rows[0]!.version
      : (await client.query<{ version: number }>(
          `INSERT INTO ${target.table} (id, ${target.columns.join(', ')}, version, updated_at)
           VALUES ($1, ${target.columns.map((_, i) => `$${i + 2}`).join(', ')}, 1, $${values.length + 2}) RETURNING version`,
          [state.id, ...values, changedAt],
        )).rows[0]!.version;
    await appendEvent(client, target, state.id, target.syncedEvent, version, changedAt, target.eventData(state, changedAt));
    await client.query('RELEASE SAVEPOINT context_write');
    return 'applied';
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!code || !INTEGRITY_OR_DATA_ERROR.test(code)) throw error;
    await client.query('ROLLBACK TO SAVEPOINT context_write');
    await deps.deadLetters.record({
      direction: 'forward',
      context: target.context,
      code: 'FORWARD.REJECTED_BY_SCHEMA',
      reason: `${target.table} refused the translated state (SQLSTATE ${code}, constraint ${(error as { constraint?: string }).constraint ?? 'n/a'})`,
      usrId: row.usr_id,
      message,
    });
    return 'dead-letter';
  }
}

async function erase(client: PoolClient, target: ContextTarget<any>, usrId: number, ownership: Ownership, changedAt: Date): Promise<Outcome> {
  if (ownership.existence() !== 'legacy') return 'not-owned';
  const deleted = await client.query<{ version: number }>(`DELETE FROM ${target.table} WHERE id = $1 RETURNING version`, [usrId]);
  const version = deleted.rows[0]?.version;
  if (version === undefined) return 'unchanged';
  await appendEvent(client, target, usrId, target.erasureEvent, version + 1, changedAt, { id: usrId });
  return 'applied';
}

/** The same envelope the contexts write (user-service/platform/outbox.ts), described by schemas/events/. */
async function appendEvent(client: PoolClient, target: ContextTarget<any>, id: number, type: string, version: number, occurredAt: Date, data: Record<string, unknown>): Promise<void> {
  const eventId = randomUUID();
  const schema = target.table.split('.')[0];
  const envelope = { eventId, type, schemaVersion: 1, aggregateId: id, version, occurredAt: occurredAt.toISOString(), data };
  await client.query(
    `INSERT INTO ${schema}.outbox (id, aggregatetype, aggregateid, type, payload, occurred_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [eventId, target.aggregateType, String(id), type, JSON.stringify(envelope), occurredAt],
  );
}
