/**
 * The four services as child processes of the demo, on their contract ports, each logging to
 * `.stack/logs/demo-<name>.log`. Ready means its /healthz answers 200; a child that exits before the demo
 * stops it fails the demo at once, with the tail of its log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { tail, waitFor } from '../stack/proc';

export type ServiceKind = 'legacy' | 'user-service' | 'cdc' | 'proxy';
/** A kind, or a second (third...) instance of one: `cdc-2`, `proxy-2` share their kind's groups and tables. */
export type ServiceName = ServiceKind | `${'cdc' | 'proxy'}-${number}`;

export interface ServiceSpec {
  readonly name: ServiceName;
  /** The entry point, relative to the repository root. */
  readonly main: string;
  /** Where /healthz answers (the proxy's is on its admin port). */
  readonly healthUrl: string;
  /** This instance's own variables (its ports), over the environment all services share. */
  readonly env?: NodeJS.ProcessEnv;
}

const kindOf = (name: ServiceName): ServiceKind => name.replace(/-\d+$/, '') as ServiceKind;

export interface RunningService {
  readonly spec: ServiceSpec;
  readonly child: ChildProcess;
  readonly logFile: string;
}


export class DemoServices {
  private readonly running: RunningService[] = [];
  /** Children killed on purpose (a fault being injected): their exit is not a crash. */
  private readonly killed = new Set<ChildProcess>();
  private stopping = false;
  private crash: Error | undefined;

  /**
   * `detached`: each child leads its own process group and writes straight to its log file, so it outlives
   * the demo (--keep) and a Ctrl-C in the demo's terminal reaches only the demo, which stops them itself.
   */
  constructor(private readonly root: string, private readonly logDir: string, private readonly env: NodeJS.ProcessEnv, private readonly detached = false) {}

  get crashed(): Error | undefined {
    return this.crash;
  }

  get pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.running.map((s) => [s.spec.name, s.child.pid]));
  }

  logFileOf(name: ServiceName): string {
    return join(this.logDir, `demo-${name}.log`);
  }

  /** Starts the services together and waits until each /healthz answers 200. */
  async start(specs: readonly ServiceSpec[], timeoutMs = 180_000): Promise<void> {
    const started = specs.map((spec) => this.startOne(spec));
    await Promise.all(started.map((service) => this.waitHealthy(service, timeoutMs)));
  }

  private startOne(spec: ServiceSpec): RunningService {
    const logFile = this.logFileOf(spec.name);
    const log = openSync(logFile, 'w');
    // One process per service (tsx's require hook, as bin/strangler.js does), so its pid is the service's.
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(this.root, spec.main)], {
      cwd: this.root,
      env: { ...this.env, ...spec.env },
      stdio: ['ignore', log, log],
      detached: this.detached,
    });
    closeSync(log);
    const service = { spec, child, logFile };
    this.running.push(service);
    child.once('exit', (code, signal) => {
      if (this.stopping || this.killed.has(child)) return;
      this.crash ??= new Error(`${spec.name} exited (${signal ?? `code ${code}`}) while the demo ran; the end of ${logFile}:\n${tail(logFile, 15)}`);
    });
    return service;
  }

  private async waitHealthy(service: RunningService, timeoutMs: number): Promise<void> {
    await waitFor(`${service.spec.name} healthy at ${service.spec.healthUrl}`, async () => {
      if (this.crash) throw this.crash;
      // Refused connections are expected while it starts (migrations first); only an exit ends the wait early.
      return fetch(service.spec.healthUrl, { signal: AbortSignal.timeout(2_000) }).then((res) => res.ok, () => false);
    }, timeoutMs, 250).catch((error: Error) => {
      if (error === this.crash) throw error;
      throw new Error(`${error.message}; see ${service.logFile}:\n${tail(service.logFile, 15)}`);
    });
  }

  /**
   * SIGKILLs one service, as a crash or the OOM killer would, and resolves once it has exited; `restart`
   * starts it again. Together (crashAndRestart) they are a crash under a supervisor: the chaos of fault
   * tests and the demo.
   */
  async sigkill(name: ServiceName): Promise<ServiceSpec> {
    const service = this.running.find((s) => s.spec.name === name && s.child.exitCode === null && s.child.signalCode === null);
    if (!service) throw new Error(`${name} is not running`);
    this.killed.add(service.child);
    const exited = new Promise<void>((resolve) => service.child.once('exit', () => resolve()));
    this.kill(service.child);
    await exited;
    this.running.splice(this.running.indexOf(service), 1);
    return service.spec;
  }

  /** Starts a crashed service again from scratch, as a supervisor would, and waits until its /healthz answers 200. */
  async restart(spec: ServiceSpec, timeoutMs = 120_000): Promise<void> {
    await this.waitHealthy(this.startOne(spec), timeoutMs);
  }

  async crashAndRestart(name: ServiceName, timeoutMs = 120_000): Promise<void> {
    await this.restart(await this.sigkill(name), timeoutMs);
  }

  /** SIGTERM to each (the proxy first: clients stop before their upstreams), SIGKILL after a grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    const order: ServiceKind[] = ['proxy', 'cdc', 'user-service', 'legacy'];
    for (const kind of order) {
      for (const service of this.running.filter((s) => kindOf(s.spec.name) === kind)) {
        const { child } = service;
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => this.kill(child), graceMs);
        await exited;
        clearTimeout(timer);
      }
    }
  }

  /**
   * SIGKILL past the grace period. A detached child leads its own process group, and the group goes with it:
   * the proxy with PROXY_WORKERS > 1 is a primary and its forked workers (which otherwise stop on their own
   * once their primary is gone).
   */
  private kill(child: ChildProcess): void {
    if (!this.detached || child.pid === undefined) return void child.kill('SIGKILL');
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch (error) {
      // ESRCH: the whole group has exited meanwhile.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  /** Leaves the children running after the demo exits (--keep). */
  detach(): void {
    this.stopping = true;
    for (const { child } of this.running) child.unref();
  }
}
