import type { Pool } from 'pg';
import type { EventLog } from '../kafka/event-log';

/**
 * Waits until one sync direction has applied everything its source had committed when the call began:
 * the half of the drain-before-flip protocol (cdc/README.md) that only the sync can answer. The proxy holds
 * the losing side's writes first, so nothing new arrives while this waits.
 *
 * Two legs, each a fact rather than a guess:
 * 1. Debezium has produced everything up to the source's WAL position L: the connector's replication slot
 *    confirms a flush at or past L. Debezium confirms an LSN only after Kafka Connect has committed the
 *    offsets of records the producer had acknowledged, so every change committed before L is on the topic.
 *    The connectors' heartbeats write to the source every second, so an idle slot still moves past L.
 * 2. The direction's consumer group has committed offsets up to the end the topics had once leg 1 held.
 *    The group commits only after the apply transaction, so committed means applied.
 */
export interface DrainTarget {
  /** The source database, where the slot lives: legacy for forward, user_service for reverse. */
  source: Pool;
  slot: string;
  group: string;
  topics: readonly string[];
}

export interface DrainResult {
  sourceLsn: string;
  tookMs: number;
}

export class DrainTimeout extends Error {}

export async function drain(target: DrainTarget, eventLog: EventLog, { timeoutMs, pollMs = 100 }: { timeoutMs: number; pollMs?: number }): Promise<DrainResult> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const waitUntil = async (what: string, holds: () => Promise<boolean>) => {
    while (!(await holds())) {
      if (Date.now() > deadline) throw new DrainTimeout(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };

  const { rows } = await target.source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  const sourceLsn = rows[0]!.lsn;
  await waitUntil(`slot ${target.slot} to confirm ${sourceLsn}`, async () => {
    const slot = await target.source.query<{ confirmed: boolean | null }>(
      'SELECT confirmed_flush_lsn >= $2::pg_lsn AS confirmed FROM pg_replication_slots WHERE slot_name = $1',
      [target.slot, sourceLsn],
    );
    if (slot.rows.length === 0) throw new Error(`replication slot ${target.slot} does not exist: is the connector registered?`);
    return slot.rows[0]!.confirmed === true;
  });

  const ends: { topic: string; partition: number; offset: bigint }[] = [];
  for (const topic of target.topics) {
    for (const end of await eventLog.endOffsets(topic)) ends.push({ topic, partition: end.partition, offset: BigInt(end.offset) });
  }
  await waitUntil(`group ${target.group} to commit past the topics' ends`, async () => {
    for (const topic of target.topics) {
      const committed = new Map((await eventLog.committedOffsets(target.group, topic)).map((p) => [p.partition, BigInt(p.offset)]));
      const behind = ends.some((end) => end.topic === topic && end.offset > 0n && (committed.get(end.partition) ?? -1n) < end.offset);
      if (behind) return false;
    }
    return true;
  });
  return { sourceLsn, tookMs: Date.now() - started };
}
