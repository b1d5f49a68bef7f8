import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** True while `pid` is a live process. Zombies count as dead: they hold no port and do no work. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM means it exists but belongs to someone else; still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function cmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s.length > 0);
  } catch {
    return [];
  }
}

/** Live processes having every one of `args` as an exact command-line argument (never this process). */
export function findProcesses(args: string[]): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const cmd = cmdline(pid);
    if (cmd.length > 0 && args.every((a) => cmd.includes(a)) && isAlive(pid)) found.push(pid);
  }
  return found;
}

export function readPidFile(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').split('\n')[0]?.trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export function writePidFile(file: string, pid: number): void {
  fs.writeFileSync(file, `${pid}\n`);
}

export function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}

/** A port on 127.0.0.1 that nothing listened on a moment ago (the kernel's pick), for a test's own servers. */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Does something accept TCP connections on 127.0.0.1:port right now? */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean) => {
      sock.removeAllListeners();
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * Pids of processes with a listening TCP socket on `port` (any address), from `ss`.
 * Returns undefined for the pid list when `ss` is unavailable; `listening` then falls back to a connect probe.
 */
export async function listeners(port: number): Promise<{ listening: boolean; pids: number[] }> {
  const r = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { listening: await canConnect(port), pids: [] };
  const lines = r.stdout.split('\n').filter((l) => l.trim().length > 0);
  const pids = new Set<number>();
  for (const l of lines) for (const m of l.matchAll(/pid=(\d+)/g)) pids.add(Number(m[1]));
  return { listening: lines.length > 0, pids: [...pids] };
}

export class DeadlineError extends Error {}

/**
 * Polls `check` until it returns a value other than undefined/false, or the deadline passes.
 * `check` may throw to abort early (e.g. the process being waited for died).
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() >= deadline) throw new DeadlineError(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}

/**
 * Starts a long-lived process that outlives this Node process: own process group, stdout/stderr
 * appended to `logFile`, not referenced by our event loop.
 */
export function spawnDetached(cmd: string, args: string[], opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string }): number {
  const fd = fs.openSync(opts.logFile, 'a');
  try {
    const spawnOpts: SpawnOptions = { detached: true, stdio: ['ignore', fd, fd], env: opts.env ?? process.env };
    if (opts.cwd) spawnOpts.cwd = opts.cwd;
    const child = spawn(cmd, args, spawnOpts);
    if (child.pid === undefined) throw new Error(`could not start ${cmd} (see ${opts.logFile})`);
    // Without a listener a spawn error (ENOENT) would be thrown asynchronously and crash the CLI.
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs a short command to completion with output appended to a log file; resolves with the exit code. */
export function runLogged(cmd: string, args: string[], opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number }): Promise<number> {
  const fd = fs.openSync(opts.logFile, 'a');
  fs.writeSync(fd, `\n$ ${cmd} ${args.join(' ')}\n`);
  return new Promise<number>((resolve, reject) => {
    const spawnOpts: SpawnOptions = { stdio: ['ignore', fd, fd], env: opts.env ?? process.env, detached: true };
    if (opts.cwd) spawnOpts.cwd = opts.cwd;
    const child = spawn(cmd, args, spawnOpts);
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      reject(new Error(`${cmd} did not finish within ${Math.round(opts.timeoutMs / 1000)}s (see ${opts.logFile})`));
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${cmd}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 128 : 1));
    });
  }).finally(() => fs.closeSync(fd));
}

/** SIGTERM, wait up to `timeoutMs`, then SIGKILL as a last resort. Resolves true if it had to kill. */
export async function terminate(pid: number, timeoutMs: number): Promise<boolean> {
  if (!isAlive(pid)) return false;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  try {
    await waitFor(`pid ${pid} to exit`, () => !isAlive(pid), timeoutMs, 100);
    return false;
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* exited in between */
    }
    await waitFor(`pid ${pid} to exit after SIGKILL`, () => !isAlive(pid), 10_000, 100);
    return true;
  }
}

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Text appended to `file` since byte `offset` (the log of the current run only). */
export function readSince(file: string, offset: number): string {
  try {
    const size = fs.statSync(file).size;
    if (size <= offset) return '';
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export function tail(file: string, lines = 20): string {
  const text = readSince(file, Math.max(0, fileSize(file) - 64 * 1024));
  return text.split('\n').slice(-lines - 1).join('\n').trimEnd();
}
