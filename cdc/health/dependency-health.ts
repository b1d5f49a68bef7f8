import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';

/** One dependency as /healthz reports it. */
export interface DependencyReport {
  readonly name: string;
  readonly reachable: boolean;
  /** Since when it has been in this state (ISO), null before the first probe. */
  readonly since: string | null;
  readonly reason?: string;
}

interface Probe {
  readonly name: string;
  /** Resolves when the dependency answers; rejects (or times out) when it does not. */
  check(): Promise<unknown>;
}

interface State {
  reachable: boolean;
  since: number | null;
  reason?: string;
}

/**
 * The cdc process's dependencies (its three databases, the Kafka cluster), probed on a timer so that
 * /healthz says which one is gone and since when, even while no batch is trying to use it. An outage is a
 * state the process lives through, not a reason to die: the workers retry, the probes say when it is over.
 */
export class DependencyHealth {
  private readonly states = new Map<string, State>();
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<unknown> | undefined;
  private readonly up: Gauge<'dependency'>;
  private readonly losses: Counter<'dependency'>;

  constructor(
    private readonly probes: readonly Probe[],
    private readonly options: { registry: Registry; logger: Logger; everyMs?: number; timeoutMs?: number; now?: () => number },
  ) {
    for (const probe of probes) this.states.set(probe.name, { reachable: true, since: null });
    this.up = new Gauge({
      name: 'strangler_cdc_dependency_up',
      help: 'Whether the cdc process reaches a dependency (its legacy, user_service and control databases, Kafka), probed every second',
      labelNames: ['dependency'] as const,
      registers: [options.registry],
    });
    this.losses = new Counter({
      name: 'strangler_cdc_connection_losses_total',
      help: 'Database connections the cdc process lost (idle or in use); batches on them were rolled back and retried',
      labelNames: ['dependency'] as const,
      registers: [options.registry],
    });
  }

  start(): void {
    void this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), this.options.everyMs ?? 1_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.probing;
  }

  /** A connection of `name` was lost: counted, and the dependency is probed again at once. */
  lost(name: string): void {
    this.losses.inc({ dependency: name });
    void this.probeAll();
  }

  report(): DependencyReport[] {
    return this.probes.map(({ name }) => {
      const state = this.states.get(name)!;
      return { name, reachable: state.reachable, since: state.since === null ? null : new Date(state.since).toISOString(), ...(state.reason ? { reason: state.reason } : {}) };
    });
  }

  private probeAll(): Promise<unknown> {
    this.probing ??= Promise.all(this.probes.map((probe) => this.probeOne(probe))).finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  private async probeOne(probe: Probe): Promise<void> {
    const now = this.options.now ?? Date.now;
    let reason: string | undefined;
    try {
      await withTimeout(probe.check(), this.options.timeoutMs ?? 2_000);
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
    const state = this.states.get(probe.name)!;
    const reachable = reason === undefined;
    if (state.reachable !== reachable || state.since === null) {
      if (!reachable) this.options.logger.error({ dependency: probe.name, reason }, 'a dependency is unreachable: its batches wait and retry');
      else if (state.since !== null) this.options.logger.info({ dependency: probe.name, downForMs: now() - state.since }, 'a dependency is reachable again');
      state.since = now();
    }
    state.reachable = reachable;
    if (reason === undefined) delete state.reason;
    else state.reason = reason;
    this.up.set({ dependency: probe.name }, reachable ? 1 : 0);
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}
