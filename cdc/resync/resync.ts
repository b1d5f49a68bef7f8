// Repairs one context's drift (found by `strangler verify`) from the side that owns the context's writes:
// - legacy owns them (stages legacy..reads): Debezium re-reads the rows (an incremental snapshot through
//   the signal table) and the forward sync applies them like any change, with its own rules and events.
//   A context row whose legacy row is gone (`extra`) cannot be re-read: it is erased here, as the forward
//   sync erases on a legacy delete (row deleted, *ErasureSyncedFromLegacy in the outbox, one transaction).
// - the new service owns them (writes, retired): the context's current state is written back over that
//   context's legacy columns through the reverse ACL's *ToLegacyColumns, chunk by chunk.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '../postgres/in-transaction';
import type { AccountState, PersonaState, SettingsState } from '../forward/legacy-user.acl';
import { ownershipOf, type Context, type WritesOwner } from '../ownership/ownership-map';
import { readStages } from '../ownership/stage-store';
import { accountToLegacyColumns, personaToLegacyColumns, settingsToLegacyColumns, type Columns } from '../reverse/context-event.acl';
import { classify, LANES } from '../verify/drift';
import { LEGACY_USERS_SELECT, legacyRowOf } from '../verify/legacy-rows';
import { snapshotSignalData } from './snapshot-signal';

export interface ResyncOptions {
  context: Context;
  /** The rows to repair; every row of the context when absent. */
  ids?: readonly number[];
  /** legacy, as the sync role: reads public.users and writes the context's columns back. */
  legacy: Pool;
  /** legacy, as a role that may insert into public.debezium_signal (its owner); `legacy` when absent. */
  signals?: Pool;
  /** user_service, as the sync role. */
  userService: Pool;
  /** The control plane: whose writes the context's are. */
  control: Pool;
  chunkSize?: number;
  clock?: () => Date;
}

export interface Skipped {
  readonly id: number;
  readonly reason: string;
}

export type ResyncResult =
  | {
      readonly context: Context;
      readonly writesOwner: 'legacy';
      /** Ids of the execute-snapshot signals inserted, and the ids they cover ('all' for the whole table). */
      readonly signals: readonly { readonly signalId: string; readonly ids: readonly number[] | 'all' }[];
      /** Context rows erased because legacy has no row for them. */
      readonly erased: readonly number[];
      readonly skipped: readonly Skipped[];
    }
  | {
      readonly context: Context;
      readonly writesOwner: 'new';
      /** Legacy rows whose context columns were rewritten. */
      readonly rewritten: readonly number[];
      /** Legacy rows created from an account (identity only: users come and go with identity). */
      readonly inserted: readonly number[];
      /** Rows that already agreed. */
      readonly unchanged: number;
      /** The reverse ACL or legacy's table refused the state: the row is left as it was. */
      readonly refused: readonly (Skipped & { readonly code: string })[];
      readonly skipped: readonly Skipped[];
    };

const DEFAULT_CHUNK_SIZE = 500;

function checkIds(ids: readonly number[] | undefined): void {
  for (const id of ids ?? []) if (!Number.isSafeInteger(id) || id < 1) throw new Error(`not a user id: ${String(id)}`);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}


export async function resync(options: ResyncOptions): Promise<ResyncResult> {
  checkIds(options.ids);
  const ownership = ownershipOf(await readStages(options.control));
  const owner: WritesOwner = ownership.writesOf(options.context);
  return owner === 'legacy' ? resyncFromLegacy(options, ownership.existence()) : resyncFromContext(options);
}

// ---- legacy owns the writes: Debezium re-reads, the forward sync applies ----

async function existingIds(pool: Pool, sql: string, ids: readonly number[]): Promise<Set<number>> {
  const { rows } = await pool.query<{ id: string }>(sql, [ids]);
  return new Set(rows.map((row) => Number(row.id)));
}

async function resyncFromLegacy(options: ResyncOptions, existence: WritesOwner): Promise<ResyncResult> {
  const { context, ids, legacy, userService } = options;
  const clock = options.clock ?? (() => new Date());
  const signalsPool = options.signals ?? legacy;
  const erased: number[] = [];
  const skipped: Skipped[] = [];
  let toSnapshot: number[] | undefined;

  if (ids !== undefined) {
    const unique = [...new Set(ids)].sort((a, b) => a - b);
    const inLegacy = await existingIds(legacy, 'SELECT usr_id AS id FROM public.users WHERE usr_id = ANY($1::bigint[])', unique);
    toSnapshot = unique.filter((id) => inLegacy.has(id));
    const { target } = LANES[context];
    const inContext = await existingIds(userService, `SELECT id FROM ${target.table} WHERE id = ANY($1::bigint[])`, unique.filter((id) => !inLegacy.has(id)));
    for (const id of unique) {
      if (inLegacy.has(id)) continue;
      if (!inContext.has(id)) skipped.push({ id, reason: 'neither legacy nor the context has this row' });
      else if (existence !== 'legacy') skipped.push({ id, reason: 'no legacy row, and the new service owns sign-ups and erasures (identity): the reverse sync creates legacy rows' });
      else if (await eraseFromContext(userService, context, id, clock())) erased.push(id);
    }
  }

  const signals: { signalId: string; ids: readonly number[] | 'all' }[] = [];
  if (toSnapshot === undefined || toSnapshot.length > 0) {
    const batches = snapshotSignalData(toSnapshot);
    const run = randomBytes(6).toString('hex');
    for (const [i, data] of batches.entries()) {
      // varchar(42): short, unique per run and batch.
      const signalId = `resync-${run}-${i}`;
      await signalsPool.query("INSERT INTO public.debezium_signal (id, type, data) VALUES ($1, 'execute-snapshot', $2)", [signalId, data]);
      const covered = (JSON.parse(data) as { 'additional-conditions'?: { filter: string }[] })['additional-conditions']?.[0]?.filter;
      signals.push({ signalId, ids: covered === undefined ? 'all' : (covered.match(/\d+/g) ?? []).map(Number) });
    }
  }
  return { context, writesOwner: 'legacy', signals, erased, skipped };
}

/**
 * What the forward sync does on a legacy delete (cdc/forward/apply-legacy-changes.ts, erase), for one
 * context: the row and its *ErasureSyncedFromLegacy event in one transaction, at the next version.
 */
async function eraseFromContext(userService: Pool, context: Context, id: number, at: Date): Promise<boolean> {
  const { target } = LANES[context];
  return inTransaction(userService, async (client) => {
    const deleted = await client.query<{ version: number }>(`DELETE FROM ${target.table} WHERE id = $1 RETURNING version`, [id]);
    const version = deleted.rows[0]?.version;
    if (version === undefined) return false;
    const eventId = randomUUID();
    const envelope = { eventId, type: target.erasureEvent, schemaVersion: 1, aggregateId: id, version: version + 1, occurredAt: at.toISOString(), data: { id } };
    await client.query(
      `INSERT INTO ${context}.outbox (id, aggregatetype, aggregateid, type, payload, occurred_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [eventId, target.aggregateType, String(id), target.erasureEvent, JSON.stringify(envelope), at],
    );
    return true;
  });
}

// ---- the new service owns the writes: the context's state goes back over legacy's columns ----

type AnyState = AccountState | PersonaState | SettingsState;

function legacyColumnsOf(context: Context, state: AnyState): Columns<Record<string, unknown>> {
  switch (context) {
    case 'identity': return accountToLegacyColumns(state as AccountState) as Columns<Record<string, unknown>>;
    case 'profile': return personaToLegacyColumns(state as PersonaState) as Columns<Record<string, unknown>>;
    case 'preferences': return settingsToLegacyColumns(state as SettingsState) as Columns<Record<string, unknown>>;
  }
}

/** `timestamp without time zone` holds UTC by convention: a Date goes in as its UTC wall-clock time. */
const placeholder = (value: unknown, n: number): { sql: string; value: unknown } =>
  value instanceof Date ? { sql: `($${n}::timestamptz AT TIME ZONE 'UTC')`, value: value.toISOString() } : { sql: `$${n}`, value };

async function contextStates(userService: Pool, context: Context, ids: readonly number[] | undefined, after: number, limit: number): Promise<AnyState[]> {
  const { target } = LANES[context];
  const { rows } = ids === undefined
    ? await userService.query(`SELECT id, ${target.columns.join(', ')} FROM ${target.table} WHERE id > $1 ORDER BY id LIMIT $2`, [after, limit])
    : await userService.query(`SELECT id, ${target.columns.join(', ')} FROM ${target.table} WHERE id = ANY($1::bigint[]) ORDER BY id`, [ids]);
  return rows.map((row: Record<string, unknown>) => target.fromRow(row) as AnyState);
}

async function resyncFromContext(options: ResyncOptions): Promise<ResyncResult> {
  const { context, ids, legacy, userService } = options;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const lane = LANES[context];
  const rewritten: number[] = [];
  const inserted: number[] = [];
  const refused: (Skipped & { code: string })[] = [];
  const skipped: Skipped[] = [];
  let unchanged = 0;

  const repairChunk = async (states: readonly AnyState[]) => {
    await inTransaction(legacy, async (client) => {
      const stateIds = states.map((state) => state.id);
      const { rows } = await client.query(`${LEGACY_USERS_SELECT} WHERE usr_id = ANY($1::bigint[]) FOR UPDATE`, [stateIds]);
      const legacyRows = new Map(rows.map((raw: Record<string, unknown>) => legacyRowOf(raw)).map((row) => [row.usr_id, row]));
      for (const state of states) {
        const row = legacyRows.get(state.id);
        if (row !== undefined && classify(lane, row, state) === undefined) {
          unchanged += 1;
          continue;
        }
        if (row === undefined && context !== 'identity') {
          skipped.push({ id: state.id, reason: 'legacy has no row for this user: the row comes with identity (resync identity first)' });
          continue;
        }
        const columns = legacyColumnsOf(context, state);
        if (!columns.ok) {
          refused.push({ id: state.id, code: columns.code, reason: columns.reason });
          continue;
        }
        const outcome = await writeLegacy(client, state.id, columns.columns, row === undefined);
        if (outcome === 'written') (row === undefined ? inserted : rewritten).push(state.id);
        else refused.push({ id: state.id, code: outcome.code, reason: outcome.reason });
      }
    });
  };

  if (ids !== undefined) {
    const unique = [...new Set(ids)].sort((a, b) => a - b);
    for (const batch of chunks(unique, chunkSize)) {
      const states = await contextStates(userService, context, batch, 0, chunkSize);
      const found = new Set(states.map((state) => state.id));
      for (const id of batch) if (!found.has(id)) skipped.push({ id, reason: 'the context has no state for this user: nothing to write back (erasures travel as identity.AccountErased)' });
      if (states.length > 0) await repairChunk(states);
    }
  } else {
    // Keyset pagination over the context's table, one legacy transaction per chunk.
    let after = 0;
    for (;;) {
      const states = await contextStates(userService, context, undefined, after, chunkSize);
      if (states.length === 0) break;
      await repairChunk(states);
      after = states[states.length - 1]!.id;
      if (states.length < chunkSize) break;
    }
  }
  return { context, writesOwner: 'new', rewritten, inserted, unchanged, refused, skipped };
}

const INTEGRITY_OR_DATA_ERROR = /^(22|23)/;

/** One row's write, under a savepoint so that a refused row does not undo the chunk's others. */
async function writeLegacy(client: PoolClient, id: number, columns: Record<string, unknown>, insert: boolean): Promise<'written' | { code: string; reason: string }> {
  const names = Object.keys(columns);
  const values = names.map((name, i) => placeholder(columns[name], i + 2));
  await client.query('SAVEPOINT resync_row');
  try {
    if (insert) {
      await client.query(
        `INSERT INTO public.users (usr_id, ${names.join(', ')}, updated_ts) VALUES ($1, ${values.map((v) => v.sql).join(', ')}, timezone('utc', now()))`,
        [id, ...values.map((v) => v.value)],
      );
    } else {
      // updated_ts moves as with every legacy write: legacy's own readers rely on it.
      await client.query(
        `UPDATE public.users SET ${names.map((name, i) => `${name} = ${values[i]!.sql}`).join(', ')}, updated_ts = timezone('utc', now()) WHERE usr_id = $1`,
        [id, ...values.map((v) => v.value)],
      );
    }
    await client.query('RELEASE SAVEPOINT resync_row');
    return 'written';
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!code || !INTEGRITY_OR_DATA_ERROR.test(code)) throw error;
    await client.query('ROLLBACK TO SAVEPOINT resync_row');
    return { code: `RESYNC.LEGACY_REFUSED`, reason: `public.users refused the row (SQLSTATE ${code}, constraint ${(error as { constraint?: string }).constraint ?? 'n/a'})` };
  }
}
