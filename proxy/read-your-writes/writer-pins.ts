import type { Logger } from 'pino';
import type { ForwardSyncProgress } from '../cdc-client';
import { laterLsn } from './lsn';
import type { SharedPins } from './shared-pins';

export interface WriterPinsOptions {
  readonly progress: ForwardSyncProgress;
  /** The control plane's pins, which every instance reads; undefined keeps pins to this instance. */
  readonly shared: SharedPins | undefined;
  readonly logger: Logger;
  /** Beyond this many users pinned here the oldest local pin goes (and is counted): memory stays bounded. */
  readonly maxPins: number;
  /** How long a release check's answer stands before a pinned read asks cdc again. */
  readonly recheckMs: number;
  readonly onEvicted?: () => void;
  /** A pin could not be written to the control plane: only this instance knows it. */
  readonly onUnshared?: () => void;
  /** Monotonic milliseconds; performance.now() by default. */
  readonly now?: () => number;
}

interface LocalPin {
  /** Legacy's WAL position taken after the user's newest write was answered; null until one could be taken. */
  lsn: string | null;
}

/**
 * Read-your-writes while legacy owns a context's writes but the new service serves (some of) its reads,
 * across every proxy instance (the anchors: MediaWiki's ChronologyProtector, GitLab's load-balancer
 * sticking, MaxScale's causal_reads). After a write forwarded to legacy is answered, its instance takes
 * legacy's WAL position (at or past the write's commit, since legacy committed before it answered) and records
 * {user, position} in the control plane *before* the client gets the answer. Any instance that reads for
 * the user finds the pin and sends the read to legacy, until cdc says the forward sync has applied the
 * user's partition up to that position. No clocks are compared.
 *
 * A pin never lapses on a timer: legacy is always right while it owns the writes, so keeping a pin too long
 * costs only load, releasing it early shows stale data. For the same reason a pin lookup that fails counts
 * as pinned.
 */
export class WriterPins {
  private readonly local = new Map<string, LocalPin>();
  /** When each recently read user's pin was last checked, and whether a check is running. */
  private readonly checks = new Map<string, { at: number; running: Promise<void> | null }>();
  private readonly now: () => number;

  constructor(private readonly options: WriterPinsOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Users pinned by this instance's own writes. */
  get size(): number {
    return this.local.size;
  }

  /**
   * Pins a user who has just written to legacy; resolves once every instance can see the pin (or once that
   * has failed, logged and counted: the write is done, its answer must go out).
   */
  async pinAfterWrite(userId: string): Promise<void> {
    let lsn: string | null = null;
    try {
      lsn = await this.options.progress.sourcePosition();
    } catch (error) {
      this.options.logger.warn({ err: error }, "cannot take legacy's WAL position from cdc: the writer is pinned until one can be taken");
    }
    this.pinLocally(userId, lsn);
    if (!this.options.shared) return;
    try {
      await this.options.shared.pin(userId, lsn);
    } catch (error) {
      this.options.onUnshared?.();
      this.options.logger.error({ err: error }, 'cannot record a read-your-writes pin in the control plane: only this instance knows it');
    }
  }

  /** Whether the user's reads must stay on legacy; starts a release check in the background when one is due. */
  async isPinned(userId: string): Promise<boolean> {
    const local = this.local.get(userId);
    if (local) {
      this.checkSoon(userId, local.lsn);
      return true;
    }
    if (!this.options.shared) return false;
    let lsn: string | null | undefined;
    try {
      lsn = await this.options.shared.pinOf(userId);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'cannot look up read-your-writes pins: the read goes to legacy');
      return true;
    }
    if (lsn === undefined) return false;
    this.checkSoon(userId, lsn);
    return true;
  }

  /** Checks this instance's pins and the oldest shared ones (pins of users who stopped reading go too). */
  async sweep(limit = 200, concurrency = 8): Promise<void> {
    const due = new Map<string, string | null>([...this.local].map(([userId, pin]) => [userId, pin.lsn]));
    if (this.options.shared) {
      try {
        for (const pin of await this.options.shared.oldest(limit)) if (!due.has(pin.userId)) due.set(pin.userId, pin.lsn);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'cannot read the shared read-your-writes pins for a sweep');
      }
    }
    const queue = [...due];
    const workers = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.checkNow(next[0], next[1]);
    });
    await Promise.all(workers);
  }

  /** Every pin goes, here and in the control plane: no context's reads can outrun its writes any more. */
  async clear(): Promise<void> {
    this.local.clear();
    this.checks.clear();
    await this.options.shared?.clearPins().catch((error: unknown) => this.options.logger.warn({ err: error }, 'cannot clear the shared pins; the next sweep releases them'));
  }

  private pinLocally(userId: string, lsn: string | null): void {
    const existing = this.local.get(userId);
    // Re-inserting moves the user to the newest end of the map, which is what eviction keeps.
    this.local.delete(userId);
    this.local.set(userId, { lsn: existing ? laterLsn(existing.lsn, lsn) : lsn });
    this.checks.delete(userId);
    while (this.local.size > this.options.maxPins) {
      this.local.delete(this.local.keys().next().value as string);
      this.options.onEvicted?.();
    }
  }

  private checkSoon(userId: string, lsn: string | null): void {
    const last = this.checks.get(userId);
    if (last && (last.running || this.now() - last.at < this.options.recheckMs)) return;
    void this.checkNow(userId, lsn);
  }

  private async checkNow(userId: string, lsn: string | null): Promise<void> {
    const last = this.checks.get(userId);
    if (last?.running) return last.running;
    const running = this.check(userId, lsn).finally(() => {
      this.checks.set(userId, { at: this.now(), running: null });
      // Bounded like the pins: the oldest checks are forgotten first.
      while (this.checks.size > this.options.maxPins) this.checks.delete(this.checks.keys().next().value as string);
    });
    this.checks.set(userId, { at: this.now(), running });
    return running;
  }

  private async check(userId: string, pinnedAt: string | null): Promise<void> {
    try {
      let lsn = pinnedAt;
      if (lsn === null) {
        // Taken now, it is past the write's commit too (the write was answered before).
        lsn = await this.options.progress.sourcePosition();
        const local = this.local.get(userId);
        if (local && local.lsn === null) local.lsn = lsn;
        await this.options.shared?.position(userId, lsn);
        return;
      }
      if (!(await this.options.progress.caughtUp(userId, lsn))) return;
      await this.options.shared?.release(userId, lsn);
      const local = this.local.get(userId);
      // Only if no newer write re-pinned the user meanwhile.
      if (local && local.lsn !== null && laterLsn(local.lsn, lsn) === lsn) this.local.delete(userId);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'cannot check a read-your-writes pin: the writer stays pinned to legacy');
    }
  }
}
