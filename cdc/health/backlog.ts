import type { EventLog } from '../kafka/event-log';

/** Events on the topics that the group has not committed yet (a group with no commit counts from 0). */
export async function backlogOf(eventLog: EventLog, groupId: string, topics: string[]): Promise<number> {
  let backlog = 0n;
  for (const topic of topics) {
    const committed = new Map((await eventLog.committedOffsets(groupId, topic)).map((p) => [p.partition, BigInt(p.offset)]));
    for (const end of await eventLog.endOffsets(topic)) {
      const from = committed.get(end.partition) ?? -1n;
      const lag = BigInt(end.offset) - (from < 0n ? 0n : from);
      if (lag > 0n) backlog += lag;
    }
  }
  return Number(backlog);
}
