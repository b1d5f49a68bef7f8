// Debezium's ad-hoc incremental snapshot, asked for through the signal table (public.debezium_signal,
// `signal.data.collection` in cdc/connectors/legacy-users.json). The data's shape is Debezium's
// (signalling.adoc, "Ad hoc incremental snapshots"; additional-conditions since 2.5):
//   {"data-collections": ["public.users"], "type": "incremental",
//    "additional-conditions": [{"data-collection": "public.users", "filter": "usr_id IN (1,2)"}]}
// Debezium appends `filter` to its chunk query as SQL, so only integers ever go into it.

export const LEGACY_USERS_COLLECTION = 'public.users';
/** public.debezium_signal.data is varchar(2048) (Debezium's own shape for the table). */
export const SIGNAL_DATA_MAX_LENGTH = 2048;

export interface SnapshotSignalData {
  readonly 'data-collections': readonly string[];
  readonly type: 'incremental';
  readonly 'additional-conditions'?: readonly { readonly 'data-collection': string; readonly filter: string }[];
}

function signalData(ids: readonly number[] | undefined): string {
  const data: SnapshotSignalData = {
    'data-collections': [LEGACY_USERS_COLLECTION],
    type: 'incremental',
    ...(ids ? { 'additional-conditions': [{ 'data-collection': LEGACY_USERS_COLLECTION, filter: `usr_id IN (${ids.join(',')})` }] } : {}),
  };
  return JSON.stringify(data);
}

/**
 * The `data` of the execute-snapshot signals that re-read the given rows (all of public.users without
 * ids): as few signals as fit the column, each id in exactly one, ids de-duplicated and ascending.
 */
export function snapshotSignalData(ids?: readonly number[], maxLength = SIGNAL_DATA_MAX_LENGTH): string[] {
  if (ids === undefined) return [signalData(undefined)];
  for (const id of ids) {
    // The filter is SQL: anything but a positive integer must never reach it.
    if (!Number.isSafeInteger(id) || id < 1) throw new Error(`not a user id: ${String(id)}`);
  }
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const signals: string[] = [];
  let batch: number[] = [];
  for (const id of sorted) {
    if (batch.length > 0 && signalData([...batch, id]).length > maxLength) {
      signals.push(signalData(batch));
      batch = [];
    }
    batch.push(id);
  }
  if (batch.length > 0) signals.push(signalData(batch));
  const tooLong = signals.find((data) => data.length > maxLength);
  if (tooLong !== undefined) throw new Error(`a single id does not fit a signal of ${maxLength} characters`);
  return signals;
}
