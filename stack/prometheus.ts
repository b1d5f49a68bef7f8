import fs from 'node:fs';
import type { Logger } from './log';
import {
  cmdline, findProcesses, isAlive, listeners, readPidFile, removeFile, spawnDetached, tail, terminate, waitFor, writePidFile,
} from './proc';
import { type StackSettings, stackPaths } from './settings';

/**
 * Prometheus from Debian's package (`apt-get install -y prometheus`), scraping every process of the native
 * stack with observability/prometheus/prometheus.yml. Optional: only started when asked.
 */

/** Our Prometheus is the one whose TSDB lives in this stack dir: that flag is its command-line marker. */
function storageFlag(s: StackSettings): string {
  return `--storage.tsdb.path=${stackPaths(s).prometheusData}`;
}

function prometheusArgs(s: StackSettings): string[] {
  return [
    `--config.file=${s.prometheus.configFile}`,
    storageFlag(s),
    `--web.listen-address=127.0.0.1:${s.prometheus.port}`,
    // A dev/test stack: a day of 2-5 s scrapes is plenty and keeps the folder small.
    '--storage.tsdb.retention.time=1d',
    // Lets an operator apply an edited scrape config without a restart (POST /-/reload).
    '--web.enable-lifecycle',
  ];
}

export function prometheusUrl(s: StackSettings): string {
  return `http://127.0.0.1:${s.prometheus.port}`;
}

/** Pid of this stack's Prometheus: from its pid file, or by its storage flag if the file was lost. */
export function prometheusPid(s: StackSettings): number | undefined {
  const p = stackPaths(s);
  const marker = storageFlag(s);
  const pid = readPidFile(p.prometheusPid);
  if (pid !== undefined && isAlive(pid) && cmdline(pid).includes(marker)) return pid;
  const found = findProcesses([marker]);
  if (found[0] !== undefined) {
    fs.mkdirSync(p.run, { recursive: true });
    writePidFile(p.prometheusPid, found[0]);
    return found[0];
  }
  if (pid !== undefined) removeFile(p.prometheusPid);
  return undefined;
}

/** True once Prometheus has loaded its config and its TSDB and serves queries. */
export async function prometheusReady(s: StackSettings): Promise<boolean> {
  try {
    const res = await fetch(`${prometheusUrl(s)}/-/ready`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function ensurePrometheus(s: StackSettings, log: Logger): Promise<{ pid: number; started: boolean }> {
  const p = stackPaths(s);
  const existing = prometheusPid(s);
  if (existing !== undefined) {
    await waitFor(`Prometheus (pid ${existing}) to become ready`, async () => {
      if (!isAlive(existing)) throw new Error(`Prometheus (pid ${existing}) exited; see ${p.prometheusLog}\n${tail(p.prometheusLog)}`);
      return prometheusReady(s);
    }, s.timeouts.prometheus, 250);
    log.info({ pid: existing, port: s.prometheus.port }, 'Prometheus already running');
    return { pid: existing, started: false };
  }
  if (!fs.existsSync(s.prometheus.bin)) {
    throw new Error(`Prometheus is not installed at ${s.prometheus.bin}: run \`sudo apt-get install -y prometheus\` (Debian's package) or set STRANGLER_PROMETHEUS_BIN`);
  }
  if (!fs.existsSync(s.prometheus.configFile)) {
    throw new Error(`the Prometheus scrape config ${s.prometheus.configFile} does not exist (STRANGLER_PROMETHEUS_CONFIG)`);
  }
  const held = await listeners(s.prometheus.port);
  if (held.listening) {
    throw new Error(`port ${s.prometheus.port} (STRANGLER_PROMETHEUS_PORT) is already in use by ${held.pids.length ? 'pid ' + held.pids.join(',') : 'another process'}, not by this stack's Prometheus`);
  }
  for (const d of [p.prometheusData, p.logs, p.run]) fs.mkdirSync(d, { recursive: true });
  const args = prometheusArgs(s);
  fs.appendFileSync(p.prometheusLog, `\n===== ${new Date().toISOString()} starting Prometheus: ${s.prometheus.bin} ${args.join(' ')}\n`);
  // cwd in the data folder: Debian's binary resolves its default console paths relative to it.
  const pid = spawnDetached(s.prometheus.bin, args, { logFile: p.prometheusLog, cwd: p.prometheusData });
  writePidFile(p.prometheusPid, pid);
  log.info({ pid, port: s.prometheus.port, log: p.prometheusLog }, 'starting Prometheus');
  const started = Date.now();
  await waitFor(`Prometheus to become ready on ${prometheusUrl(s)}`, async () => {
    if (!isAlive(pid)) {
      removeFile(p.prometheusPid);
      throw new Error(`Prometheus exited during startup; see ${p.prometheusLog}\n${tail(p.prometheusLog)}`);
    }
    return prometheusReady(s);
  }, s.timeouts.prometheus, 250).catch((err: Error) => {
    throw new Error(err.message.includes(p.prometheusLog) ? err.message : `${err.message}; see ${p.prometheusLog}\n${tail(p.prometheusLog)}`);
  });
  log.info({ pid, seconds: ((Date.now() - started) / 1000).toFixed(1) }, 'Prometheus ready');
  return { pid, started: true };
}

export async function stopPrometheusProcess(s: StackSettings, log: Logger): Promise<void> {
  const p = stackPaths(s);
  const pids = new Set<number>();
  const fromFile = prometheusPid(s);
  if (fromFile !== undefined) pids.add(fromFile);
  for (const pid of findProcesses([storageFlag(s)])) pids.add(pid);
  for (const pid of pids) {
    log.info({ pid }, 'stopping Prometheus');
    const killed = await terminate(pid, s.timeouts.stop);
    if (killed) log.warn({ pid }, `Prometheus ignored SIGTERM for ${s.timeouts.stop / 1000}s; killed it`);
  }
  removeFile(p.prometheusPid);
}
