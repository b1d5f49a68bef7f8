// One proxy worker under PROXY_WORKERS > 1 (proxy/main.ts forks them): one instance in the control plane's
// sense, exactly as a lone `npm run start:proxy` would be (its own pool, registry, logger, stage state and
// lease), on the client port node:cluster shares. It answers the primary's health and metrics questions;
// SIGTERM (from the primary, or a Ctrl-C reaching the whole process group) stops it gracefully.
import { resilientPool } from '../control-plane-pool';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { startProxy, type RunningProxy } from '../proxy-server';
import { proxyOptionsFrom, type ProxySettings } from '../proxy-settings';
import { CHANNEL, isToWorker, type FromWorker, type ToWorker, type WorkerHealth } from './worker-channel';

/** Stage polls, shadow flushes and lease renewals: a few connections per instance are plenty. */
const WORKER_POOL_SIZE = 4;

export async function runProxyWorker(settings: ProxySettings, logger: Logger): Promise<void> {
  const control = resilientPool({ connectionString: settings.STRANGLER_CONTROL_DATABASE_URL, max: WORKER_POOL_SIZE, connectionTimeoutMillis: 5_000 }, 'control', logger);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const starting = startProxy(proxyOptionsFrom(settings, { control, registry, logger }));

  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'proxy worker stopping');
    // A stop during start-up waits for it: the instance leaves the control plane the way it entered.
    starting
      .then((proxy) => proxy.stop(), () => undefined)
      .then(() => control.end())
      .then(
        () => {
          logger.info('proxy worker stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'proxy worker did not stop cleanly');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // The primary died (SIGKILL, a crash): nobody forwards new connections any more, and an orphan would keep
  // its lease renewed for an instance no one supervises.
  process.once('disconnect', () => stop('the primary is gone'));

  let proxy: RunningProxy;
  try {
    proxy = await starting;
  } catch (error) {
    await control.end();
    throw error;
  }

  const send = (message: FromWorker) => {
    // After a disconnect there is no one to answer; the stop above is already on its way.
    if (process.connected) process.send!(message);
  };
  const health = async (): Promise<WorkerHealth> => ({ proxy: proxy.health(), requests: await requestsAnswered(registry) });
  const answer = async (question: ToWorker) => {
    if (question.question === 'health') send({ channel: CHANNEL, kind: 'answer', requestId: question.requestId, health: await health() });
    else send({ channel: CHANNEL, kind: 'answer', requestId: question.requestId, metrics: await registry.getMetricsAsJSON() });
  };
  process.on('message', (message: unknown) => {
    if (!isToWorker(message) || stopping) return;
    answer(message).catch((error: unknown) => logger.error({ err: error, question: message.question }, 'proxy worker could not answer the primary'));
  });
  logger.info({ port: proxy.port }, 'proxy worker serving');
  send({ channel: CHANNEL, kind: 'serving', port: proxy.port, health: await health() });
}

/** The client requests this instance has answered (or seen aborted): the sum of strangler_proxy_requests_total. */
async function requestsAnswered(registry: Registry): Promise<number> {
  const counter = registry.getSingleMetric('strangler_proxy_requests_total');
  if (!counter) return 0;
  return (await counter.get()).values.reduce((sum, sample) => sum + sample.value, 0);
}
