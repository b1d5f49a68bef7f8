// Our proxy as `npm run start:proxy` runs it with PROXY_WORKERS=n (proxy/main.ts: a primary and n workers
// sharing one client port through node:cluster), on the bench's throwaway control database. Ready once the
// admin port's /healthz lists every worker serving; stopped with SIGTERM, as an operator would.
import { join } from 'node:path';
import { until } from '../../cdc/test/until';
import { startChild, typescriptChild, type Child } from './child';
import { freePort } from '../../stack/proc';

interface WorkersHealth {
  workers: { state: string; answering: boolean; proxy: { contexts: { context: string; stage: string }[] } | null }[];
}

export interface ProxyWorkersChild {
  readonly port: number;
  /** The stage of `context` when every worker acts on the same one; undefined while they differ. */
  stageOf(context: string): Promise<string | undefined>;
}

export async function startProxyWorkers(workers: number, env: Record<string, string>): Promise<Child<ProxyWorkersChild>> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const health = async (): Promise<WorkersHealth | undefined> => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    return res?.ok ? ((await res.json()) as WorkersHealth) : undefined;
  };
  const stageOf = async (context: string) => {
    const stages = new Set((await health())?.workers.map((w) => w.proxy?.contexts.find((c) => c.context === context)?.stage));
    const [only] = stages;
    return stages.size === 1 ? only : undefined;
  };
  return startChild<ProxyWorkersChild>(
    ...typescriptChild(join(__dirname, '..', '..', 'proxy', 'main.ts')),
    { ...env, PROXY_WORKERS: String(workers), PROXY_PORT: String(port), PROXY_ADMIN_PORT: String(adminPort), PROXY_STAGE_POLL_MS: '100', LOG_LEVEL: 'warn' },
    async () => {
      await until(`our proxy's ${workers} workers serving`, async () => {
        const seen = await health();
        return seen && seen.workers.length === workers && seen.workers.every((w) => w.state === 'serving' && w.answering) ? true : undefined;
      }, { timeoutMs: 60_000, everyMs: 200 });
      return { port, stageOf };
    },
    'SIGTERM',
  );
}
