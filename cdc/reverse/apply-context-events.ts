import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { DeadLetterSink } from '../dead-letters/dead-letter-sink';
import type { LogMessage } from '../kafka/event-log';
import { reportBatch, type AppliedBatch, type Outcome, type SyncMetrics } from '../metrics/sync-metrics';
import { ownershipOf, type Ownership, type WritesOwner } from '../ownership/ownership-map';
import { readStages } from '../ownership/stage-store';
import { contextEventToLegacyWrite, type LegacyWrite } from './context-event.acl';

export interface ReverseSyncDependencies {
  /** legacy, logged in as strangler_sync. */
  legacy: Pool;
  /** The control plane: stages (who owns writes). */
  control: Pool;
  deadLetters: DeadLetterSink;
  metrics: SyncMetrics;
  logger: Logger;
  clock: () => Date;
}

/** Accounts registered by the user-service draw their ids from here up (migrations/user-service/identity). */
export const NEW_SERVICE_ID_FLOOR = 1_000_000_000_000;

type Settleable = Exclude<LegacyWrite, { kind: 'unparseable' }>;
type ContextName = Settleable['event']['context'];

// Created with the account, in the same sign-up transaction: they follow identity's owner, like the row itself.
const CREATION_EVENTS: ReadonlySet<string> = new Set(['profile.ProfileCreated', 'preferences.PreferencesCreated']);

// One advisory lock class for the reverse sync (two-int keys never meet the one-bigint keys of the migrations).
const USER_LOCK_CLASS = 0x52455653; // "REVS"
const INTEGRITY_OR_DATA_ERROR = /^(22|23)/;

/** What one batch did, reported to the metrics only once the transaction has committed. */
interface Tally {
  counts: { context: string; outcome: Outcome }[];
  applied: { occurredAt: Date; offset: string }[];
}

/**
 * Applies one batch of one topic partition of the contexts' events in one legacy transaction: per event
 * the ownership check, the version check against strangler_sync.reverse_positions, the write, the new
 * version. The Kafka offsets are committed by the caller only after this resolves, so a crash anywhere
 * means the batch comes again and the positions refuse what was already applied.
 */
export async function applyContextEvents(messages: LogMessage[], deps: ReverseSyncDependencies): Promise<AppliedBatch> {
  const ownership = ownershipOf(await readStages(deps.control));
  const tally: Tally = { counts: [], applied: [] };
  const client = await deps.legacy.connect();
  let failed = false;
  try {
    await client.query('BEGIN');
    for (const message of messages) await applyMessage(client, message, ownership, deps, tally);
    await client.query('COMMIT');
  } catch (error) {
    failed = true;
    await client.query('ROLLBACK').catch((rollbackError: unknown) => deps.logger.error({ err: rollbackError }, 'rollback failed'));
    throw error;
  } finally {
    client.release(failed);
  }
  const applied = tally.applied.map(({ occurredAt, offset }) => ({ sourceMs: occurredAt.getTime(), position: Number(offset) }));
  return reportBatch(deps.metrics, 'reverse', tally.counts, applied, deps.clock().getTime());
}

// The router names each topic after the aggregate (cdc/connectors/user-service-outbox.json); an event too
// broken to name its own context is still attributed to its topic's. This also keeps its dead letter
// keyed: control.dead_letters' unique key treats a null context as distinct on every replay.
const CONTEXT_OF_AGGREGATE: Readonly<Record<string, ContextName>> = { account: 'identity', profile: 'profile', preferences: 'preferences' };
function contextOfTopic(topic: string): ContextName | null {
  const aggregate = /\.(account|profile|preferences)\.events$/.exec(topic)?.[1];
  return aggregate === undefined ? null : CONTEXT_OF_AGGREGATE[aggregate]!;
}

async function applyMessage(client: PoolClient, message: LogMessage, ownership: Ownership, deps: ReverseSyncDependencies, tally: Tally): Promise<void> {
  // The outbox rows are never deleted and the connector emits no tombstones; a null value carries nothing.
  if (message.value === null) {
    tally.counts.push({ context: 'none', outcome: 'ignored' });
    return;
  }
  const topicContext = contextOfTopic(message.topic);
  let envelope: unknown;
  try {
    envelope = JSON.parse(message.value.toString('utf8'));
  } catch (error) {
    await deps.deadLetters.record({ direction: 'reverse', context: topicContext, code: 'REVERSE.NOT_JSON', reason: `the event is not JSON (${(error as Error).name})`, usrId: null, message });
    tally.counts.push({ context: topicContext ?? 'none', outcome: 'dead-letter' });
    return;
  }
  const write = contextEventToLegacyWrite(envelope);
  if (write.kind === 'unparseable') {
    await deps.deadLetters.record({ direction: 'reverse', context: topicContext, code: write.code, reason: write.reason, usrId: write.aggregateId, message });
    tally.counts.push({ context: topicContext ?? 'none', outcome: 'dead-letter' });
    return;
  }
  await settle(client, write, envelope, message, ownership, deps, tally);
}

/** Settles one translated event: skipped, parked, applied or dead-lettered; its version recorded unless parked. */
async function settle(
  client: PoolClient,
  write: Settleable,
  envelope: unknown,
  message: LogMessage,
  ownership: Ownership,
  deps: ReverseSyncDependencies,
  tally: Tally,
): Promise<void> {
  const { event } = write;
  const usrId = event.aggregateId;
  const count = (outcome: Outcome) => tally.counts.push({ context: event.context, outcome });
  // One user at a time across workers: the transaction inserting a row and one parking an event for
  // it must not pass each other, or the parked event would wait for an insert that already happened.
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [USER_LOCK_CLASS, String(usrId)]);
  const stored = (await client.query<{ version: number }>(
    'SELECT version FROM strangler_sync.reverse_positions WHERE usr_id = $1 AND context = $2 FOR UPDATE',
    [usrId, event.context],
  )).rows[0]?.version;
  // Redelivered (a batch replayed after a crash), or older than what legacy already holds.
  if (stored !== undefined && event.version <= stored) return void count('duplicate');

  const record = () => recordVersion(client, usrId, event.context, event.version, deps.clock());
  if (write.kind === 'ignore') {
    await record();
    return void count('ignored');
  }
  // Recorded even when not owned: a redelivery after the context flips must not write an old state back.
  if (ownerOf(write, ownership) !== 'new') {
    await record();
    if (write.kind === 'insert-user') await drainParked(client, usrId, ownership, deps, tally);
    return void count('not-owned');
  }

  const rejected = (reason: string) => deps.deadLetters.record({ direction: 'reverse', context: event.context, code: 'REVERSE.REJECTED_BY_LEGACY', reason, usrId, message });
  switch (write.kind) {
    case 'insert-user': {
      const outcome = await guarded(client, () => insertUser(client, write.row), rejected);
      await record();
      count(outcome);
      if (outcome === 'applied') tally.applied.push({ occurredAt: event.occurredAt, offset: message.offset });
      // Whatever became of the row, the events parked for it are settled now, in version order.
      await drainParked(client, usrId, ownership, deps, tally);
      return;
    }
    case 'delete-user': {
      const outcome = await guarded(client, () => deleteUser(client, usrId), rejected);
      await record();
      count(outcome);
      if (outcome === 'applied' || outcome === 'unchanged') tally.applied.push({ occurredAt: event.occurredAt, offset: message.offset });
      return;
    }
    case 'update-user': {
      const current = await currentRow(client, usrId);
      if (current === undefined) {
        if (write.context === 'identity') {
          // An account's events share one topic partition, registration first: its row should be there.
          await deps.deadLetters.record({ direction: 'reverse', context: 'identity', code: 'REVERSE.NO_LEGACY_ROW', reason: `${event.type}: legacy has no row for this account`, usrId, message });
          await record();
          return void count('dead-letter');
        }
        if (await rowIsGone(client, usrId)) {
          // Erased (or never created in legacy) before this context's topic caught up: nothing to update.
          deps.logger.debug({ usrId, type: event.type }, 'event for a user legacy no longer has');
          await record();
          return void count('ignored');
        }
        // A redelivered batch finds its events parked already.
        return void count((await park(client, write, envelope, message, deps.clock())) ? 'parked' : 'duplicate');
      }
      const outcome = await guarded(client, () => updateUser(client, usrId, current, write.columns), rejected);
      await record();
      count(outcome);
      if (outcome === 'applied' || outcome === 'unchanged') tally.applied.push({ occurredAt: event.occurredAt, offset: message.offset });
      return;
    }
  }
}

function ownerOf(write: Exclude<Settleable, { kind: 'ignore' }>, ownership: Ownership): WritesOwner {
  if (write.kind !== 'update-user' || CREATION_EVENTS.has(write.event.type)) return ownership.existence();
  return ownership.writesOf(write.context);
}

async function recordVersion(client: PoolClient, usrId: number, context: ContextName, version: number, at: Date): Promise<void> {
  await client.query(
    `INSERT INTO strangler_sync.reverse_positions (usr_id, context, version, applied_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (usr_id, context) DO UPDATE SET version = EXCLUDED.version, applied_at = EXCLUDED.applied_at`,
    [usrId, context, version, at],
  );
}

/**
 * No legacy row and none to come: legacy made the user itself (its ids stay below the service's range),
 * or the account's registration was already settled (then the row was erased, or never inserted).
 */
async function rowIsGone(client: PoolClient, usrId: number): Promise<boolean> {
  if (usrId < NEW_SERVICE_ID_FLOOR) return true;
  const { rowCount } = await client.query("SELECT 1 FROM strangler_sync.reverse_positions WHERE usr_id = $1 AND context = 'identity'", [usrId]);
  return (rowCount ?? 0) > 0;
}

/** False when the event was parked already: the key (user, context, version) keeps one. */
async function park(client: PoolClient, write: Settleable, envelope: unknown, message: LogMessage, at: Date): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO strangler_sync.pending_events (usr_id, context, version, event, parked_at, topic, kafka_partition, kafka_offset)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (usr_id, context, version) DO NOTHING`,
    [write.event.aggregateId, write.event.context, write.event.version, JSON.stringify(envelope), at, message.topic, message.partition, message.offset],
  );
  return (rowCount ?? 0) > 0;
}

/** The events parked for a user, taken out and settled in version order within the caller's transaction. */
async function drainParked(client: PoolClient, usrId: number, ownership: Ownership, deps: ReverseSyncDependencies, tally: Tally): Promise<void> {
  const { rows } = await client.query<{ context: string; event: unknown; topic: string; kafka_partition: number; kafka_offset: string }>(
    'DELETE FROM strangler_sync.pending_events WHERE usr_id = $1 RETURNING context, version, event, topic, kafka_partition, kafka_offset',
    [usrId],
  );
  const parked = rows
    .map((row) => ({ row, write: contextEventToLegacyWrite(row.event) }))
    .sort((a, b) => versionOf(a.write) - versionOf(b.write));
  for (const { row, write } of parked) {
    // The message it came from, for a dead letter keyed by its Kafka coordinates.
    const message: LogMessage = {
      topic: row.topic,
      partition: row.kafka_partition,
      offset: row.kafka_offset,
      key: Buffer.from(JSON.stringify(String(usrId))),
      value: Buffer.from(JSON.stringify(row.event)),
      timestamp: '',
      headers: {},
    };
    if (write.kind === 'unparseable') {
      // It parsed when it was parked; a change of the translation since is worth a dead letter, not a throw.
      const context = contextOfTopic(row.topic) ?? (row.context as ContextName);
      await deps.deadLetters.record({ direction: 'reverse', context, code: write.code, reason: write.reason, usrId, message });
      tally.counts.push({ context, outcome: 'dead-letter' });
      continue;
    }
    await settle(client, write, row.event, message, ownership, deps, tally);
  }
}

const versionOf = (write: LegacyWrite): number => (write.kind === 'unparseable' ? 0 : write.event.version);

/**
 * A constraint the translation did not foresee (an email legacy already has under another id) must
 * dead-letter this event, not abort the batch for every other one.
 */
async function guarded(client: PoolClient, write: () => Promise<Outcome>, rejected: (reason: string) => Promise<void>): Promise<Outcome> {
  await client.query('SAVEPOINT legacy_write');
  try {
    const outcome = await write();
    await client.query('RELEASE SAVEPOINT legacy_write');
    return outcome;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!code || !INTEGRITY_OR_DATA_ERROR.test(code)) throw error;
    await client.query('ROLLBACK TO SAVEPOINT legacy_write');
    await rejected(`public.users refused the write (SQLSTATE ${code}, constraint ${(error as { constraint?: string }).constraint ?? 'n/a'})`);
    return 'dead-letter';
  }
}

// ---- public.users ----

// Legacy's timestamps are `timestamp` in UTC by convention: converted explicitly both ways so the
// process's own time zone never shifts them, and compared at the events' millisecond precision.
const TIMESTAMP_COLUMNS: ReadonlySet<string> = new Set(['last_login_ts', 'created_ts', 'updated_ts']);
const COMPARED_COLUMNS = ['email_addr', 'pwd_hash', 'acct_stat_cd', 'disp_nm', 'bio_txt', 'avatar_url', 'pref_lang', 'pref_tz', 'email_optin_flg', 'theme_cd', 'last_login_ts', 'created_ts'] as const;
type ColumnValue = string | Date | null;

const selected = (column: string) => (TIMESTAMP_COLUMNS.has(column) ? `(date_trunc('milliseconds', ${column}) AT TIME ZONE 'UTC') AS ${column}` : column);
const placeholder = (column: string, n: number) => (TIMESTAMP_COLUMNS.has(column) ? `($${n}::timestamptz AT TIME ZONE 'UTC')` : `$${n}`);
const parameter = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

async function currentRow(client: PoolClient, usrId: number): Promise<Record<string, ColumnValue> | undefined> {
  const { rows } = await client.query(`SELECT ${COMPARED_COLUMNS.map(selected).join(', ')} FROM public.users WHERE usr_id = $1 FOR UPDATE`, [usrId]);
  return rows[0] as Record<string, ColumnValue> | undefined;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}

async function insertUser(client: PoolClient, row: object): Promise<Outcome> {
  const values = row as Record<string, unknown>;
  const columns = Object.keys(values);
  await client.query(
    `INSERT INTO public.users (${columns.join(', ')}) VALUES (${columns.map((c, i) => placeholder(c, i + 1)).join(', ')})`,
    columns.map((c) => parameter(values[c])),
  );
  return 'applied';
}

/**
 * Writes only the columns whose values differ, and nothing at all when none does: a no-op write would
 * still be a change event for the forward sync to look at, and an updated_ts moved for nothing.
 */
async function updateUser(client: PoolClient, usrId: number, current: Record<string, ColumnValue>, written: object): Promise<Outcome> {
  const columns = written as Record<string, unknown>;
  const changed = Object.keys(columns).filter((c) => c !== 'updated_ts' && !sameValue(current[c], columns[c]));
  if (changed.length === 0) return 'unchanged';
  const assigned = 'updated_ts' in columns && columns.updated_ts !== undefined ? [...changed, 'updated_ts'] : changed;
  await client.query(
    `UPDATE public.users SET ${assigned.map((c, i) => `${c} = ${placeholder(c, i + 2)}`).join(', ')} WHERE usr_id = $1`,
    [usrId, ...assigned.map((c) => parameter(columns[c]))],
  );
  return 'applied';
}

async function deleteUser(client: PoolClient, usrId: number): Promise<Outcome> {
  const { rowCount } = await client.query('DELETE FROM public.users WHERE usr_id = $1', [usrId]);
  await client.query('DELETE FROM strangler_sync.pending_events WHERE usr_id = $1', [usrId]);
  return (rowCount ?? 0) > 0 ? 'applied' : 'unchanged';
}
