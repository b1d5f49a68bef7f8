import type { Pool, PoolClient } from 'pg';
import type { UsersChange } from '../debezium/change-event';
import type { LogMessage } from '../kafka/event-log';

/**
 * How far the forward sync has got in each partition of the capture topic, kept in
 * `sync.forward_partitions` by the batch's own transaction: read-your-writes across proxy instances asks
 * whether everything a user wrote before legacy's WAL position L has reached the contexts.
 *
 * Why one LSN per partition proves that: let E be a processed streamed change of partition p, and
 * P(E) = max(E's own `source.lsn`, `source.sequence[0]`), where sequence[0] is the last commit LSN
 * Debezium decoded before E's transaction (`Position.commitLsn`, `lsn`). Take any change c of p whose transaction T committed at or before L (the proxy takes
 * L = pg_current_wal_lsn() after legacy answered the write, so L is at or past the end of T's commit
 * record), and suppose P(E) >= L.
 * - If sequence[0] >= L: T's commit is at or before the last commit decoded before E's transaction.
 * - If E's lsn >= L: E's transaction commits after E's own record, so after L, so after T.
 * Either way T committed before E's transaction. PostgreSQL's logical decoding hands transactions over in
 * commit order, Debezium emits them in that order, and a partition keeps the order it was written in, so
 * c sits before E in p. Batches of a partition are applied in offset order and each one's offsets are
 * committed only after its transaction, so c was processed before (or with) E. Hence: progress(p) >= L
 * means every change of p committed at or before L has been processed.
 *
 * Every processed change counts, whatever its outcome (applied, unchanged, duplicate, not-owned,
 * dead-lettered): each is behind the consumer, which is all the proof needs. Snapshot rows do not count:
 * the initial snapshot's rows all carry the snapshot's LSN although rows of the same partition still
 * follow them, and incremental snapshot rows carry none. Streamed changes follow every initial snapshot
 * row of their partition, so the argument above is unaffected by them.
 */

/** The WAL position a processed change proves for its partition; null when it proves none. */
export function provenLsnOf(change: UsersChange): bigint | null {
  switch (change.kind) {
    case 'upsert':
      if (change.snapshot !== 'no') return null;
      return change.position ? greater(change.position.commitLsn, change.position.lsn) : null;
    case 'delete':
    case 'truncate':
      return change.position ? greater(change.position.commitLsn, change.position.lsn) : null;
    case 'tombstone':
    case 'unparseable':
      return null;
  }
}

const greater = (a: bigint, b: bigint) => (a > b ? a : b);

/**
 * Never backwards: a batch redelivered after a crash, or a stale consumer finishing a batch the group
 * has already handed to another member, can only leave the row as it is.
 */
export const UPSERT_PARTITION_PROGRESS = `
  INSERT INTO sync.forward_partitions AS fp (kafka_partition, progress_lsn, kafka_offset, applied_at)
  SELECT kafka_partition, progress_lsn, kafka_offset, applied_at
  FROM jsonb_populate_recordset(NULL::sync.forward_partitions, $1) ORDER BY kafka_partition
  ON CONFLICT (kafka_partition) DO UPDATE SET
    progress_lsn = GREATEST(fp.progress_lsn, EXCLUDED.progress_lsn),
    kafka_offset = GREATEST(fp.kafka_offset, EXCLUDED.kafka_offset),
    applied_at = EXCLUDED.applied_at`;

/** What one batch has processed, per partition (kafkajs hands over one partition per batch). */
export class PartitionProgress {
  private readonly partitions = new Map<number, { lsn: bigint; offset: bigint }>();

  processed(message: LogMessage, change: UsersChange): void {
    const offset = BigInt(message.offset);
    const lsn = provenLsnOf(change) ?? 0n;
    const seen = this.partitions.get(message.partition);
    this.partitions.set(message.partition, seen ? { lsn: greater(seen.lsn, lsn), offset: greater(seen.offset, offset) } : { lsn, offset });
  }

  /** In the batch's transaction, after the changes: a crash cannot leave the progress ahead of them. */
  async write(client: PoolClient, appliedAt: Date): Promise<void> {
    if (this.partitions.size === 0) return;
    const records = [...this.partitions].map(([partition, { lsn, offset }]) => ({
      kafka_partition: partition,
      progress_lsn: lsn.toString(),
      kafka_offset: offset.toString(),
      applied_at: appliedAt,
    }));
    await client.query(UPSERT_PARTITION_PROGRESS, [JSON.stringify(records)]);
  }
}

/** A user's capture partition (the one its changes were processed from) and that partition's progress. */
export async function readUserPartition(userService: Pool, usrId: string): Promise<{ partition: number; progressLsn: bigint | null } | undefined> {
  const { rows } = await userService.query<{ kafka_partition: number; progress_lsn: string | null }>(
    `SELECT p.kafka_partition, fp.progress_lsn FROM sync.forward_positions p
     LEFT JOIN sync.forward_partitions fp ON fp.kafka_partition = p.kafka_partition WHERE p.usr_id = $1`,
    [usrId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { partition: row.kafka_partition, progressLsn: row.progress_lsn === null ? null : BigInt(row.progress_lsn) };
}
