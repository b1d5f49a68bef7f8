import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { InstanceLease, type LeaseIdentity } from './instance-lease';
import { CONTEXTS, isContext, isStage, type Context, type ContextStage, type ContextStageRecord, type StageTable } from './stages';

export interface LeaseOptions {
  readonly identity: LeaseIdentity;
  /** How long a renewal holds in the control plane's clock: how long a hand-over waits for a silent instance. */
  readonly leaseMs: number;
  /**
   * How long after sending a renewal that succeeded this instance may still start a write: the lease less
   * the longest a forwarded write may take (the upstream timeout), so every write it started has finished
   * or been given up before the control plane sees the lease lapse.
   */
  readonly writeHorizonMs: number;
  /** Per context, the stage version this instance acts on with no older write still in flight. */
  readonly confirmedVersions: () => Readonly<Record<string, number>>;
  /** Monotonic milliseconds; performance.now() by default. */
  readonly now?: () => number;
}

export interface StageStateOptions {
  readonly control: Pool;
  readonly logger: Logger;
  readonly clock: () => Date;
  /** How often the table is read; a change reaches every instance within about this long. */
  readonly pollMs: number;
  /** A read slower than this counts as the store being unreachable (a hung connection must not freeze the state). */
  readonly readTimeoutMs: number;
  /** Called with the first table read and then only when some context's stage, canary or hold changed. */
  readonly onChange?: (table: StageTable) => void;
  readonly lease: LeaseOptions;
}

export interface StageStateReport {
  readonly reachable: boolean;
  readonly lastReadAt: string | null;
  readonly ageMs: number | null;
  readonly lastError: string | null;
  readonly lease: LeaseReport;
}

export interface LeaseReport {
  readonly instanceId: string | null;
  /** Whether this instance may start writes now: registered, and its last renewal recent enough. */
  readonly writable: boolean;
  /** Milliseconds of write horizon left; 0 once lapsed. */
  readonly horizonLeftMs: number;
}

/**
 * The stages as this instance acts on them: read from control.context_stages every pollMs, in the same
 * statement that renews the instance's lease. When the store cannot be read the last table read stays in
 * force for reads (serving the last known routing beats refusing every client), and report() says so, for
 * /healthz and strangler_proxy_state_store_up; writes are allowed only within the lease's write horizon
 * (`writable()`), so an instance cut off from the control plane stops writing before a hand-over that
 * waits its lease out can flip.
 */
export class StageState {
  private table: StageTable | undefined;
  private lastReadAt: Date | null = null;
  private lastError: string | null = null;
  private reachable = false;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private stopped = false;
  private readonly lease: InstanceLease;
  private readonly now: () => number;
  /** Monotonic time until which writes may start; -Infinity while unregistered or never renewed. */
  private writableUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: StageStateOptions) {
    this.lease = new InstanceLease(options.control, options.lease.identity, options.lease.leaseMs);
    this.now = options.lease.now ?? (() => performance.now());
  }

  /** Whether this instance may start a write now (the lease's write horizon has not passed). */
  writable(): boolean {
    return this.now() < this.writableUntil;
  }

  /** Reads once (throwing when the store cannot be read: there is no last state to fall back on yet), then polls. */
  async start(): Promise<void> {
    await this.readOnce(true);
    this.schedule();
  }

  /** Stops polling and gives the lease back (a hand-over then has no reason to wait for this instance). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.reading;
    this.writableUntil = Number.NEGATIVE_INFINITY;
    await this.lease.release().catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not release the lease; it lapses by itself'));
  }

  current(context: Context): ContextStage {
    if (!this.table) throw new Error('the stage state has not been read yet');
    return this.table[context];
  }

  all(): StageTable {
    if (!this.table) throw new Error('the stage state has not been read yet');
    return this.table;
  }

  /** The table in force, or undefined before the first read. */
  latest(): StageTable | undefined {
    return this.table;
  }

  report(): StageStateReport {
    const now = this.options.clock().getTime();
    const horizonLeftMs = Math.max(0, Math.round(this.writableUntil - this.now()));
    return {
      reachable: this.reachable,
      lastReadAt: this.lastReadAt?.toISOString() ?? null,
      ageMs: this.lastReadAt ? Math.max(0, now - this.lastReadAt.getTime()) : null,
      lastError: this.lastError,
      lease: { instanceId: this.lease.instanceId, writable: horizonLeftMs > 0, horizonLeftMs },
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.reading = this.readOnce(false).finally(() => {
        this.reading = undefined;
        this.schedule();
      });
    }, this.options.pollMs);
    this.timer.unref();
  }

  /**
   * One poll: registers first when the instance has no live row (see instance-lease.ts for why that is a
   * statement of its own), then renews and reads in one statement. The write horizon counts from the moment
   * the renewal was sent, which is before the control plane stamped it.
   */
  private async renewAndRead(): Promise<StageTable> {
    if (this.lease.instanceId === null) {
      const id = await this.lease.register();
      this.options.logger.info({ instanceId: id }, 'registered in the control plane');
    }
    const sentAt = this.now();
    const { renewed, rows } = await this.lease.renewAndRead(this.options.lease.confirmedVersions());
    const table = stageTableOf(rows);
    if (renewed) this.writableUntil = sentAt + this.options.lease.writeHorizonMs;
    else {
      this.writableUntil = Number.NEGATIVE_INFINITY;
      this.options.logger.warn('this instance was fenced by a hand-over that waited its lease out: writes stay refused until it has registered again');
    }
    return table;
  }

  private async readOnce(throwOnFailure: boolean): Promise<void> {
    try {
      const table = await withTimeout(this.renewAndRead(), this.options.readTimeoutMs);
      const changed = !this.table || CONTEXTS.some((c) => !sameStage(this.table![c], table[c]));
      this.table = table;
      this.lastReadAt = this.options.clock();
      if (!this.reachable && this.lastError !== null) this.options.logger.info('the stage store answers again');
      this.reachable = true;
      this.lastError = null;
      if (changed) {
        this.options.logger.info({ stages: CONTEXTS.map((c) => `${c}=${table[c].stage}/${table[c].canaryPercent}%${table[c].writesHeldSince ? '/held' : ''}`) }, 'stages read');
        this.options.onChange?.(table);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.reachable || this.lastError === null) {
        this.options.logger.error({ err: error }, 'cannot read the stage store: serving the last stages read');
      }
      this.reachable = false;
      this.lastError = message;
      if (throwOnFailure) throw new Error(`cannot read control.context_stages: ${message}`);
    }
  }
}

function sameStage(a: ContextStage, b: ContextStage): boolean {
  return a.stage === b.stage && a.canaryPercent === b.canaryPercent && a.version === b.version && a.writesHeldSince?.getTime() === b.writesHeldSince?.getTime();
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    // A late failure of the raced query must not surface as an unhandled rejection.
    work.catch(() => undefined);
  }
}

export type { ContextStageRecord };

/** One row of control.context_stages, checked: an unknown context or stage is an error, never a guess. */
export function contextStageOf(row: ContextStageRecord): ContextStage {
  if (!isContext(row.context) || !isStage(row.stage)) throw new Error(`control.context_stages holds an unknown context or stage: ${row.context}/${row.stage}`);
  return {
    context: row.context,
    stage: row.stage,
    canaryPercent: Number(row.canary_percent),
    version: Number(row.version),
    changedAt: row.changed_at,
    writesHeldSince: row.writes_held_since,
  };
}

function stageTableOf(rows: readonly ContextStageRecord[]): StageTable {
  const table: Partial<Record<Context, ContextStage>> = {};
  for (const row of rows) {
    const stage = contextStageOf(row);
    table[stage.context] = stage;
  }
  const missing = CONTEXTS.filter((context) => table[context] === undefined);
  if (missing.length > 0) throw new Error(`control.context_stages has no row for ${missing.join(', ')}`);
  return table as StageTable;
}
