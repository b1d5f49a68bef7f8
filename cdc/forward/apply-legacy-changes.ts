import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { DeadLetter, DeadLetterSink } from '../dead-letters/dead-letter-sink';
import { comparePositions, parseUsersChange, type LegacyUserRow, type Position, type UsersChange } from '../debezium/change-event';
import type { LogMessage } from '../kafka/event-log';
import { reportBatch, type AppliedBatch, type Outcome, type SyncMetrics } from '../metrics/sync-metrics';
import { ownershipOf, type Ownership } from '../ownership/ownership-map';
import { readStages } from '../ownership/stage-store';
import { PartitionProgress } from './partition-progress';
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

/** A row's place in the stream: what the next change of the row is checked against. */
interface RowPosition {
  position: Position;
  kafkaOffset: bigint | null;
  /** The capture topic's partition that offset belongs to. */
  kafkaPartition: number;
  sourceCommittedAt: number | null;
}

/** One context's state of one user: as locked in the table, and as the batch has changed it so far. */
interface ContextRow<S> {
  stored: { state: S; version: number } | undefined;
  current: { state: S; version: number; updatedAt: Date } | undefined;
  /** The messages whose change this row took, to dead-letter them if the table refuses the result. */
  changedBy: LogMessage[];
}

interface OutboxEvent {
  id: number;
  type: string;
  version: number;
  occurredAt: Date;
  data: Record<string, unknown>;
}

type RowChange = Exclude<UsersChange, { kind: 'tombstone' | 'unparseable' | 'truncate' }>;

/**
 * Applies one batch of Debezium events of public.users in one user_service transaction, set-based: the
 * positions and the three contexts' rows of every user in the batch are locked with one statement each,
 * the events are folded over them in memory (position check, ownership, translation, in Kafka order),
 * and each context's result is written with a few multi-row statements. The Kafka offsets are committed
 * by the caller only after this resolves, so a crash anywhere means the batch comes again and the
 * positions refuse what was already applied.
 */
export async function applyLegacyChanges(messages: LogMessage[], deps: ForwardSyncDependencies): Promise<AppliedBatch> {
  const ownership = ownershipOf(await readStages(deps.control));
  const batch = new BatchFold(ownership, deps.clock);
  // Every message of the batch is processed by the transaction below, whatever becomes of it.
  const progress = new PartitionProgress();
  const rowChanges: { change: RowChange; message: LogMessage }[] = [];
  for (const message of messages) {
    const change = parseUsersChange(message.key, message.value);
    progress.processed(message, change);
    switch (change.kind) {
      case 'tombstone':
        batch.count('none', 'ignored');
        break;
      case 'unparseable':
        batch.deadLetter({ direction: 'forward', context: null, code: 'FORWARD.UNPARSEABLE', reason: change.reason, usrId: null, message }, 'none');
        break;
      case 'truncate':
        // Emptying the monolith's table is not something a sync should replay on the new side.
        batch.deadLetter({ direction: 'forward', context: null, code: 'FORWARD.TRUNCATE_NOT_REPLICATED', reason: 'TRUNCATE of public.users is not applied to the contexts', usrId: null, message }, 'none');
        break;
      default:
        rowChanges.push({ change, message });
    }
  }

  const client = await deps.userService.connect();
  let failed = false;
  try {
    await client.query('BEGIN');
    if (rowChanges.length > 0) {
      const ids = [...new Set(rowChanges.map(({ change }) => change.usrId))].sort((a, b) => a - b);
      await batch.lock(client, ids);
      for (const { change, message } of rowChanges) batch.fold(change, message);
      for (const lane of lanes) await batch.write(client, lane, deps);
      await batch.writePositions(client);
    }
    // Last, after the rows it vouches for, and in their transaction: never ahead of what was applied.
    await progress.write(client, deps.clock());
    // Before COMMIT: a crash after it must not lose a dead letter. Redelivery records each one once.
    for (const letter of batch.deadLetters) await deps.deadLetters.record(letter);
    await client.query('COMMIT');
  } catch (error) {
    failed = true;
    await client.query('ROLLBACK').catch((rollbackError: unknown) => deps.logger.error({ err: rollbackError }, 'rollback failed'));
    throw error;
  } finally {
    client.release(failed);
  }
  return batch.report(deps.metrics, deps.clock().getTime());
}

class BatchFold {
  readonly deadLetters: DeadLetter[] = [];
  private readonly counts: { context: string; outcome: Outcome; row?: ContextRow<unknown> }[] = [];
  private readonly positions = new Map<number, RowPosition>();
  private readonly movedPositions = new Set<number>();
  private readonly rows = new Map<Lane<any>, Map<number, ContextRow<any>>>();
  private readonly events = new Map<Lane<any>, OutboxEvent[]>();
  private readonly applied: { sourceTsMs: number; commitLsn: bigint | null }[] = [];

  constructor(
    private readonly ownership: Ownership,
    private readonly clock: () => Date,
  ) {}

  count(context: string, outcome: Outcome, row?: ContextRow<unknown>): void {
    this.counts.push({ context, outcome, ...(row ? { row } : {}) });
  }

  deadLetter(letter: DeadLetter, context: string): void {
    this.deadLetters.push(letter);
    this.count(context, 'dead-letter');
  }

  /** Locks, in id order, every position and context row the batch may touch. */
  async lock(client: PoolClient, ids: number[]): Promise<void> {
    const stored = await client.query<{ usr_id: string; commit_lsn: string; lsn: string; kafka_offset: string | null; kafka_partition: number; source_committed_at: Date | null }>(
      'SELECT usr_id, commit_lsn, lsn, kafka_offset, kafka_partition, source_committed_at FROM sync.forward_positions WHERE usr_id = ANY($1) ORDER BY usr_id FOR UPDATE',
      [ids],
    );
    for (const row of stored.rows) {
      this.positions.set(Number(row.usr_id), {
        position: { commitLsn: BigInt(row.commit_lsn), lsn: BigInt(row.lsn) },
        kafkaOffset: row.kafka_offset === null ? null : BigInt(row.kafka_offset),
        kafkaPartition: row.kafka_partition,
        sourceCommittedAt: row.source_committed_at?.getTime() ?? null,
      });
    }
    for (const lane of lanes) {
      const rows = new Map<number, ContextRow<any>>();
      const locked = await client.query(`SELECT * FROM ${lane.target.table} WHERE id = ANY($1) ORDER BY id FOR UPDATE`, [ids]);
      for (const row of locked.rows as Record<string, unknown>[]) {
        const state = lane.target.fromRow(row);
        const version = Number(row.version);
        rows.set(state.id, { stored: { state, version }, current: { state, version, updatedAt: row.updated_at as Date }, changedBy: [] });
      }
      for (const id of ids) if (!rows.has(id)) rows.set(id, { stored: undefined, current: undefined, changedBy: [] });
      this.rows.set(lane, rows);
      this.events.set(lane, []);
    }
  }

  /** One event, in Kafka order, against the state the batch has reached so far. */
  fold(change: RowChange, message: LogMessage): void {
    const usrId = change.usrId;
    const stored = this.positions.get(usrId);
    // A batch redelivered after a crash: this very event, or a later one, was applied already.
    if (stored?.kafkaOffset != null && stored.kafkaPartition === message.partition && BigInt(message.offset) <= stored.kafkaOffset) {
      return this.count('none', 'duplicate');
    }
    // Snapshot rows say "this is the row now" and carry no usable LSN: they replace the state (or not, if
    // it is the same) without moving the LSN position. A streamed change older than the newest applied
    // one was re-emitted by a restarted connector.
    const streamed = change.kind === 'delete' || change.snapshot === 'no';
    if (streamed && change.position && stored && comparePositions(change.position, stored.position) <= 0) return this.count('none', 'duplicate');

    const changedAt = new Date(change.sourceTsMs);
    for (const lane of lanes) {
      const row = this.rows.get(lane)!.get(usrId)!;
      const outcome = change.kind === 'delete' ? this.erase(lane, row, usrId, changedAt, message) : this.upsert(lane, row, change.row, changedAt, message);
      this.count(lane.target.context, outcome, outcome === 'applied' ? row : undefined);
    }

    this.positions.set(usrId, {
      position: streamed && change.position ? change.position : stored?.position ?? { commitLsn: 0n, lsn: 0n },
      kafkaOffset: BigInt(message.offset),
      kafkaPartition: message.partition,
      // What the proxy's read-your-writes pin waits for: a snapshot row's time is when it was read, which
      // is after every commit it reflects.
      sourceCommittedAt: Math.max(stored?.sourceCommittedAt ?? 0, change.sourceTsMs),
    });
    this.movedPositions.add(usrId);
    this.applied.push({ sourceTsMs: change.sourceTsMs, commitLsn: streamed ? change.position?.commitLsn ?? null : null });
  }

  private upsert<S extends { id: number }>(lane: Lane<S>, row: ContextRow<S>, legacyRow: LegacyUserRow, changedAt: Date, message: LogMessage): Outcome {
    const { target } = lane;
    // A user comes into being with identity's owner; afterwards each context's state follows its own owner.
    const owner = row.current ? this.ownership.writesOf(target.context) : this.ownership.existence();
    if (owner !== 'legacy') return 'not-owned';
    const translated = lane.translate(legacyRow, changedAt, row.current?.state);
    if (!translated.ok) {
      this.deadLetters.push({ direction: 'forward', context: target.context, code: translated.code, reason: translated.reason, usrId: legacyRow.usr_id, message });
      return 'dead-letter';
    }
    if (row.current && lane.same(row.current.state, translated.state)) return 'unchanged';
    const version = (row.current?.version ?? 0) + 1;
    row.current = { state: translated.state, version, updatedAt: changedAt };
    row.changedBy.push(message);
    this.events.get(lane)!.push({ id: translated.state.id, type: target.syncedEvent, version, occurredAt: changedAt, data: target.eventData(translated.state, changedAt) });
    return 'applied';
  }

  private erase(lane: Lane<any>, row: ContextRow<any>, usrId: number, changedAt: Date, message: LogMessage): Outcome {
    if (this.ownership.existence() !== 'legacy') return 'not-owned';
    if (!row.current) return 'unchanged';
    this.events.get(lane)!.push({ id: usrId, type: lane.target.erasureEvent, version: row.current.version + 1, occurredAt: changedAt, data: { id: usrId } });
    row.current = undefined;
    row.changedBy.push(message);
    return 'applied';
  }

  /**
   * Writes one context's result: deletes, updates and inserts as one multi-row statement each, then its
   * events in Kafka order. A constraint the translation did not foresee (a taken email, a value too long
   * for a column) must dead-letter the rows it concerns, not abort the batch for every other row: the
   * context's statements run under a savepoint and, if the table refuses them, again row by row.
   */
  async write(client: PoolClient, lane: Lane<any>, deps: ForwardSyncDependencies): Promise<void> {
    const changed = [...this.rows.get(lane)!.entries()].filter(([, row]) => row.changedBy.length > 0);
    if (changed.length === 0) return;
    const events = this.events.get(lane)!;
    await client.query('SAVEPOINT context_write');
    try {
      await this.writeRows(client, lane, changed.map(([id]) => id), events);
      await client.query('RELEASE SAVEPOINT context_write');
      return;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      await client.query('ROLLBACK TO SAVEPOINT context_write');
      deps.logger.info({ context: lane.target.context, rows: changed.length }, 'a context refused a batch write; retrying row by row');
    }
    // Each row's own events, grouped once (Kafka order kept within a row), for the row-by-row writes.
    const eventsOf = new Map<number, OutboxEvent[]>();
    for (const event of events) {
      const own = eventsOf.get(event.id);
      if (own) own.push(event);
      else eventsOf.set(event.id, [event]);
    }
    // In the order the rows last changed, as one-by-one application would have met them.
    const lastOffset = (row: ContextRow<any>) => BigInt(row.changedBy[row.changedBy.length - 1]!.offset);
    changed.sort(([, a], [, b]) => (lastOffset(a) < lastOffset(b) ? -1 : 1));
    for (const [id, row] of changed) {
      await client.query('SAVEPOINT context_row');
      try {
        await this.writeRows(client, lane, [id], eventsOf.get(id) ?? []);
        await client.query('RELEASE SAVEPOINT context_row');
      } catch (error) {
        if (!isRefusal(error)) throw error;
        await client.query('ROLLBACK TO SAVEPOINT context_row');
        const { code, constraint } = error as { code: string; constraint?: string };
        for (const message of row.changedBy) {
          this.deadLetters.push({
            direction: 'forward',
            context: lane.target.context,
            code: 'FORWARD.REJECTED_BY_SCHEMA',
            reason: `${lane.target.table} refused the translated state (SQLSTATE ${code}, constraint ${constraint ?? 'n/a'})`,
            usrId: id,
            message,
          });
        }
        for (const count of this.counts) if (count.row === row) count.outcome = 'dead-letter';
      }
    }
  }

  /** The rows of `ids` and their `events` (exactly those rows' events, in Kafka order). */
  private async writeRows(client: PoolClient, lane: Lane<any>, ids: number[], events: OutboxEvent[]): Promise<void> {
    const { target } = lane;
    const rows = this.rows.get(lane)!;
    const erased = ids.filter((id) => rows.get(id)!.stored && !rows.get(id)!.current);
    const record = (id: number) => {
      const { state, version, updatedAt } = rows.get(id)!.current!;
      const values = target.values(state);
      return Object.fromEntries([['id', id], ...target.columns.map((column, i) => [column, values[i]]), ['version', version], ['updated_at', updatedAt]]);
    };
    const updated = ids.filter((id) => rows.get(id)!.stored && rows.get(id)!.current).map(record);
    const inserted = ids.filter((id) => !rows.get(id)!.stored && rows.get(id)!.current).map(record);
    const columns = ['id', ...target.columns, 'version', 'updated_at'];

    if (erased.length > 0) await client.query(`DELETE FROM ${target.table} WHERE id = ANY($1)`, [erased]);
    if (updated.length > 0) {
      await client.query(
        `UPDATE ${target.table} AS t SET (${columns.slice(1).join(', ')}) = (${columns.slice(1).map((c) => `r.${c}`).join(', ')})
         FROM jsonb_populate_recordset(NULL::${target.table}, $1) AS r WHERE t.id = r.id`,
        [JSON.stringify(updated)],
      );
    }
    if (inserted.length > 0) {
      await client.query(
        `INSERT INTO ${target.table} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM jsonb_populate_recordset(NULL::${target.table}, $1)`,
        [JSON.stringify(inserted)],
      );
    }
    if (events.length > 0) await appendEvents(client, target, events);
  }

  async writePositions(client: PoolClient): Promise<void> {
    if (this.movedPositions.size === 0) return;
    const appliedAt = this.clock();
    const records = [...this.movedPositions].map((usrId) => {
      const { position, kafkaOffset, kafkaPartition, sourceCommittedAt } = this.positions.get(usrId)!;
      return {
        usr_id: usrId,
        commit_lsn: position.commitLsn.toString(),
        lsn: position.lsn.toString(),
        kafka_offset: kafkaOffset?.toString() ?? null,
        kafka_partition: kafkaPartition,
        applied_at: appliedAt,
        source_committed_at: sourceCommittedAt ? new Date(sourceCommittedAt) : null,
      };
    });
    await client.query(
      `INSERT INTO sync.forward_positions (usr_id, commit_lsn, lsn, kafka_offset, kafka_partition, applied_at, source_committed_at)
       SELECT usr_id, commit_lsn, lsn, kafka_offset, kafka_partition, applied_at, source_committed_at FROM jsonb_populate_recordset(NULL::sync.forward_positions, $1)
       ON CONFLICT (usr_id) DO UPDATE SET commit_lsn = EXCLUDED.commit_lsn, lsn = EXCLUDED.lsn, kafka_offset = EXCLUDED.kafka_offset,
         kafka_partition = EXCLUDED.kafka_partition, applied_at = EXCLUDED.applied_at, source_committed_at = EXCLUDED.source_committed_at`,
      [JSON.stringify(records)],
    );
  }

  /** After COMMIT: what happened, as metrics, and the lag for the worker's health. */
  report(metrics: SyncMetrics, now: number): AppliedBatch {
    const applied = this.applied.map(({ sourceTsMs, commitLsn }) => ({ sourceMs: sourceTsMs, position: commitLsn === null ? null : Number(commitLsn) }));
    return reportBatch(metrics, 'forward', this.counts, applied, now);
  }
}

function isRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && INTEGRITY_OR_DATA_ERROR.test(code);
}

/** The same envelope the contexts write (user-service/platform/outbox.ts), described by schemas/events/. */
async function appendEvents(client: PoolClient, target: ContextTarget<any>, events: OutboxEvent[]): Promise<void> {
  const schema = target.table.split('.')[0];
  const rows = events.map(({ id, type, version, occurredAt, data }) => {
    const eventId = randomUUID();
    const envelope = { eventId, type, schemaVersion: 1, aggregateId: id, version, occurredAt: occurredAt.toISOString(), data };
    return { id: eventId, aggregatetype: target.aggregateType, aggregateid: String(id), type, payload: envelope, occurred_at: occurredAt };
  });
  // WITH ORDINALITY keeps the batch's order in the outbox (its seq, and the WAL Debezium reads).
  await client.query(
    `INSERT INTO ${schema}.outbox (id, aggregatetype, aggregateid, type, payload, occurred_at)
     SELECT r.id, r.aggregatetype, r.aggregateid, r.type, r.payload, r.occurred_at
     FROM jsonb_populate_recordset(NULL::${schema}.outbox, $1) WITH ORDINALITY AS r ORDER BY r.ordinality`,
    [JSON.stringify(rows)],
  );
}
