import fs from 'node:fs';
import path from 'node:path';
import { isAlive } from '../proc';
import type { StackSettings } from '../settings';
import { stackPaths } from '../settings';

/**
 * Live jest runs using the stack, one file per jest process. Two test runs can overlap (an engineer's
 * watch run and `npm test`); the stack a jest run started is stopped by whichever run finishes last.
 */
function usersDir(s: StackSettings): string {
  return path.join(stackPaths(s).run, 'jest-users');
}

export function registerJestUser(s: StackSettings): void {
  fs.mkdirSync(usersDir(s), { recursive: true });
  fs.writeFileSync(path.join(usersDir(s), String(process.pid)), '');
}

/** Unregisters this process; returns how many other jest runs still use the stack. */
export function unregisterJestUser(s: StackSettings): number {
  const dir = usersDir(s);
  fs.rmSync(path.join(dir, String(process.pid)), { force: true });
  let others = 0;
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const pid = Number(f);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) others++;
    else fs.rmSync(path.join(dir, f), { force: true });
  }
  return others;
}
