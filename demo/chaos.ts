/**
 * `npm run demo -- --chaos`: faults of real infrastructure injected one after another while the walk goes
 * on, each announced with what it hit and how long recovery took. A fault runs alone: the walk's operator
 * steps (promotions, canary raises, verify runs) and the faults take turns, as an operator would not promote
 * while the database restarts; the two hand-over faults run inside the promotion they hit.
 *
 * Recovery is measured from the fault's end (the process or dependency started again, as a supervisor or
 * the stack would) until every service's /healthz is 200 and both sync directions have drained. A client
 * request that failed (or a write held past its bound) while a fault was injected or being recovered from,
 * up to a grace period after, is counted against that fault; any other failure is the migration's and fails
 * the demo as always.
 */
import type { Pool } from 'pg';
import { waitFor } from '../stack/proc';

export interface ChaosFault {
  readonly name: string;
  /** What it hits, as the terminal announces it. */
  readonly hits: string;
  /** Injects the fault and undoes it as a supervisor (or the stack's own start) would; resolves when it is undone. */
  inject(): Promise<void>;
}

/** A fault that hits a promotion: armed when the walk starts promoting `context` to `to`. */
export interface HandOverFault extends ChaosFault {
  readonly context: string;
  readonly to: string;
}

export interface FaultRun {
  readonly name: string;
  readonly hits: string;
  /** From injection until the fault was undone. */
  readonly faultMs: number;
  /** From then until every /healthz was 200 and both syncs had drained. */
  readonly recoveryMs: number;
}

export interface ChaosDeps {
  /** The services whose /healthz does not answer 200 now (empty: all healthy). */
  unhealthy(): Promise<string[]>;
  /** Whether both sync directions have drained (asked anew each time). */
  drained(): Promise<boolean>;
  say(line: string): void;
  /** How long after recovery a failure still counts against the fault: answers already on their way. */
  graceMs?: number;
  recoveryTimeoutMs?: number;
}

interface Window {
  readonly fault: string;
  readonly from: number;
  to: number | undefined;
}

export class Chaos {
  readonly runs: FaultRun[] = [];
  private readonly windows: Window[] = [];
  private turn: Promise<unknown> = Promise.resolve();
  private readonly armed: HandOverFault[];

  constructor(private readonly deps: ChaosDeps, handOverFaults: readonly HandOverFault[] = []) {
    this.armed = [...handOverFaults];
  }

  /** The fault whose window a request from `startedAt` to `endedAt` overlapped, if any (ClientTraffic.explainFailure). */
  readonly explain = (startedAt: number, endedAt: number): string | undefined => {
    const grace = this.deps.graceMs ?? 2_000;
    return this.windows.find((w) => startedAt <= (w.to ?? Number.POSITIVE_INFINITY) + grace && endedAt >= w.from)?.fault;
  };

  /** `work` alone: no fault starts while it runs, and it waits for one under way. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work);
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** Runs the faults in turn, `gapMs` apart, each alone; resolves when all have run and been recovered from. */
  async runInTurn(faults: readonly ChaosFault[], gapMs: number, stopped: () => boolean): Promise<void> {
    for (const fault of faults) {
      await new Promise((resolve) => setTimeout(resolve, gapMs));
      if (stopped()) return;
      await this.exclusive(() => this.run(fault));
    }
  }

  /**
   * An operator step of the walk (`work`), alone; if a hand-over fault is armed for this promotion it runs
   * beside it, and the step's outcome waits for the fault's recovery too.
   */
  async step<T>(context: string, to: string | undefined, work: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const at = this.armed.findIndex((f) => f.context === context && f.to === to);
      if (at < 0) return work();
      const [fault] = this.armed.splice(at, 1);
      const [outcome] = await Promise.all([work(), this.run(fault!)]);
      return outcome;
    });
  }

  /** The hand-over faults whose promotion never came (the walk stopped early). */
  get unused(): readonly HandOverFault[] {
    return this.armed;
  }

  private async run(fault: ChaosFault): Promise<void> {
    const window: Window = { fault: fault.name, from: Date.now(), to: undefined };
    this.windows.push(window);
    this.deps.say(`chaos: ${fault.name}: ${fault.hits}`);
    try {
      await fault.inject();
      const undone = Date.now();
      let waiting: string[] = [];
      await waitFor(`every service healthy and both syncs drained after ${fault.name}`, async () => {
        waiting = await this.deps.unhealthy();
        return waiting.length === 0 && (await this.deps.drained());
      }, this.deps.recoveryTimeoutMs ?? 180_000, 500).catch((error: Error) => {
        throw new Error(`${error.message}${waiting.length > 0 ? ` (still unhealthy: ${waiting.join(', ')})` : ''}`);
      });
      window.to = Date.now();
      const run = { name: fault.name, hits: fault.hits, faultMs: undone - window.from, recoveryMs: window.to - undone };
      this.runs.push(run);
      this.deps.say(`chaos: ${fault.name}: undone after ${(run.faultMs / 1000).toFixed(1)} s, recovered ${(run.recoveryMs / 1000).toFixed(1)} s later (every /healthz 200, both syncs drained)`);
    } finally {
      window.to ??= Date.now();
    }
  }
}

/** Until a hand-over holds `context`'s writes (control.context_stages.writes_held_since set); its row version. */
export async function untilWritesHeld(control: Pool, context: string, timeoutMs: number): Promise<number> {
  return waitFor(`a hand-over holding ${context}'s writes`, async () => {
    const { rows } = await control.query<{ version: string; held: Date | null }>('SELECT version, writes_held_since AS held FROM control.context_stages WHERE context = $1', [context]);
    return rows[0]?.held ? Number(rows[0].version) : undefined;
  }, timeoutMs, 20);
}

/** Until `context`'s write hold is gone (released or finished). */
export async function untilHoldLifted(control: Pool, context: string, timeoutMs: number): Promise<void> {
  await waitFor(`${context}'s write hold to be lifted`, async () => {
    const { rows } = await control.query<{ held: Date | null }>('SELECT writes_held_since AS held FROM control.context_stages WHERE context = $1', [context]);
    return rows[0]?.held === null;
  }, timeoutMs, 50);
}

/**
 * Until every proxy instance with a live lease has confirmed the hold's version: what the admin waits for
 * before it asks a cdc process to drain (proxy/admin/proxy-instances.ts awaitHoldConfirmed).
 */
export async function untilHoldConfirmed(control: Pool, context: string, version: number, timeoutMs: number): Promise<void> {
  await waitFor(`every live proxy instance confirming ${context}'s hold`, async () => {
    const { rows } = await control.query<{ pending: number }>(
      `SELECT count(*) FILTER (WHERE coalesce((confirmed_versions ->> $1)::bigint, 0) < $2)::int AS pending
         FROM control.proxy_instances WHERE fenced_at IS NULL AND lease_expires_at > now()`,
      [context, version],
    );
    return rows[0]!.pending === 0;
  }, timeoutMs, 20);
}
