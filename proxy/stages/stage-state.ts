import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { CONTEXTS, isContext, isStage, type Context, type ContextStage, type StageTable } from './stages';

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
}

export interface StageStateReport {
  readonly reachable: boolean;
  readonly lastReadAt: string | null;
  readonly ageMs: number | null;
  readonly lastError: string | null;
}

/**
 * The stages as this instance acts on them: read from control.context_stages every pollMs. When the store
 * cannot be read the last table read stays in force (serving the last known routing beats refusing every
 * client), and report() says so, for /healthz and strangler_proxy_state_store_up.
 */
export class StageState {
  private table: StageTable | undefined;
  private lastReadAt: Date | null = null;
  private lastError: string | null = null;
  private reachable = false;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: StageStateOptions) {}

  /** Reads once (throwing when the store cannot be read: there is no last state to fall back on yet), then polls. */
  async start(): Promise<void> {
    await this.readOnce(true);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.reading;
  }

  current(context: Context): ContextStage {
    if (!this.table) throw new Error('the stage state has not been read yet');
    return this.table[context];
  }

  all(): StageTable {
    if (!this.table) throw new Error('the stage state has not been read yet');
    return this.table;
  }

  report(): StageStateReport {
    const now = this.options.clock().getTime();
    return {
      reachable: this.reachable,
      lastReadAt: this.lastReadAt?.toISOString() ?? null,
      ageMs: this.lastReadAt ? Math.max(0, now - this.lastReadAt.getTime()) : null,
      lastError: this.lastError,
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

  private async readOnce(throwOnFailure: boolean): Promise<void> {
    try {
      const table = await withTimeout(readStageTable(this.options.control), this.options.readTimeoutMs);
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

/** A row of control.context_stages as the database gives it. */
export interface ContextStageRecord {
  readonly context: string;
  readonly stage: string;
  readonly canary_percent: number | string;
  readonly version: number | string;
  readonly changed_at: Date;
  readonly writes_held_since: Date | null;
}

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

export async function readStageTable(control: Pool): Promise<StageTable> {
  const { rows } = await control.query<ContextStageRecord>('SELECT context, stage, canary_percent, version, changed_at, writes_held_since FROM control.context_stages');
  const table: Partial<Record<Context, ContextStage>> = {};
  for (const row of rows) {
    const stage = contextStageOf(row);
    table[stage.context] = stage;
  }
  const missing = CONTEXTS.filter((context) => table[context] === undefined);
  if (missing.length > 0) throw new Error(`control.context_stages has no row for ${missing.join(', ')}`);
  return table as StageTable;
}
