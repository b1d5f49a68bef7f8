import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { until } from './until';

const root = join(__dirname, '..', '..');

export interface ForwardWorkerChild {
  /** The child's process group: tsx runs the script in a grandchild, and both must die together. */
  pgid: number;
  /** Resolves with the first stderr line carrying `signal: name`; rejects when the child exits first. */
  signal(name: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** What the child wrote to stderr lately, for failure messages. */
  stderrTail(): string;
  /** SIGKILL to the whole group; resolves once no process of it is alive (zombies count as dead). */
  kill(): Promise<void>;
}

/**
 * Starts cdc/test/forward-worker-process.ts through tsx in a process group of its own. A SIGKILL sent to
 * tsx alone would orphan the grandchild that runs the worker, which would go on consuming.
 */
export function spawnForwardWorker(env: Record<string, string>): ForwardWorkerChild {
  const child: ChildProcess = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(__dirname, 'forward-worker-process.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    detached: true,
    // stdin stays open for the child's lifetime: it exits when this process dies (forward-worker-process.ts).
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const pgid = child.pid!;
  const lines: string[] = [];
  const signals: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let exited = false;
  let pending = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    pending += chunk;
    const complete = pending.split('\n');
    pending = complete.pop()!;
    for (const line of complete) {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (typeof parsed.signal === 'string') signals.push(parsed);
    }
    listeners.forEach((listener) => listener());
  });
  const exit = once(child, 'exit');
  // 'close', not 'exit': only once stderr is drained can "exited before signalling" be told apart from a
  // signal line still in the pipe (a worker that logs its signal and then kills itself).
  void once(child, 'close').then(() => {
    exited = true;
    listeners.forEach((listener) => listener());
  });
  const stderrTail = () => lines.slice(-40).join('\n');

  return {
    pgid,
    stderrTail,
    signal(name, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = signals.find((s) => s.signal === name);
          if (found) return done(() => resolve(found));
          if (exited) return done(() => reject(new Error(`the forward worker exited before signalling ${name}:\n${stderrTail()}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no ${name} from the forward worker within ${timeoutMs} ms:\n${stderrTail()}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    async kill() {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
      if (!exited) await exit;
      await until(`process group ${pgid} to have no live process after SIGKILL`, async () => ((await aliveIn(pgid)) ? undefined : true), { timeoutMs: 10_000, everyMs: 50 });
    },
  };
}

/** Whether any process of the group is alive; an unreaped zombie has stopped running and does not count. */
async function aliveIn(pgid: number): Promise<boolean> {
  const { stdout } = await promisify(execFile)('ps', ['-A', '-o', 'pgid=,stat=']);
  return stdout.split('\n').some((line) => {
    const [group, stat] = line.trim().split(/\s+/);
    return Number(group) === pgid && stat !== undefined && !stat.startsWith('Z');
  });
}
