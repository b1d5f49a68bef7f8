import type { Pool } from 'pg';
import pino from 'pino';
import type { EventLog } from '../kafka/event-log';
import { ForwardCatchUp } from './caught-up';

// The rule over scripted facts (the user's partition and progress, the slot, the topic's ends, the group's
// offsets); forward/read-your-writes.int.test.ts proves it against the real stack.
function scripted() {
  const facts = {
    user: { kafka_partition: 1, progress_lsn: '1000' as string | null } as { kafka_partition: number; progress_lsn: string | null } | undefined,
    confirmed: '0/500' as string | null,
    ends: [{ partition: 0, offset: '10' }, { partition: 1, offset: '20' }, { partition: 2, offset: '0' }],
    committed: [{ partition: 0, offset: '4' }, { partition: 1, offset: '20' }, { partition: 2, offset: '-1' }],
    slotReads: 0,
    failSlot: false,
  };
  const reads: string[] = [];
  const userService = { query: async () => ({ rows: facts.user ? [facts.user] : [] }) } as unknown as Pool;
  const legacy = {
    query: async () => {
      reads.push('slot');
      facts.slotReads++;
      if (facts.failSlot) throw new Error('connection refused');
      return { rows: [{ confirmed: facts.confirmed }] };
    },
  } as unknown as Pool;
  const eventLog = {
    endOffsets: async () => { reads.push('ends'); return facts.ends; },
    committedOffsets: async () => { reads.push('committed'); return facts.committed; },
  } as unknown as EventLog;
  let now = 0;
  const catchUp = new ForwardCatchUp({ userService, legacy, slot: 'strangler_legacy', group: 'g', topic: 't' }, eventLog, pino({ level: 'silent' }), { horizonEveryMs: 100, clock: () => now });
  return { facts, reads, catchUp, advance: (ms: number) => { now += ms; } };
}

describe('ForwardCatchUp', () => {
  test('a user with no processed change is not caught up, whatever the partitions say', async () => {
    const { facts, catchUp } = scripted();
    facts.user = undefined;
    expect(await catchUp.of('5', 1n)).toEqual({ usrId: 5, lsn: '0/1', caughtUp: false, partition: null, appliedLsn: null, idleHorizonLsn: null });
  });

  test('caught up by the partition\'s progress, without measuring the horizon', async () => {
    const { catchUp, reads } = scripted();
    expect(await catchUp.of('5', 1000n)).toEqual({ usrId: 5, lsn: '0/3E8', caughtUp: true, partition: 1, appliedLsn: '0/3E8', idleHorizonLsn: null });
    expect(reads).toEqual([]);
  });

  test('idle-partition-never-pins-forever: progress behind, nothing left unapplied, the slot past L', async () => {
    const { catchUp, reads } = scripted();
    // 0x500 = 1280: the slot confirmed past L = 1100 and partition 1 is committed up to its end.
    expect(await catchUp.of('5', 1100n)).toEqual({ usrId: 5, lsn: '0/44C', caughtUp: true, partition: 1, appliedLsn: '0/3E8', idleHorizonLsn: '0/500' });
    // The slot first, then the ends, then the group: each fact holds before the next is read.
    expect(reads).toEqual(['slot', 'ends', 'committed']);
  });

  test('backlog-in-the-partition-keeps-the-pin: committed behind the end proves no horizon', async () => {
    const { facts, catchUp } = scripted();
    facts.user = { kafka_partition: 0, progress_lsn: '1000' };
    expect(await catchUp.of('5', 1100n)).toMatchObject({ caughtUp: false, partition: 0, idleHorizonLsn: null });
  });

  test('an empty partition is idle; a slot past nothing yet proves nothing', async () => {
    const { facts, catchUp, advance } = scripted();
    facts.user = { kafka_partition: 2, progress_lsn: null };
    facts.confirmed = null;
    expect(await catchUp.of('5', 1100n)).toMatchObject({ caughtUp: false, appliedLsn: null, idleHorizonLsn: null });
    facts.confirmed = '0/500';
    advance(100);
    expect(await catchUp.of('5', 1100n)).toMatchObject({ caughtUp: true, idleHorizonLsn: '0/500' });
  });

  test('a proven horizon stays proven: later backlog or an unreadable slot never takes it back', async () => {
    const { facts, catchUp, advance } = scripted();
    expect(await catchUp.of('5', 1100n)).toMatchObject({ caughtUp: true, idleHorizonLsn: '0/500' });
    facts.committed = [{ partition: 1, offset: '19' }];
    facts.confirmed = '0/900';
    advance(100);
    expect(await catchUp.of('5', 1200n)).toMatchObject({ caughtUp: true, idleHorizonLsn: '0/500' });
    facts.failSlot = true;
    advance(100);
    expect(await catchUp.of('5', 1300n)).toMatchObject({ caughtUp: false, idleHorizonLsn: '0/500' });
    expect(await catchUp.of('5', 1200n)).toMatchObject({ caughtUp: true });
  });

  test('horizon-measured-at-most-every-100ms: pinned reads asking often cost one measurement per interval', async () => {
    const { facts, catchUp, advance } = scripted();
    facts.user = { kafka_partition: 0, progress_lsn: '1' };
    await Promise.all(Array.from({ length: 20 }, () => catchUp.of('5', 5000n)));
    expect(facts.slotReads).toBe(1);
    advance(99);
    await catchUp.of('5', 5000n);
    expect(facts.slotReads).toBe(1);
    advance(1);
    await catchUp.of('5', 5000n);
    expect(facts.slotReads).toBe(2);
  });
});
