/**
 * The native dev/test stack: our own PostgreSQL 15 cluster, a single-node KRaft Kafka broker and a
 * Kafka Connect worker with the Debezium PostgreSQL plugin, all on 127.0.0.1, all state in
 * STRANGLER_STACK_DIR (default <repo>/.stack). See stack/README.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type ConnectorState, connectPid, ensureConnect, listConnectors, postgresPluginListed, stopConnect } from './connect';
import { writeLog4jConfig } from './jvm';
import { brokerPid, ensureBroker, stopBroker } from './kafka';
import { createStackLogger, type Logger } from './log';
import { type JarVersions, ensureJars, installedJars } from './maven';
import { ensurePostgres, postgresState, stopPostgres } from './postgres';
import { ensurePrometheus, prometheusPid, prometheusReady, prometheusUrl, stopPrometheusProcess } from './prometheus';
import { canConnect, cmdline, isAlive, listeners, readPidFile, removeFile, waitFor } from './proc';
import { type StackSettings, readStackSettings, stackPaths } from './settings';

export { readStackSettings, stackPaths, type StackSettings } from './settings';
export { prometheusUrl } from './prometheus';
export { POSTGRES_CONNECTOR_CLASS, CONNECT_GROUP_ID, CONNECT_TOPICS, type ConnectorState } from './connect';

/** Settings from the environment at import time; pass your own to the functions to override. */
export const stackSettings: StackSettings = readStackSettings();

export interface StackOptions {
  settings?: StackSettings;
  logger?: Logger;
}

export type ComponentName = 'postgres' | 'kafka' | 'connect' | 'prometheus';

export interface ComponentStart {
  pid: number;
  /** False when it was already running and left alone. */
  started: boolean;
}

export interface StackUpResult {
  postgres: ComponentStart;
  kafka: ComponentStart;
  connect: ComponentStart;
  /** Present when Prometheus was asked for (option or STRANGLER_PROMETHEUS=1). */
  prometheus?: PrometheusStart;
  versions: JarVersions;
  seconds: number;
}

export interface PrometheusStart extends ComponentStart {
  /** Base URL of its HTTP API, e.g. http://127.0.0.1:29090 */
  url: string;
}

export interface StackUpOptions extends StackOptions {
  /** Also start Prometheus (default: settings.prometheus.enabled, i.e. STRANGLER_PROMETHEUS=1). */
  prometheus?: boolean;
}

export interface ComponentStatus {
  name: ComponentName;
  up: boolean;
  /** Process exists but does not answer yet (or answers on another port). */
  state: 'up' | 'starting' | 'down';
  pid?: number;
  port: number;
}

export interface StackStatus {
  allUp: boolean;
  stackDir: string;
  components: ComponentStatus[];
  /** Registered connectors with their states; undefined when Connect is not answering. */
  connectors?: ConnectorState[];
  versions?: JarVersions;
}

function resolve(opts: StackOptions | undefined): { s: StackSettings; log: Logger } {
  return { s: opts?.settings ?? stackSettings, log: opts?.logger ?? createStackLogger() };
}

/**
 * Serialises concurrent `up`/`down` calls on one stack dir (e.g. a test run starting while an operator
 * runs stack:up); a lock left by a dead process is taken over.
 */
async function withLock<T>(s: StackSettings, log: Logger, fn: () => Promise<T>): Promise<T> {
  const p = stackPaths(s);
  fs.mkdirSync(p.run, { recursive: true });
  const lock = path.join(p.run, 'lock');
  let announced = false;
  await waitFor('the stack lock (another stack:up/down is running)', () => {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPidFile(lock);
      if (holder === undefined || !isAlive(holder)) {
        removeFile(lock);
        return false;
      }
      if (!announced) {
        log.info({ holder, lock }, 'waiting for another stack:up/down to finish');
        announced = true;
      }
      return false;
    }
  }, 10 * 60_000, 250);
  try {
    return await fn();
  } finally {
    removeFile(lock);
  }
}

/**
 * Starts whatever part of the stack is not running (fetching jars first if needed) and waits until
 * every part is ready. Calling it while everything runs is a cheap no-op returning the same pids.
 */
export async function stackUp(opts?: StackUpOptions): Promise<StackUpResult> {
  const { s, log } = resolve(opts);
  const started = Date.now();
  const p = stackPaths(s);
  for (const d of [s.stackDir, p.logs, p.run, p.conf]) fs.mkdirSync(d, { recursive: true });
  return withLock(s, log, async () => {
    if (!installedJars(s) && (brokerPid(s) !== undefined || connectPid(s) !== undefined)) {
      // Swapping lib/ under running JVMs would leave them on the old versions while status claims the new.
      throw new Error('the jars pinned in stack/pom.xml changed (or are incomplete) while Kafka runs; run `npm run stack:down` first');
    }
    const versions = await ensureJars(s, log);
    writeLog4jConfig(s);
    // PostgreSQL needs about a second; start it alongside the JVMs instead of before them.
    const [pg, kafkaAndConnect] = await Promise.allSettled([
      ensurePostgres(s, log),
      ensureBroker(s, log).then(async (kafka) => ({ kafka, connect: await ensureConnect(s, log) })),
    ]);
    if (pg.status === 'fulfilled' && kafkaAndConnect.status === 'fulfilled') {
      const result: StackUpResult = { postgres: pg.value, ...kafkaAndConnect.value, versions, seconds: 0 };
      if (opts?.prometheus ?? s.prometheus.enabled) result.prometheus = { ...(await ensurePrometheus(s, log)), url: prometheusUrl(s) };
      result.seconds = Number(((Date.now() - started) / 1000).toFixed(1));
      log.info({ seconds: result.seconds }, 'stack is up');
      return result;
    }
    // Report every failure: a port clash on PG and on Kafka at once should not take two attempts to find.
    const failures = [pg, kafkaAndConnect].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length === 1) throw failures[0];
    throw new Error(failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n'));
  });
}

/**
 * Starts this stack's Prometheus (Debian's /usr/bin/prometheus) on 127.0.0.1:29090 with
 * observability/prometheus/prometheus.yml, unless it runs already, and waits for /-/ready.
 * Independent of the rest of the stack: it scrapes whatever answers and records the others as down.
 */
export async function startPrometheus(opts?: StackOptions): Promise<PrometheusStart> {
  const { s, log } = resolve(opts);
  fs.mkdirSync(stackPaths(s).run, { recursive: true });
  return withLock(s, log, async () => ({ ...(await ensurePrometheus(s, log)), url: prometheusUrl(s) }));
}

/** Stops this stack's Prometheus if it runs (its data stays in the stack folder). */
export async function stopPrometheus(opts?: StackOptions): Promise<void> {
  const { s, log } = resolve(opts);
  if (!fs.existsSync(s.stackDir)) return;
  await withLock(s, log, () => stopPrometheusProcess(s, log));
}

export interface StackDownOptions extends StackOptions {
  /** Also delete data, configs and logs. Downloaded jars are kept unless `all` is set too. */
  purge?: boolean;
  /** With purge: delete the whole stack folder, jars included. */
  all?: boolean;
}

/**
 * Stops Connect, then the broker, then PostgreSQL (each SIGTERM, then SIGKILL after a deadline) and
 * returns only once none of the stack's ports is listening any more.
 */
export async function stackDown(opts?: StackDownOptions): Promise<void> {
  const { s, log } = resolve(opts);
  const p = stackPaths(s);
  const stop = async () => {
    await stopPrometheusProcess(s, log);
    // Order matters: Connect flushes offsets to the broker and closes its replication slots in PG.
    await stopConnect(s, log);
    await stopBroker(s, log);
    await stopPostgres(s, log);
    // A port held by a process that is provably not ours (e.g. someone else's server on a port we
    // were configured to use) is reported but does not fail `down`; anything else still listening does.
    const ours = (pid: number) => {
      const args = cmdline(pid);
      return args.length === 0 || args.includes(`-Dstrangler.stack.dir=${s.stackDir}`) || args.some((a) => a.includes(p.pgData) || a.includes(p.prometheusData));
    };
    const ports = [...new Set([s.prometheus.port, s.connectPort, s.kafkaPort, s.controllerPort, s.pgPort])];
    const busy = async () => {
      const held: Array<{ port: number; pids: number[]; foreign: boolean }> = [];
      for (const port of ports) {
        const l = await listeners(port);
        if (l.listening) held.push({ port, pids: l.pids, foreign: l.pids.length > 0 && !l.pids.some(ours) });
      }
      return held;
    };
    let held = await busy();
    try {
      await waitFor('the stack ports to be released', async () => {
        held = await busy();
        return held.every((h) => h.foreign);
      }, 15_000, 200);
    } catch {
      const desc = held.filter((h) => !h.foreign).map((h) => `${h.port}${h.pids.length ? ` (pid ${h.pids.join(',')})` : ''}`);
      throw new Error(`stack stopped, but ports are still listening: ${desc.join(', ')}`);
    }
    for (const h of held) log.warn({ port: h.port, pids: h.pids }, 'port is in use by a process that is not part of this stack');
    log.info('stack is down');
  };
  if (fs.existsSync(s.stackDir)) await withLock(s, log, stop);
  else await stop();

  if (opts?.purge) {
    if (opts.all) {
      fs.rmSync(s.stackDir, { recursive: true, force: true });
      log.info({ dir: s.stackDir }, 'purged the whole stack folder');
    } else if (fs.existsSync(s.stackDir)) {
      const keep = new Set([p.lib, p.plugins, p.downloads]);
      for (const entry of fs.readdirSync(s.stackDir)) {
        const full = path.join(s.stackDir, entry);
        if (!keep.has(full)) fs.rmSync(full, { recursive: true, force: true });
      }
      log.info({ dir: s.stackDir }, 'purged data, configs and logs (kept the jars)');
    }
  }
}

/** What runs right now. `allUp` is true only when every component answers on its port. */
export async function stackStatus(opts?: { settings?: StackSettings }): Promise<StackStatus> {
  const s = opts?.settings ?? stackSettings;
  const pg = postgresState(s);
  const kPid = brokerPid(s);
  const cPid = connectPid(s);
  const pPid = prometheusPid(s);
  const [kafkaReady, connectReady, prometheusUp] = await Promise.all([
    kPid !== undefined ? canConnect(s.kafkaPort) : Promise.resolve(false),
    cPid !== undefined ? postgresPluginListed(s) : Promise.resolve(false),
    pPid !== undefined ? prometheusReady(s) : Promise.resolve(false),
  ]);
  const comp = (name: ComponentName, pid: number | undefined, ready: boolean, port: number): ComponentStatus => {
    const c: ComponentStatus = { name, up: pid !== undefined && ready, state: pid === undefined ? 'down' : ready ? 'up' : 'starting', port };
    if (pid !== undefined) c.pid = pid;
    return c;
  };
  const components = [
    comp('postgres', pg.pid, pg.ready, s.pgPort),
    comp('kafka', kPid, kafkaReady, s.kafkaPort),
    comp('connect', cPid, connectReady, s.connectPort),
  ];
  // Prometheus is optional: listed (and required for allUp) only when it runs or was asked for.
  if (pPid !== undefined || s.prometheus.enabled) components.push(comp('prometheus', pPid, prometheusUp, s.prometheus.port));
  const status: StackStatus = { allUp: components.every((c) => c.up), stackDir: s.stackDir, components };
  if (connectReady) {
    const connectors = await listConnectors(s);
    if (connectors) status.connectors = connectors;
  }
  const versions = installedJars(s);
  if (versions) status.versions = versions;
  return status;
}
