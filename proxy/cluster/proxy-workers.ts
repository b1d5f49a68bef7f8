// PROXY_WORKERS > 1: the primary's side. It forks N proxy workers (proxy-worker.ts), each one instance with
// its own lease in the control plane, on the one client port node:cluster shares between them; it replaces a
// worker that dies (with a capped backoff), asks them for their health every second and for their metrics
// at each scrape, and stops them gracefully. It holds no state of the data plane: the workers share nothing
// but the control plane.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ProxyHealth } from '../proxy-server';
import { MergedMetrics } from './merged-metrics';
import { CHANNEL, isFromWorker, WORKER_SLOT_VARIABLE, type FromWorker, type MetricsSnapshot, type Question, type WorkerHealth } from './worker-channel';

export interface RestartPolicy {
  /** The wait before replacing a worker that had run for `stableAfterMs` or more. */
  readonly firstDelayMs: number;
  /** Each quick death in a row doubles the wait, up to this. */
  readonly maxDelayMs: number;
  readonly stableAfterMs: number;
}

export const RESTART_POLICY: RestartPolicy = { firstDelayMs: 500, maxDelayMs: 30_000, stableAfterMs: 10_000 };

/** How long to wait before replacing a worker that lived `livedMs`, and the slot's quick deaths in a row after it. */
export function nextRestart(policy: RestartPolicy, quickDeathsBefore: number, livedMs: number): { delayMs: number; quickDeaths: number } {
  const quickDeaths = livedMs >= policy.stableAfterMs ? 0 : quickDeathsBefore + 1;
  return { quickDeaths, delayMs: Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** quickDeaths) };
}

export type WorkerState = 'starting' | 'serving' | 'restarting' | 'stopping' | 'stopped';

/** One worker's place as /healthz lists it. */
export interface WorkerReport {
  /** The slot, 1..N; a replacement takes the slot of the worker it replaces. */
  readonly worker: number;
  readonly pid: number | null;
  readonly state: WorkerState;
  /** Whether it answered the last health question within its deadline. */
  readonly answering: boolean;
  readonly lastAnswerMsAgo: number | null;
  /** Client requests the current worker of the slot has answered. */
  readonly requests: number | null;
  readonly restarts: number;
  readonly proxy: ProxyHealth | null;
  readonly lastExit: { code: number | null; signal: string | null; at: string; livedMs: number } | null;
  readonly restartInMs: number | null;
}

export interface ClusterHealth {
  /** Some worker serves and answers: the client port is served. */
  readonly healthy: boolean;
  /** `ok` when every worker serves, answers and reports ok; `degraded` while only some do. */
  readonly status: 'ok' | 'degraded' | 'unhealthy';
  readonly workers: readonly WorkerReport[];
}

export function clusterHealth(workers: readonly WorkerReport[]): ClusterHealth {
  const serving = (w: WorkerReport) => w.state === 'serving' && w.answering;
  const healthy = workers.some(serving);
  const ok = workers.length > 0 && workers.every((w) => serving(w) && w.proxy?.status === 'ok');
  return { healthy, status: ok ? 'ok' : healthy ? 'degraded' : 'unhealthy', workers };
}

export interface ProxyWorkersOptions {
  readonly count: number;
  readonly logger: Logger;
  readonly restart?: RestartPolicy;
  /** How often each worker is asked for its health, and the deadline of each answer. */
  readonly healthEveryMs?: number;
  /** The deadline of a worker's metrics at a scrape. */
  readonly metricsTimeoutMs?: number;
  readonly now?: () => number;
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  state: WorkerState;
  forkedAt: number;
  quickDeaths: number;
  restarts: number;
  health: WorkerHealth | undefined;
  answering: boolean;
  lastAnswerAt: number | undefined;
  lastExit: WorkerReport['lastExit'];
  restartAt: number | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

/** Forks the workers and resolves once every one of them serves; rejects (having stopped the rest) if one dies first. */
export async function startProxyWorkers(options: ProxyWorkersOptions): Promise<ProxyWorkers> {
  const workers = new ProxyWorkers(options);
  await workers.start();
  return workers;
}

export class ProxyWorkers {
  private readonly slots: Slot[];
  private readonly logger: Logger;
  private readonly policy: RestartPolicy;
  private readonly healthEveryMs: number;
  private readonly metricsTimeoutMs: number;
  private readonly now: () => number;
  private readonly questions = new Map<number, { workerId: number; settle: (answer: FromWorker | undefined) => void }>();
  private readonly merged = new MergedMetrics();
  private nextRequestId = 1;
  private started = false;
  private stopping = false;
  private startup: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private clientPort: number | undefined;

  constructor(options: ProxyWorkersOptions) {
    this.logger = options.logger;
    this.policy = options.restart ?? RESTART_POLICY;
    this.healthEveryMs = options.healthEveryMs ?? 1_000;
    this.metricsTimeoutMs = options.metricsTimeoutMs ?? 2_000;
    this.now = options.now ?? Date.now;
    this.slots = Array.from({ length: options.count }, (_, i) => ({
      index: i + 1, worker: undefined, state: 'starting', forkedAt: 0, quickDeaths: 0, restarts: 0,
      health: undefined, answering: false, lastAnswerAt: undefined, lastExit: null, restartAt: undefined, restartTimer: undefined,
    }));
  }

  /** The client port the workers share (what PROXY_PORT asked for, or the ephemeral one cluster picked for 0). */
  get port(): number {
    return this.clientPort ?? 0;
  }

  get pids(): number[] {
    return this.slots.flatMap((slot) => (slot.worker?.process.pid === undefined ? [] : [slot.worker.process.pid]));
  }

  async start(): Promise<void> {
    if (!cluster.isPrimary) throw new Error('proxy workers are forked from the primary process only');
    // Round-robin (node's default on Linux, set here so NODE_CLUSTER_SCHED_POLICY cannot quietly undo it): the
    // primary accepts and hands connections out in turn. With SCHED_NONE every worker accepts on the shared
    // socket and the kernel's wake-ups pile most connections onto one or two of them (node's cluster docs).
    cluster.schedulingPolicy = cluster.SCHED_RR;
    const ready = new Promise<void>((resolve, reject) => (this.startup = { resolve, reject }));
    for (const slot of this.slots) this.fork(slot);
    try {
      await ready;
    } catch (error) {
      await this.stop(10_000);
      throw error;
    }
    this.started = true;
    this.startup = undefined;
    this.healthTimer = setInterval(() => this.askHealth(), this.healthEveryMs);
    this.healthTimer.unref();
  }

  health(): ClusterHealth {
    const now = this.now();
    return clusterHealth(
      this.slots.map((slot) => ({
        worker: slot.index,
        pid: slot.worker?.process.pid ?? null,
        state: slot.state,
        answering: slot.answering,
        lastAnswerMsAgo: slot.lastAnswerAt === undefined ? null : now - slot.lastAnswerAt,
        requests: slot.health?.requests ?? null,
        restarts: slot.restarts,
        proxy: slot.health?.proxy ?? null,
        lastExit: slot.lastExit,
        restartInMs: slot.restartAt === undefined ? null : Math.max(0, slot.restartAt - now),
      })),
    );
  }

  /** Every serving worker's metrics (each within the deadline) merged with `own`, the primary's. */
  async mergedMetrics(own: MetricsSnapshot): Promise<Registry> {
    const asked = this.slots.flatMap((slot) => (slot.state === 'serving' && slot.worker ? [slot.worker] : []));
    const round = await Promise.all(
      asked.map(async (worker) => {
        const answer = await this.ask(worker, 'metrics', this.metricsTimeoutMs);
        return { workerId: worker.id, answered: answer !== undefined && 'metrics' in answer };
      }),
    );
    return this.merged.merge(own, round);
  }

  /**
   * SIGTERM to every worker (each finishes its requests in flight: proxy.stop()), SIGKILL to those still
   * running after `graceMs`. True when each one left by itself.
   */
  async stop(graceMs: number): Promise<boolean> {
    this.stopping = true;
    clearInterval(this.healthTimer);
    const exits: Promise<boolean>[] = [];
    const running: Worker[] = [];
    for (const slot of this.slots) {
      clearTimeout(slot.restartTimer);
      slot.restartAt = undefined;
      const worker = slot.worker;
      if (!worker) {
        slot.state = 'stopped';
        continue;
      }
      slot.state = 'stopping';
      running.push(worker);
      // A worker killed by the SIGTERM itself was still starting (its handler not yet in place): nothing was in flight.
      exits.push(new Promise((resolve) => worker.once('exit', (code, signal) => resolve(code === 0 || signal === 'SIGTERM'))));
      worker.process.kill('SIGTERM');
    }
    let forced = false;
    const timer = setTimeout(() => {
      for (const worker of running.filter((w) => w.process.exitCode === null && w.process.signalCode === null)) {
        forced = true;
        this.logger.error({ workerPid: worker.process.pid, graceMs }, 'proxy worker did not stop within the grace period; killing it');
        worker.process.kill('SIGKILL');
      }
    }, graceMs);
    const clean = await Promise.all(exits);
    clearTimeout(timer);
    return !forced && clean.every(Boolean);
  }

  private fork(slot: Slot): void {
    const worker = cluster.fork({ [WORKER_SLOT_VARIABLE]: String(slot.index) });
    Object.assign(slot, { worker, state: 'starting', forkedAt: this.now(), health: undefined, answering: false, lastAnswerAt: undefined, restartAt: undefined, restartTimer: undefined });
    worker.on('message', (message: unknown) => this.onMessage(slot, worker, message));
    worker.on('exit', (code, signal) => this.onExit(slot, worker, code, signal));
    // IPC failures (a send racing the worker's exit) arrive here; the exit, if any, is handled above.
    worker.on('error', (error) => this.logger.warn({ err: error, worker: slot.index, workerPid: worker.process.pid }, 'proxy worker channel failed'));
  }

  private onMessage(slot: Slot, worker: Worker, message: unknown): void {
    if (!isFromWorker(message)) return;
    if (message.kind === 'answer') {
      if ('metrics' in message) this.merged.record(worker.id, message.metrics);
      this.questions.get(message.requestId)?.settle(message);
      return;
    }
    // serving
    if (slot.worker !== worker || this.stopping) return;
    slot.state = 'serving';
    this.clientPort = message.port;
    this.heard(slot, message.health);
    this.logger.info({ worker: slot.index, workerPid: worker.process.pid, port: message.port, restarts: slot.restarts }, 'proxy worker serving');
    if (this.startup && this.slots.every((s) => s.state === 'serving')) this.startup.resolve();
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    for (const question of [...this.questions.values()]) if (question.workerId === worker.id) question.settle(undefined);
    this.merged.retire(worker.id);
    if (slot.worker !== worker) return;
    const pid = worker.process.pid;
    const livedMs = this.now() - slot.forkedAt;
    Object.assign(slot, { worker: undefined, health: undefined, answering: false, lastExit: { code, signal, at: new Date(this.now()).toISOString(), livedMs } });
    if (this.stopping) {
      slot.state = 'stopped';
      this.logger.info({ worker: slot.index, workerPid: pid, code, signal }, 'proxy worker exited');
      return;
    }
    if (!this.started) {
      slot.state = 'stopped';
      this.startup?.reject(new Error(`proxy worker ${slot.index} (pid ${pid}) exited (${signal ?? `code ${code}`}) before it served; its log lines say why`));
      return;
    }
    const { delayMs, quickDeaths } = nextRestart(this.policy, slot.quickDeaths, livedMs);
    Object.assign(slot, { quickDeaths, state: 'restarting', restartAt: this.now() + delayMs });
    this.logger.error({ worker: slot.index, workerPid: pid, code, signal, livedMs, quickDeaths, restartInMs: delayMs }, 'proxy worker exited; replacing it');
    slot.restartTimer = setTimeout(() => {
      slot.restarts += 1;
      this.fork(slot);
    }, delayMs);
  }

  private askHealth(): void {
    for (const slot of this.slots) {
      const worker = slot.worker;
      if (slot.state !== 'serving' || !worker) continue;
      void this.ask(worker, 'health', this.healthEveryMs).then((answer) => {
        if (slot.worker !== worker) return;
        if (answer && 'health' in answer) this.heard(slot, answer.health);
        else if (slot.answering) {
          slot.answering = false;
          this.logger.warn({ worker: slot.index, workerPid: worker.process.pid, deadlineMs: this.healthEveryMs }, 'proxy worker did not answer its health question in time');
        }
      });
    }
  }

  private heard(slot: Slot, health: WorkerHealth): void {
    slot.health = health;
    slot.answering = true;
    slot.lastAnswerAt = this.now();
  }

  /** One question to one worker; undefined when it does not answer within `timeoutMs` or exits first. */
  private ask(worker: Worker, question: Question, timeoutMs: number): Promise<FromWorker | undefined> {
    if (!worker.isConnected()) return Promise.resolve(undefined);
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(undefined), timeoutMs);
      const settle = (answer: FromWorker | undefined) => {
        clearTimeout(timer);
        this.questions.delete(requestId);
        resolve(answer);
      };
      this.questions.set(requestId, { workerId: worker.id, settle });
      worker.send({ channel: CHANNEL, kind: 'ask', requestId, question }, undefined, (error) => {
        if (error) settle(undefined);
      });
    });
  }
}
