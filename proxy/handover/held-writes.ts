/**
 * Writes that arrive while their context is being handed over (a write hold: the losing sync direction
 * drains, then the writes change hands). Instead of answering them 503 at once, the proxy keeps them, bounded
 * in number and in time, and lets them go once the hold is lifted: to the new owner after a flip, to the old
 * one if the change was abandoned. Only a write kept past the bound reaches its client as an error.
 *
 * The request's body is not read while it waits: it stays in the socket, so the client's own backpressure
 * bounds the memory a kept write costs.
 */
export type HoldOutcome = 'forwarded' | 'expired' | 'client-left';

export interface HeldWritesOptions {
  /** Writes kept at once per context; one more is refused at once. */
  readonly maxWrites: number;
  /** How long one write is kept at most. */
  readonly maxHoldMs: number;
  readonly now?: () => number;
  /** A write left the queue: how long it waited and why. */
  readonly onLeft?: (context: string, heldMs: number, outcome: HoldOutcome) => void;
}

interface Entry {
  readonly context: string;
  readonly heldAt: number;
  readonly resume: (waitedMs: number) => void;
  readonly expire: () => void;
  readonly timer: NodeJS.Timeout;
  done: boolean;
}

export class HeldWrites {
  private readonly queues = new Map<string, Set<Entry>>();
  private readonly now: () => number;

  constructor(private readonly options: HeldWritesOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Keeps a write until `release(context)` (then `resume` runs) or until its time is up (then `expire`).
   * `waitedMs` is time it already waited (a write let go into a new hold keeps its first deadline).
   * `gone` fires when the client leaves first. False when the context's queue is full: nothing was kept.
   */
  hold(context: string, handlers: { resume: (waitedMs: number) => void; expire: () => void; waitedMs?: number; gone: (forget: () => void) => void }): boolean {
    let queue = this.queues.get(context);
    if (!queue) this.queues.set(context, (queue = new Set()));
    if (queue.size >= this.options.maxWrites) return false;
    const heldAt = this.now() - (handlers.waitedMs ?? 0);
    const entry: Entry = {
      context,
      heldAt,
      resume: handlers.resume,
      expire: handlers.expire,
      timer: setTimeout(() => this.leave(entry, 'expired'), Math.max(0, this.options.maxHoldMs - (handlers.waitedMs ?? 0))),
      done: false,
    };
    queue.add(entry);
    handlers.gone(() => this.leave(entry, 'client-left'));
    return true;
  }

  /** The hold on `context` is lifted: every write kept for it goes on, oldest first. */
  release(context: string): void {
    const queue = this.queues.get(context);
    if (!queue) return;
    for (const entry of [...queue]) this.leave(entry, 'forwarded');
  }

  /** Writes kept right now, per context. */
  sizes(): ReadonlyMap<string, number> {
    const sizes = new Map<string, number>();
    for (const [context, queue] of this.queues) sizes.set(context, queue.size);
    return sizes;
  }

  /** Every write kept is answered as expired: for a stopping instance. */
  expireAll(): void {
    for (const queue of this.queues.values()) for (const entry of [...queue]) this.leave(entry, 'expired');
  }

  private leave(entry: Entry, outcome: HoldOutcome): void {
    if (entry.done) return;
    entry.done = true;
    clearTimeout(entry.timer);
    this.queues.get(entry.context)?.delete(entry);
    const heldMs = this.now() - entry.heldAt;
    this.options.onLeft?.(entry.context, heldMs, outcome);
    if (outcome === 'forwarded') entry.resume(heldMs);
    else if (outcome === 'expired') entry.expire();
  }
}
