import type { Logger } from 'pino';
import type { ForwardSyncPositions } from '../cdc-client';

export interface WriterPinsOptions {
  readonly positions: ForwardSyncPositions;
  readonly logger: Logger;
  readonly clock: () => Date;
  /** Beyond this many pinned users the oldest pin goes (and is counted): memory stays bounded. */
  readonly maxPins: number;
  /** How long a release check's answer stands before a pinned read asks cdc again. */
  readonly recheckMs: number;
  /**
   * How far legacy's database clock may run behind the proxy's. 0 (the default) assumes one host or NTP
   * to well under a millisecond; a larger margin releases a pin that much earlier, which is only safe if
   * the clocks are really that far apart in that direction.
   */
  readonly clockSkewMarginMs: number;
  readonly onEvicted?: () => void;
}

interface Pin {
  /** The proxy's clock when it sent the user's newest write to legacy, floored to the millisecond. */
  writtenAtMs: number;
  checkedAtMs: number;
  checking: Promise<void> | null;
}

/**
 * Read-your-writes while legacy owns a context's writes but the new service serves (some of) its reads:
 * a user who wrote through this instance reads from legacy until the forward sync has processed that
 * write, i.e. cdc reports a source commit time at or after the moment the write was sent (legacy commits
 * after it receives the write). A pin never lapses on a timer: legacy is always right while it owns the
 * writes, so keeping a pin too long costs only load, releasing it early shows stale data.
 */
export class WriterPins {
  private readonly pins = new Map<string, Pin>();

  constructor(private readonly options: WriterPinsOptions) {}

  get size(): number {
    return this.pins.size;
  }

  pin(userId: string, sentAt: Date): void {
    const writtenAtMs = Math.floor(sentAt.getTime());
    const existing = this.pins.get(userId);
    // Re-inserting moves the user to the newest end of the map, which is what eviction keeps.
    this.pins.delete(userId);
    this.pins.set(userId, { writtenAtMs: Math.max(writtenAtMs, existing?.writtenAtMs ?? 0), checkedAtMs: 0, checking: null });
    while (this.pins.size > this.options.maxPins) {
      const oldest = this.pins.keys().next().value as string;
      this.pins.delete(oldest);
      this.options.onEvicted?.();
    }
  }

  /** Whether the user's reads must go to legacy; starts a release check in the background when one is due. */
  isPinned(userId: string): boolean {
    const pin = this.pins.get(userId);
    if (!pin) return false;
    if (!pin.checking && this.options.clock().getTime() - pin.checkedAtMs >= this.options.recheckMs) pin.checking = this.check(userId, pin);
    return true;
  }

  /** Checks every pin afresh (a sweep keeps pins of users who stopped reading from piling up). */
  async sweep(concurrency = 8): Promise<void> {
    const due = [...this.pins.entries()];
    const workers = Array.from({ length: Math.min(concurrency, due.length) }, async () => {
      for (let next = due.shift(); next; next = due.shift()) {
        const [userId, pin] = next;
        await pin.checking;
        if (this.pins.get(userId) !== pin) continue;
        pin.checking = this.check(userId, pin);
        await pin.checking;
      }
    });
    await Promise.all(workers);
  }

  clear(): void {
    this.pins.clear();
  }

  private async check(userId: string, pin: Pin): Promise<void> {
    const askedFor = pin.writtenAtMs;
    try {
      const { sourceCommittedAt } = await this.options.positions.forwardPosition(userId);
      if (sourceCommittedAt !== null && sourceCommittedAt.getTime() + this.options.clockSkewMarginMs >= askedFor) {
        // Only if no newer write re-pinned the user meanwhile.
        if (this.pins.get(userId) === pin && pin.writtenAtMs === askedFor) this.pins.delete(userId);
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'cannot ask cdc for a forward position: the writer stays pinned to legacy');
    } finally {
      pin.checking = null;
      pin.checkedAtMs = this.options.clock().getTime();
    }
  }
}
