import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { EventLog } from '../kafka/event-log';
import { formatPgLsn, parsePgLsn } from '../postgres/pg-lsn';
import { readUserPartition } from './partition-progress';

/** Where the forward sync reads from and records its progress (cdc-workers.ts wires the real ones). */
export interface CatchUpTarget {
  /** user_service: sync.forward_positions (the user's partition) and sync.forward_partitions. */
  userService: Pool;
  /** legacy, where the forward connector's replication slot lives. */
  legacy: Pool;
  slot: string;
  group: string;
  topic: string;
}

/** `GET /sync/forward/users/:id/caught-up?lsn=…`, as the proxy reads it. */
export interface CatchUp {
  usrId: number;
  lsn: string;
  caughtUp: boolean;
  /** The user's capture partition; null when no change of the user has been processed yet. */
  partition: number | null;
  /** The partition's progress (partition-progress.ts); null when none is recorded yet. */
  appliedLsn: string | null;
  /** The greatest idle horizon proven for the partition so far; null when none is known. */
  idleHorizonLsn: string | null;
}

/**
 * Whether the forward sync has processed everything of a user's capture partition that legacy had
 * committed at WAL position L: the partition's progress is at or past L (an applied event at or past it),
 * or its idle horizon is (Debezium past it, nothing of the partition left unapplied). Without the second
 * leg a partition nobody writes to would pin its users on legacy for ever: the user's own change is always
 * before L, so only a later change of the partition could carry the progress past it.
 */
export class ForwardCatchUp {
  private readonly horizons: IdleHorizons;

  constructor(
    private readonly target: CatchUpTarget,
    eventLog: EventLog,
    private readonly logger: Logger,
    { horizonEveryMs, clock = Date.now }: { horizonEveryMs: number; clock?: () => number },
  ) {
    this.horizons = new IdleHorizons(target, eventLog, logger, horizonEveryMs, clock);
  }

  async of(usrId: string, lsn: bigint): Promise<CatchUp> {
    const answer = (partition: number | null, applied: bigint | null, horizon: bigint | null): CatchUp => ({
      usrId: Number(usrId),
      lsn: formatPgLsn(lsn),
      caughtUp: (applied !== null && applied >= lsn) || (horizon !== null && horizon >= lsn),
      partition,
      appliedLsn: applied === null ? null : formatPgLsn(applied),
      idleHorizonLsn: horizon === null ? null : formatPgLsn(horizon),
    });
    // No position: no change of this user was ever processed, so none of its writes has reached the contexts.
    const user = await readUserPartition(this.target.userService, usrId);
    if (!user) return answer(null, null, null);
    if (user.progressLsn !== null && user.progressLsn >= lsn) return answer(user.partition, user.progressLsn, this.horizons.known(user.partition));
    return answer(user.partition, user.progressLsn, await this.horizons.measured(user.partition));
  }
}

/**
 * The idle horizon of partition p: an LSN H such that every change of p committed at or before H has been
 * processed. Read in this order, each fact holding before the next is read:
 * 1. the slot's confirmed_flush_lsn C: Debezium confirms an LSN only after Kafka Connect has committed the
 *    offsets of records the producer had acknowledged, so every change committed at or before C is on the
 *    topic (the connector's heartbeats move C on while legacy is idle; drain.ts relies on the same fact);
 * 2. the end offset E of p, read after C: those changes are all below E;
 * 3. the group's committed offset K of p: the group commits only after the apply transaction, so K >= E
 *    means all of them have been processed, and H = C.
 * A horizon, once proven, stays true, so the greatest one per partition is kept and a stale one only
 * errs on the side of "not yet". Measured at most every `everyMs`, and only while someone asks.
 */
class IdleHorizons {
  private readonly proven = new Map<number, bigint>();
  private measuredAt = Number.NEGATIVE_INFINITY;
  private measuring: Promise<void> | undefined;

  constructor(
    private readonly target: CatchUpTarget,
    private readonly eventLog: EventLog,
    private readonly logger: Logger,
    private readonly everyMs: number,
    private readonly clock: () => number,
  ) {}

  known(partition: number): bigint | null {
    return this.proven.get(partition) ?? null;
  }

  /** The horizon after a measurement no older than `everyMs` (or the one under way). */
  async measured(partition: number): Promise<bigint | null> {
    if (!this.measuring && this.clock() - this.measuredAt >= this.everyMs) {
      this.measuredAt = this.clock();
      this.measuring = this.measure()
        // What was proven before still holds; the caller just learns nothing newer this time.
        .catch((error: unknown) => this.logger.warn({ err: error, slot: this.target.slot, group: this.target.group }, 'could not measure the forward idle horizon'))
        .finally(() => {
          this.measuring = undefined;
        });
    }
    await this.measuring;
    return this.known(partition);
  }

  private async measure(): Promise<void> {
    const { target, eventLog } = this;
    const slot = await target.legacy.query<{ confirmed: string | null }>('SELECT confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1', [target.slot]);
    if (slot.rows.length === 0) throw new Error(`replication slot ${target.slot} does not exist: is the connector registered?`);
    const confirmedText = slot.rows[0]!.confirmed;
    if (confirmedText === null) return;
    const confirmed = parsePgLsn(confirmedText);
    const ends = await eventLog.endOffsets(target.topic);
    const committed = new Map((await eventLog.committedOffsets(target.group, target.topic)).map((p) => [p.partition, BigInt(p.offset)]));
    for (const end of ends) {
      const endOffset = BigInt(end.offset);
      // An empty partition has nothing to apply; otherwise the committed offset is the next one to read.
      if (endOffset > 0n && (committed.get(end.partition) ?? -1n) < endOffset) continue;
      if (confirmed > (this.proven.get(end.partition) ?? -1n)) this.proven.set(end.partition, confirmed);
    }
  }
}
