// Anti-corruption layer between Debezium's JSON change events of public.users (legacy-users.json:
// JsonConverter without schemas, time.precision.mode=isostring) and our own types. Pure: bytes in, a
// value out, never a throw, so one poison message is a dead letter and not a stuck consumer.

/** The columns of public.users, as CONTRACT.md fixes them. */
export const LEGACY_USER_COLUMNS = [
  'usr_id',
  'email_addr',
  'pwd_hash',
  'acct_stat_cd',
  'disp_nm',
  'bio_txt',
  'avatar_url',
  'pref_lang',
  'pref_tz',
  'email_optin_flg',
  'theme_cd',
  'last_login_ts',
  'created_ts',
  'updated_ts',
] as const;

export type LegacyColumn = (typeof LEGACY_USER_COLUMNS)[number];

/**
 * One row of public.users as Debezium delivers it. Timestamps stay the text that arrived: isostring mode
 * renders a `timestamp` (without time zone, UTC by convention) as `2026-11-01T10:20:30.123456Z`, trailing
 * zeros of the fraction dropped (`...30.1Z`) and no fraction at all when it is zero (`...30Z`).
 * char(1) columns arrive blank-padded: an empty flag reads `" "`.
 */
export interface LegacyUserRow {
  readonly usr_id: number;
  readonly email_addr: string;
  readonly pwd_hash: string;
  readonly acct_stat_cd: string;
  readonly disp_nm: string | null;
  readonly bio_txt: string | null;
  readonly avatar_url: string | null;
  readonly pref_lang: string | null;
  readonly pref_tz: string | null;
  readonly email_optin_flg: string | null;
  readonly theme_cd: string | null;
  readonly last_login_ts: string | null;
  readonly created_ts: string | null;
  readonly updated_ts: string | null;
}

/**
 * What Debezium puts in a column whose value it does not have: an unchanged TOASTed value of an update
 * without REPLICA IDENTITY FULL (the legacy migration sets FULL, so this is a guard, not the normal case).
 * Writing it anywhere would replace a user's bio with this text.
 */
export const UNAVAILABLE_VALUE_PLACEHOLDER = '__debezium_unavailable_value';

/**
 * A place in the WAL stream, from `source.sequence` = [lastCommitLsn, lsn]. PostgreSQL decodes in commit
 * order but a change's own LSN is not monotonic across interleaved transactions, so the pair compares
 * lexicographically. A null lastCommitLsn (initial snapshot rows, or the first transaction the connector
 * streams before it has seen any commit) reads as 0n: before every commit.
 */
export interface Position {
  readonly commitLsn: bigint;
  readonly lsn: bigint;
}

/** `no`: streamed; `initial`: the connector's first snapshot (op r); `incremental`: a signalled re-read. */
export type SnapshotKind = 'no' | 'initial' | 'incremental';

export type UsersChange =
  | {
      readonly kind: 'upsert';
      readonly usrId: number;
      readonly row: LegacyUserRow;
      readonly op: 'c' | 'u' | 'r';
      /** null for incremental snapshot rows: see positionOf. */
      readonly position: Position | null;
      /** Commit time in the database (`source.ts_ms`). */
      readonly sourceTsMs: number;
      readonly snapshot: SnapshotKind;
      /** Columns carrying UNAVAILABLE_VALUE_PLACEHOLDER: their real value is unknown. Usually empty. */
      readonly unavailableColumns: readonly LegacyColumn[];
    }
  | {
      readonly kind: 'delete';
      readonly usrId: number;
      /** The row before the delete; null when the event carries only the key (REPLICA IDENTITY DEFAULT). */
      readonly before: LegacyUserRow | null;
      readonly position: Position | null;
      readonly sourceTsMs: number;
    }
  /** Kafka's compaction marker after a delete: says nothing the delete did not already say. */
  | { readonly kind: 'tombstone'; readonly usrId: number }
  | { readonly kind: 'truncate'; readonly position: Position | null; readonly sourceTsMs: number }
  | { readonly kind: 'unparseable'; readonly reason: string };

type Unparseable = Extract<UsersChange, { kind: 'unparseable' }>;

const unparseable = (reason: string): Unparseable => ({ kind: 'unparseable', reason });

/** Orders two positions: negative when a is earlier, 0 when equal, positive when a is later. */
export function comparePositions(a: Position, b: Position): number {
  if (a.commitLsn !== b.commitLsn) return a.commitLsn < b.commitLsn ? -1 : 1;
  if (a.lsn !== b.lsn) return a.lsn < b.lsn ? -1 : 1;
  return 0;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isId = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;

/** A short, safe rendering of a protocol field (op, snapshot) for a reason; never used for row values. */
const shown = (value: unknown): string => (JSON.stringify(value) ?? String(value)).slice(0, 40);

/** Tagged, so that a message whose JSON happens to look like our own `unparseable` is never taken for one. */
function parseJson(bytes: Buffer, what: string): { readonly json: unknown } | Unparseable {
  try {
    return { json: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch {
    // The parser's message quotes the input, which may hold an email: say only that it was not JSON.
    return unparseable(`${what} is not valid JSON`);
  }
}

// Only our own values reach this (rows are rebuilt column by column, so no row carries a `kind`).
const isUnparseable = <T>(value: T | Unparseable): value is Unparseable =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'unparseable';

function parseKey(key: Buffer | null): number | Unparseable {
  if (key === null) return unparseable('the event has no key');
  const parsed = parseJson(key, 'the key');
  if (isUnparseable(parsed)) return parsed;
  const { json } = parsed;
  if (!isRecord(json) || !isId(json.usr_id)) return unparseable('the key is not {"usr_id": <positive safe integer>}');
  return json.usr_id;
}

const NOT_NULL_TEXT: ReadonlySet<LegacyColumn> = new Set(['email_addr', 'pwd_hash', 'acct_stat_cd']);

/** Checks the row's shape column by column; the reason names the column, never its value. */
function parseRow(image: unknown, which: 'after' | 'before'): LegacyUserRow | Unparseable {
  if (!isRecord(image)) return unparseable(`${which} is not an object`);
  for (const column of LEGACY_USER_COLUMNS) {
    const value = image[column];
    if (value === undefined) return unparseable(`${which} has no column ${column}`);
    if (column === 'usr_id') {
      if (!isId(value)) return unparseable(`${which}.usr_id is not a positive safe integer`);
    } else if (NOT_NULL_TEXT.has(column)) {
      if (typeof value !== 'string') return unparseable(`${which}.${column} is not text (the column is NOT NULL)`);
    } else if (value !== null && typeof value !== 'string') {
      return unparseable(`${which}.${column} is neither text nor null`);
    }
  }
  // Columns legacy may add later are left out on purpose: nothing downstream knows their meaning.
  const row: Record<string, unknown> = {};
  for (const column of LEGACY_USER_COLUMNS) row[column] = image[column];
  return row as unknown as LegacyUserRow;
}

function unavailableColumnsOf(row: LegacyUserRow): LegacyColumn[] {
  return LEGACY_USER_COLUMNS.filter((column) => row[column] === UNAVAILABLE_VALUE_PLACEHOLDER);
}

const SNAPSHOT_KINDS: Readonly<Record<string, SnapshotKind>> = {
  false: 'no',
  true: 'initial',
  first: 'initial',
  first_in_data_collection: 'initial',
  last_in_data_collection: 'initial',
  last: 'initial',
  incremental: 'incremental',
};

function snapshotOf(source: Record<string, unknown>, op: string): SnapshotKind | Unparseable {
  const snapshot = source.snapshot;
  // Debezium's default when the field is absent; old versions sent a boolean instead of the enum string.
  if (snapshot === undefined || snapshot === null) return op === 'r' ? 'initial' : 'no';
  if (typeof snapshot === 'boolean') return snapshot ? 'initial' : 'no';
  if (typeof snapshot === 'string' && Object.hasOwn(SNAPSHOT_KINDS, snapshot)) return SNAPSHOT_KINDS[snapshot]!;
  return unparseable(`source.snapshot ${shown(snapshot)} is not one of Debezium's values`);
}

const LSN_TEXT = /^[0-9]{1,20}$/;

function lsnOf(value: unknown): bigint | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && LSN_TEXT.test(value)) return BigInt(value);
  // A JSON number is exact only up to 2^53; sequence carries the LSNs as strings for that reason.
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return undefined;
}

/**
 * Incremental snapshot rows get no position: their lsn is null and their `sequence` is only the
 * connector's last streamed offset when the chunk was emitted, not the row's. Such a row is "the row as
 * of now", correct by arrival order (Debezium drops a chunk row that a streamed change overtook).
 * Without `sequence` (not seen from 3.6.1) the change's own lsn stands for both halves: approximate.
 */
function positionOf(source: Record<string, unknown>, snapshot: SnapshotKind): Position | null | Unparseable {
  if (snapshot === 'incremental') return null;
  const sourceLsn = lsnOf(source.lsn);
  if (sourceLsn === undefined) return unparseable('source.lsn is not a non-negative integer');
  const sequence = source.sequence;
  if (sequence === undefined || sequence === null) return sourceLsn === null ? null : { commitLsn: sourceLsn, lsn: sourceLsn };
  if (typeof sequence !== 'string') return unparseable('source.sequence is not a JSON string');
  let entries: unknown;
  try {
    entries = JSON.parse(sequence) as unknown;
  } catch {
    return unparseable('source.sequence is not valid JSON');
  }
  if (!Array.isArray(entries) || entries.length !== 2) return unparseable('source.sequence is not [lastCommitLsn, lsn]');
  const commitLsn = lsnOf(entries[0]);
  const lsn = lsnOf(entries[1]);
  if (commitLsn === undefined || lsn === undefined) return unparseable('source.sequence holds something other than LSNs');
  const own = lsn ?? sourceLsn;
  if (own === null) return null;
  return { commitLsn: commitLsn ?? 0n, lsn: own };
}

const OPS = new Set(['c', 'u', 'r', 'd', 't']);

/** Turns one Kafka message of `legacy.public.users` into a typed change. Never throws. */
export function parseUsersChange(key: Buffer | null, value: Buffer | null): UsersChange {
  if (value === null) {
    const usrId = parseKey(key);
    if (typeof usrId !== 'number') return unparseable(`a null value (tombstone) needs a key: ${usrId.reason}`);
    return { kind: 'tombstone', usrId };
  }

  const parsed = parseJson(value, 'the value');
  if (isUnparseable(parsed)) return parsed;
  const envelope = parsed.json;
  if (!isRecord(envelope)) return unparseable('the value is not a JSON object');
  if ('schema' in envelope && 'payload' in envelope) {
    return unparseable('the value is a {schema, payload} envelope: the connector must use value.converter.schemas.enable=false');
  }

  const op = envelope.op;
  if (typeof op !== 'string' || !OPS.has(op)) return unparseable(`op ${shown(op)} is not one of c, u, r, d, t`);
  const source = envelope.source;
  if (!isRecord(source)) return unparseable('the event has no source block');
  if ((source.schema !== undefined && source.schema !== 'public') || (source.table !== undefined && source.table !== 'users')) {
    return unparseable(`the event is about ${shown(source.schema)}.${shown(source.table)}, not public.users`);
  }
  const sourceTsMs = source.ts_ms;
  if (typeof sourceTsMs !== 'number' || !Number.isSafeInteger(sourceTsMs)) return unparseable('source.ts_ms is not an integer');

  const snapshot = snapshotOf(source, op);
  if (isUnparseable(snapshot)) return snapshot;
  const position = positionOf(source, snapshot);
  if (isUnparseable(position)) return position;

  // A truncate has no row and a null key: it concerns the whole table.
  if (op === 't') return { kind: 'truncate', position, sourceTsMs };

  const usrId = parseKey(key);
  if (typeof usrId !== 'number') return usrId;

  if (op === 'd') {
    const before = envelope.before === null || envelope.before === undefined ? null : parseRow(envelope.before, 'before');
    // A key-only before image (REPLICA IDENTITY DEFAULT) still identifies the deleted row.
    const usable = before !== null && !isUnparseable(before) ? before : null;
    if (usable && usable.usr_id !== usrId) return unparseable('the key and before.usr_id name different rows');
    return { kind: 'delete', usrId, before: usable, position, sourceTsMs };
  }

  const row = parseRow(envelope.after, 'after');
  if (isUnparseable(row)) return row;
  if (row.usr_id !== usrId) return unparseable('the key and after.usr_id name different rows');
  return { kind: 'upsert', usrId, row, op: op as 'c' | 'u' | 'r', position, sourceTsMs, snapshot, unavailableColumns: unavailableColumnsOf(row) };
}
