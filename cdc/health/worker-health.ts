/**
 * What /healthz reports for each sync worker. A worker is unhealthy when its consumer crashed (kafkajs
 * gave up; it will not recover by itself) or when it has fallen silent while events wait for it.
 */
export type WorkerState = 'starting' | 'running' | 'crashed';

export interface WorkerReport {
  name: string;
  state: WorkerState;
  healthy: boolean;
  /** Events on the topics that the worker's group has not committed yet. */
  backlog: number | null;
  lastProgressAt: string | null;
  /**
   * How far behind the worker is, for the proxy's guards: 0 while nothing waits for it, otherwise the lag
   * (source commit to applied) of the newest event it applied; null before it has measured either.
   * A caught-up worker is not "behind" by the age of the last change it happened to see.
   */
  lastLagSeconds: number | null;
  reason?: string;
}

export class WorkerHealth {
  private state: WorkerState = 'starting';
  private lastProgress: number | null = null;
  private lastLagSeconds: number | null = null;
  private crashReason: string | undefined;
  private backlog: number | null = null;
  private backlogSince: number | null = null;

  constructor(
    readonly name: string,
    private readonly stallAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  running(): void {
    this.state = 'running';
  }

  /** A batch was applied; `lagSeconds` is its newest applied event's lag, null when it applied none. */
  progressed(lagSeconds: number | null = null): void {
    this.lastProgress = this.now();
    if (lagSeconds !== null) this.lastLagSeconds = lagSeconds;
  }

  crashed(error: Error): void {
    this.state = 'crashed';
    this.crashReason = error.message;
  }

  /** Fed by a periodic check of the group's committed offsets against the topics' ends. */
  observeBacklog(backlog: number): void {
    if (backlog > 0 && (this.backlog === null || this.backlog === 0)) this.backlogSince = this.now();
    if (backlog === 0) this.backlogSince = null;
    this.backlog = backlog;
  }

  report(): WorkerReport {
    const base = { name: this.name, state: this.state, backlog: this.backlog, lastProgressAt: this.lastProgress === null ? null : new Date(this.lastProgress).toISOString(), lastLagSeconds: this.backlog === 0 ? 0 : this.lastLagSeconds };
    if (this.state === 'crashed') return { ...base, healthy: false, reason: `consumer crashed: ${this.crashReason}` };
    const waitingSince = this.backlogSince === null ? null : Math.max(this.backlogSince, this.lastProgress ?? 0);
    if (this.state === 'running' && waitingSince !== null && this.now() - waitingSince > this.stallAfterMs) {
      return { ...base, healthy: false, reason: `stalled: ${this.backlog} events waiting, no progress for ${Math.round((this.now() - waitingSince) / 1000)} s` };
    }
    return { ...base, healthy: this.state === 'running' };
  }
}
