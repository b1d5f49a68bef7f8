import type { PoolClient } from 'pg';
import type { LegacyUserRow, UsersChange } from '../debezium/change-event';
import type { LogMessage } from '../kafka/event-log';
import { PartitionProgress, provenLsnOf, UPSERT_PARTITION_PROGRESS } from './partition-progress';

const row = { usr_id: 7 } as LegacyUserRow;
const upsert = (position: { commitLsn: bigint; lsn: bigint } | null, snapshot: 'no' | 'initial' | 'incremental' = 'no'): UsersChange =>
  ({ kind: 'upsert', usrId: 7, row, op: snapshot === 'initial' ? 'r' : 'u', position, sourceTsMs: 0, snapshot, unavailableColumns: [] });
const message = (partition: number, offset: number): LogMessage =>
  ({ topic: 'legacy.public.users', partition, offset: String(offset), key: null, value: null, timestamp: '0', headers: {} });

describe('the WAL position a processed change proves for its partition', () => {
  test('streamed-change-proves-the-later-of-its-lsn-and-the-last-commit-before-it', () => {
    expect(provenLsnOf(upsert({ commitLsn: 100n, lsn: 150n }))).toBe(150n);
    // A change of a long transaction that began early: its own lsn is older than the last commit decoded before it.
    expect(provenLsnOf(upsert({ commitLsn: 300n, lsn: 150n }))).toBe(300n);
    expect(provenLsnOf({ kind: 'delete', usrId: 7, before: null, position: { commitLsn: 400n, lsn: 410n }, sourceTsMs: 0 })).toBe(410n);
    expect(provenLsnOf({ kind: 'truncate', position: { commitLsn: 500n, lsn: 490n }, sourceTsMs: 0 })).toBe(500n);
  });

  test('snapshot-rows-prove-nothing: the initial snapshot\'s LSN is shared by rows still to come in the partition', () => {
    expect(provenLsnOf(upsert({ commitLsn: 0n, lsn: 900n }, 'initial'))).toBeNull();
    expect(provenLsnOf(upsert(null, 'incremental'))).toBeNull();
    expect(provenLsnOf({ kind: 'tombstone', usrId: 7 })).toBeNull();
    expect(provenLsnOf({ kind: 'unparseable', reason: 'x' })).toBeNull();
  });
});

describe('PartitionProgress', () => {
  const written = async (progress: PartitionProgress) => {
    const calls: { text: string; values: unknown[] }[] = [];
    const client = { query: async (text: string, values: unknown[]) => { calls.push({ text, values }); return { rows: [] }; } } as unknown as PoolClient;
    await progress.write(client, new Date('2026-12-05T10:00:00Z'));
    return calls;
  };

  test('one row per partition: the greatest proven LSN and the last offset of the batch', async () => {
    const progress = new PartitionProgress();
    progress.processed(message(2, 40), upsert({ commitLsn: 100n, lsn: 120n }));
    progress.processed(message(2, 41), upsert({ commitLsn: 900n, lsn: 0n }, 'initial'));
    progress.processed(message(2, 42), { kind: 'unparseable', reason: 'x' });
    const calls = await written(progress);
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]!.values[0] as string)).toEqual([{ kafka_partition: 2, progress_lsn: '120', kafka_offset: '42', applied_at: '2026-12-05T10:00:00.000Z' }]);
  });

  test('a batch of snapshot rows only moves the offset: its LSN reads as 0, below any stored progress', async () => {
    const progress = new PartitionProgress();
    progress.processed(message(0, 5), upsert(null, 'incremental'));
    const [call] = await written(progress);
    expect(JSON.parse(call!.values[0] as string)).toEqual([expect.objectContaining({ progress_lsn: '0', kafka_offset: '5' })]);
  });

  test('nothing processed, nothing written', async () => {
    expect(await written(new PartitionProgress())).toEqual([]);
  });

  test('redelivered-batch-never-moves-progress-back: both columns only ever take the greater value', () => {
    const sql = UPSERT_PARTITION_PROGRESS.replace(/\s+/g, ' ');
    expect(sql).toContain('ON CONFLICT (kafka_partition) DO UPDATE SET');
    expect(sql).toContain('progress_lsn = GREATEST(fp.progress_lsn, EXCLUDED.progress_lsn)');
    expect(sql).toContain('kafka_offset = GREATEST(fp.kafka_offset, EXCLUDED.kafka_offset)');
  });
});
