// PROXY_WORKERS=2 through the real entry point (`proxy/main.ts` as `npm run start:proxy` runs it, in a child
// process) on a throwaway control database and two echo upstreams: both workers serve the one client port as
// two instances of the control plane, the admin port's /metrics adds their counts up without doubling what
// they both read from the control plane, a SIGKILLed worker is replaced while traffic goes on, and SIGTERM
// lets the requests in flight finish before everything exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { join } from 'node:path';
import { until } from '../../cdc/test/until';
import { freePort } from '../../stack/proc';
import { startControlPlane, startEchoUpstream, type ControlPlane, type EchoUpstream } from '../test/proxy-harness';
import type { ClusterHealth } from './proxy-workers';

const root = join(__dirname, '..', '..');


/** One GET on a connection of its own: round-robin hands out connections, not requests. */
function getOnce(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** The samples of one metric in Prometheus text, as `{label="value",...}` (prom-client's order) to value. */
function samplesOf(text: string, name: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (match && match[1] === name) found.set(match[2] ?? '', Number(match[3]));
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

describe('PROXY_WORKERS=2: one client port, two proxy instances, one admin port', () => {
  let control: ControlPlane;
  let legacy: EchoUpstream;
  let fresh: EchoUpstream;
  let proxy: ChildProcess;
  let clientPort: number;
  let adminPort: number;
  const logLines: Record<string, unknown>[] = [];
  const output: string[] = [];
  const diagnostics = () => output.slice(-30).join('\n');

  const health = async (): Promise<{ status: number; body: ClusterHealth }> => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return { status: res.status, body: (await res.json()) as ClusterHealth };
  };
  const metrics = async () => (await fetch(`http://127.0.0.1:${adminPort}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const accountReads = async () => samplesOf(await metrics(), 'strangler_proxy_requests_total').get('{context="identity",route="account.read",backend="legacy",status="200"}') ?? 0;
  /** Until both slots serve and answer (optionally: with these pids no longer among them). */
  const bothServing = (notPids: number[] = []) =>
    until('both proxy workers serving and answering', async () => {
      const seen = await health().catch(() => undefined);
      const workers = seen?.body.workers ?? [];
      return seen?.status === 200 && workers.length === 2 && workers.every((w) => w.state === 'serving' && w.answering && w.pid !== null && !notPids.includes(w.pid)) ? workers : undefined;
    }, { timeoutMs: 60_000, everyMs: 100, diagnostics });

  beforeAll(async () => {
    control = await startControlPlane();
    legacy = await startEchoUpstream('legacy');
    fresh = await startEchoUpstream('new');
    [clientPort, adminPort] = [await freePort(), await freePort()];
    // The entry point as the demo starts it (tsx's require hook, one process): the primary's pid is the child's.
    proxy = spawn(process.execPath, ['--require', 'tsx/cjs', join(root, 'proxy', 'main.ts')], {
      cwd: root,
      // Its own process group, so that a failed run can take the workers down with the primary.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PROXY_WORKERS: '2',
        PROXY_PORT: String(clientPort),
        PROXY_ADMIN_PORT: String(adminPort),
        STRANGLER_CONTROL_DATABASE_URL: control.url,
        LEGACY_URL: legacy.url,
        USER_SERVICE_URL: fresh.url,
        STRANGLER_CDC_URL: 'http://127.0.0.1:9',
        PROXY_STAGE_POLL_MS: '100',
        LOG_LEVEL: 'info',
      },
    });
    for (const stream of [proxy.stdout!, proxy.stderr!]) {
      stream.setEncoding('utf8');
      let pending = '';
      stream.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          output.push(line);
          if (line.startsWith('{')) logLines.push(JSON.parse(line) as Record<string, unknown>);
        }
      });
    }
    await bothServing();
  });

  afterAll(async () => {
    if (proxy?.pid !== undefined && proxy.exitCode === null && proxy.signalCode === null) process.kill(-proxy.pid, 'SIGKILL');
    await Promise.all([legacy?.stop(), fresh?.stop()]);
    await control?.stop();
  });

  test('both-workers-serve-the-client-port: connections alternate between two instances, each with its own lease', async () => {
    const workers = (await health()).body.workers;
    const pids = workers.map((w) => w.pid!);
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(proxy.pid);

    const answers = await Promise.all(Array.from({ length: 20 }, () => getOnce(clientPort, '/api/users/7/account')));
    expect(answers.map((a) => [a.status, JSON.parse(a.body).side])).toEqual(Array(20).fill([200, 'legacy']));
    // Each worker counts its own requests (strangler_proxy_requests_total in its registry) and says so on /healthz.
    const served = await until('both workers to have counted their share', async () => {
      const counts = (await health()).body.workers.map((w) => w.requests ?? 0);
      return counts[0]! + counts[1]! === 20 ? counts : undefined;
    }, { timeoutMs: 5_000, everyMs: 100, diagnostics });
    expect(Math.min(...served)).toBeGreaterThan(0);

    const leases = await control.pool.query<{ pid: number }>('SELECT pid FROM control.proxy_instances WHERE lease_expires_at > now() AND fenced_at IS NULL ORDER BY pid');
    expect(leases.rows.map((r) => r.pid)).toEqual([...pids].sort((a, b) => a - b));
  });

  test('metrics-add-up-without-doubling: the request counter is the sum, the stage and canary gauges are not', async () => {
    expect(await accountReads()).toBe(20);
    let text = await metrics();
    expect(samplesOf(text, 'strangler_context_stage').get('{context="identity",stage="legacy"}')).toBe(1);
    expect(samplesOf(text, 'strangler_context_stage').get('{context="identity",stage="shadow"}')).toBe(0);
    expect(samplesOf(text, 'strangler_proxy_state_store_up').get('')).toBe(1);

    await control.setStage('identity', 'canary', { canaryPercent: 30 });
    await until('both workers acting on identity in canary at 30%', async () => {
      const workers = (await health()).body.workers;
      return workers.every((w) => w.proxy?.contexts.some((c) => c.context === 'identity' && c.stage === 'canary' && c.canaryPercent === 30)) ? true : undefined;
    }, { timeoutMs: 5_000, everyMs: 50, diagnostics });
    text = await metrics();
    const stages = samplesOf(text, 'strangler_context_stage');
    expect(stages.get('{context="identity",stage="canary"}')).toBe(1);
    expect(stages.get('{context="identity",stage="legacy"}')).toBe(0);
    expect(stages.get('{context="profile",stage="legacy"}')).toBe(1);
    expect(samplesOf(text, 'strangler_canary_percent').get('{context="identity"}')).toBe(30);
    // The histogram adds up too: one observation per request, whichever worker served it.
    expect(samplesOf(text, 'strangler_proxy_request_duration_seconds_count').get('{context="identity",backend="legacy"}')).toBe(20);
    // Every process of the proxy in one figure (prom-client's own hint for default metrics: sum).
    expect(samplesOf(text, 'process_cpu_seconds_total').get('')).toBeGreaterThan(0);

    await control.setStage('identity', 'legacy');
    await until('both workers back on identity in legacy', async () => {
      const workers = (await health()).body.workers;
      return workers.every((w) => w.proxy?.contexts.some((c) => c.context === 'identity' && c.stage === 'legacy')) ? true : undefined;
    }, { timeoutMs: 5_000, everyMs: 50, diagnostics });
  });

  test('killed-worker-replaced: a SIGKILLed worker is logged and replaced, traffic goes on, the summed counter never drops', async () => {
    // A scrape after the last request: the primary's record of each worker's counts is up to date.
    const before = await accountReads();
    const [victim, survivor] = (await health()).body.workers;
    process.kill(victim!.pid!, 'SIGKILL');
    await until('the primary to notice the dead worker', async () => {
      const slot = (await health()).body.workers.find((w) => w.worker === victim!.worker);
      return slot && slot.state !== 'serving' ? slot : undefined;
    }, { timeoutMs: 10_000, everyMs: 20, diagnostics });

    // Meanwhile the other worker serves every connection.
    const during = await Promise.all(Array.from({ length: 5 }, () => getOnce(clientPort, '/api/users/8/account')));
    expect(during.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);

    const workers = await bothServing([victim!.pid!]);
    expect(workers.find((w) => w.worker === victim!.worker)).toMatchObject({ restarts: 1, lastExit: { code: null, signal: 'SIGKILL' } });
    expect(workers.find((w) => w.worker === survivor!.worker)).toMatchObject({ pid: survivor!.pid, restarts: 0 });
    expect(logLines).toContainEqual(expect.objectContaining({ msg: 'proxy worker exited; replacing it', worker: victim!.worker, workerPid: victim!.pid, signal: 'SIGKILL' }));

    const after = await Promise.all(Array.from({ length: 6 }, () => getOnce(clientPort, '/api/users/9/account')));
    expect(after.map((a) => a.status)).toEqual(Array(6).fill(200));
    // The replacement takes its turn on new connections.
    await until('the replacement to have served', async () => {
      const slot = (await health()).body.workers.find((w) => w.worker === victim!.worker);
      return (slot?.requests ?? 0) > 0 ? true : undefined;
    }, { timeoutMs: 5_000, everyMs: 100, diagnostics });
    // What the dead worker had counted stays in the sum: no drop for Prometheus to read as a counter reset.
    await until(`the summed counter at ${before} + 11`, async () => ((await accountReads()) === before + 11 ? true : undefined), { timeoutMs: 5_000, everyMs: 100, diagnostics });
  });

  test('sigterm-drains-then-exits-0: requests in flight finish, both workers leave the control plane, everything exits', async () => {
    const pids = (await health()).body.workers.map((w) => w.pid!);
    legacy.delayMs = 1_000;
    const hitsBefore = legacy.hits.length;
    const inFlight = Array.from({ length: 2 }, () => getOnce(clientPort, '/api/users/10/account'));
    await until('both requests at the upstream', () => (legacy.hits.length >= hitsBefore + 2 ? true : undefined), { timeoutMs: 5_000, everyMs: 10, diagnostics });
    const exited = once(proxy, 'exit');
    proxy.kill('SIGTERM');

    expect((await Promise.all(inFlight)).map((a) => a.status)).toEqual([200, 200]);
    const [code, signal] = (await exited) as [number | null, string | null];
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(pids.filter(alive)).toEqual([]);
    expect(logLines).toContainEqual(expect.objectContaining({ msg: 'proxy stopped' }));
    // The two that stopped gave their leases back (the killed worker's lapses by itself).
    const leases = await control.pool.query('SELECT instance_id FROM control.proxy_instances WHERE pid = ANY($1)', [pids]);
    expect(leases.rowCount).toBe(0);
  });
});
