// The ports' holders are real processes found by `ss`, as a kept run's services would be: one that runs a
// demo entry point of this checkout (its command line names it) and one that does not. Whether a port is
// listened on is asked of `ss`, never by connecting: a connect to a port nobody listens on can connect to
// itself (TCP simultaneous open, when the kernel picks that very port as the source), which happened here.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, isAlive, listeners } from '../stack/proc';
import { until } from '../cdc/test/until';
import { clearDemoPorts, isKeptService } from './leftover-services';

const root = join(__dirname, '..');
const MAINS = ['legacy/main.ts', 'proxy/main.ts'];


/** A process listening on `port`; `extra` lands in its command line (process.argv), as an entry point would. */
async function holder(port: number, extra: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${port}, '127.0.0.1')`, ...extra], { stdio: 'ignore' });
  await until(`a holder on ${port}`, async () => ((await listeners(port)).pids.includes(child.pid!) ? true : undefined), { timeoutMs: 10_000, everyMs: 50 });
  return child;
}

describe('the demo on ports an earlier run left taken', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  test('a kept service of this checkout is stopped and its port freed; free ports are fine', async () => {
    const [kept, free] = [await freePort(), await freePort()];
    const child = await holder(kept, [join(root, 'legacy/main.ts')]);
    children.push(child);
    const cleared = await clearDemoPorts({ legacy: kept, proxy: free }, root, MAINS, 5_000);
    expect(cleared.stopped).toEqual([expect.objectContaining({ service: 'legacy', port: kept, pid: child.pid })]);
    expect(isAlive(child.pid!)).toBe(false);
    expect((await listeners(kept)).listening).toBe(false);
  });

  test("someone else's process is left alone, and the error names it and says what to do", async () => {
    const port = await freePort();
    const child = await holder(port, ['/elsewhere/legacy/main.ts']);
    children.push(child);
    await expect(clearDemoPorts({ legacy: port }, root, MAINS, 5_000)).rejects.toThrow(new RegExp(`legacy port ${port} is held by pid ${child.pid} .*not services of this checkout's demo.*stop them`));
    expect(isAlive(child.pid!)).toBe(true);
  });

  test('kept means one of the demo entry points of this very checkout', () => {
    expect(isKeptService(['node', '--require', 'tsx/cjs', join(root, 'proxy/main.ts')], root, MAINS)).toBe(true);
    expect(isKeptService(['node', join(root, 'proxy/other.ts')], root, MAINS)).toBe(false);
  });
});
