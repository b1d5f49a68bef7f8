import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Child<T> {
  readonly ready: T;
  stop(): Promise<void>;
}

/**
 * Starts a TypeScript file (through tsx's loader, in one process) or a binary, and waits for the first JSON
 * line on its stdout. Closing its stdin is how a bench-only TypeScript child is told to leave; a binary, or a
 * real entry point (`leaveOn: 'SIGTERM'`, such as proxy/main.ts), gets SIGTERM.
 */
export async function startChild<T>(command: string, args: string[], env: Record<string, string>, readyFrom: 'stdout-json' | (() => Promise<T>), leaveOn: 'stdin' | 'SIGTERM' = args.some((a) => a.endsWith('.ts')) ? 'stdin' : 'SIGTERM'): Promise<Child<T>> {
  const child: ChildProcess = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited with ${code} before it was ready`))));
  failed.catch(() => undefined);
  let ready: T;
  if (readyFrom === 'stdout-json') {
    const lines = createInterface({ input: child.stdout! });
    const first = new Promise<T>((resolve) => lines.once('line', (line) => resolve(JSON.parse(line) as T)));
    ready = await Promise.race([first, failed]);
  } else {
    child.stdout!.resume();
    ready = await Promise.race([readyFrom(), failed]);
  }
  return {
    ready,
    async stop() {
      if (child.exitCode !== null) return;
      child.stdin!.end();
      if (leaveOn === 'SIGTERM') child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function typescriptChild(file: string): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', file]];
}
