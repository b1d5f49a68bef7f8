import express from 'express';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import type { CdcConfig } from './config';
import { DeadLetterSink, DEAD_LETTER_TOPIC } from './dead-letters/dead-letter-sink';
import { FORWARD_SYNC_GROUP, LEGACY_USERS_PARTITIONS, LEGACY_USERS_TOPIC, startForwardSync } from './forward/forward-sync.worker';
import { backlogOf } from './health/backlog';
import { WorkerHealth } from './health/worker-health';
import { DependencyHealth } from './health/dependency-health';
import { watchPool } from './postgres/connection-loss';
import type { EventLog, LogConsumer } from './kafka/event-log';
import { createSyncMetrics, type Direction } from './metrics/sync-metrics';
import { join } from 'node:path';
import { readConnectorFile } from './connectors/kafka-connect';
import { connectorsDir } from './connectors/register';
import { drain, type DrainTarget } from './drain/drain';
import { ForwardCatchUp } from './forward/caught-up';
import { SourcePosition } from './forward/source-position';
import { syncApiRouter } from './sync-api/sync-api';
import { registerVerifyDriftGauge } from './verify/verify-runs';
import { registerParkedEventsGauge } from './reverse/parked-events.gauge';
import { CONTEXT_EVENT_TOPICS, REVERSE_SYNC_GROUP, startReverseSync } from './reverse/reverse-sync.worker';

export interface CdcWorkers {
  port: number;
  health(): { healthy: boolean; workers: ReturnType<WorkerHealth['report']>[] };
  stop(): Promise<void>;
}

export interface CdcOptions {
  config: CdcConfig;
  eventLog: EventLog;
  logger: Logger;
  registry: Registry;
  /**
   * Consumer groups and topics, overridable so tests can run isolated workers. A caller that points one
   * direction at its own topics and says nothing of the other runs only the direction it named: the other
   * would consume the real stack's topics, as the real group, into the caller's databases.
   */
  forwardGroup?: string;
  legacyUsersTopic?: string;
  reverseGroup?: string;
  /** The three contexts' event topics (account, profile, preferences). */
  contextEventTopics?: readonly string[];
  /** The connectors' replication slots, which the drain watches; by default those of cdc/connectors/. */
  forwardSlot?: string;
  reverseSlot?: string;
}

async function slotOf(connectorFile: string): Promise<string> {
  const slot = (await readConnectorFile(join(connectorsDir, connectorFile))).config['slot.name'];
  if (typeof slot !== 'string') throw new Error(`${connectorFile} names no slot.name`);
  return slot;
}

/** The sync workers and their /healthz and /metrics, wired from injected state. */
export async function startCdcWorkers(options: CdcOptions): Promise<CdcWorkers> {
  const { config, eventLog, logger, registry } = options;
  const { forwardGroup = FORWARD_SYNC_GROUP, legacyUsersTopic = LEGACY_USERS_TOPIC, reverseGroup = REVERSE_SYNC_GROUP, contextEventTopics = CONTEXT_EVENT_TOPICS } = options;
  const runForward = options.legacyUsersTopic !== undefined || options.contextEventTopics === undefined;
  const runReverse = options.contextEventTopics !== undefined || options.legacyUsersTopic === undefined;
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });
  const metrics = createSyncMetrics(registry);
  // A database that restarts or fails over is lived through: connections are watched (a lost one is
  // counted and the dependency probed at once), batches retry, /healthz says what is gone meanwhile.
  let dependencies: DependencyHealth | undefined;
  const lost = (name: string) => dependencies?.lost(name);
  const connectionTimeoutMillis = 2_000;
  const pools = {
    userService: watchPool(new Pool({ connectionString: config.CDC_USER_SERVICE_DATABASE_URL, max: 4, connectionTimeoutMillis }), 'user_service', logger, lost),
    legacy: watchPool(new Pool({ connectionString: config.CDC_LEGACY_DATABASE_URL, max: 4, connectionTimeoutMillis }), 'legacy', logger, lost),
    control: watchPool(new Pool({ connectionString: config.STRANGLER_CONTROL_DATABASE_URL, max: 4, connectionTimeoutMillis }), 'control', logger, lost),
  };
  const selectOne = (pool: Pool) => () => pool.query('SELECT 1');
  dependencies = new DependencyHealth(
    [
      { name: 'legacy', check: selectOne(pools.legacy) },
      { name: 'user_service', check: selectOne(pools.userService) },
      { name: 'control', check: selectOne(pools.control) },
      { name: 'kafka', check: () => eventLog.listTopics() },
    ],
    { registry, logger: logger.child({ component: 'dependencies' }) },
  );
  dependencies.start();
  const dependencyHealth = dependencies;
  let stopping = false;
  // strangler_verify_drift_rows comes from the latest `strangler verify` run recorded in the control plane.
  registerVerifyDriftGauge(registry, pools.control, logger.child({ component: 'verify' }));

  // The topics exist before anyone subscribes: kafkajs refuses to subscribe to a missing one, and an
  // empty legacy table gives Debezium nothing to create it with, nor an empty outbox the router.
  await eventLog.ensureTopics([
    ...(runForward ? [{ topic: legacyUsersTopic, partitions: LEGACY_USERS_PARTITIONS }] : []),
    ...(runReverse ? contextEventTopics.map((topic) => ({ topic })) : []),
    { topic: DEAD_LETTER_TOPIC },
  ]);
  const deadLetters = new DeadLetterSink(pools.control, eventLog, metrics, logger);
  const consumers: LogConsumer[] = [];
  const workers: { health: WorkerHealth; group: string; topics: string[] }[] = [];
  // Both directions run side by side at all times; the ownership map decides per context which one writes.
  if (runForward) {
    const health = new WorkerHealth('forward', config.CDC_STALL_AFTER_MS);
    consumers.push(await startForwardSync(eventLog, { userService: pools.userService, control: pools.control, deadLetters, metrics, logger: logger.child({ worker: 'forward' }), clock: () => new Date() }, health, forwardGroup, legacyUsersTopic, () => stopping));
    workers.push({ health, group: forwardGroup, topics: [legacyUsersTopic] });
  }
  if (runReverse) {
    const health = new WorkerHealth('reverse', config.CDC_STALL_AFTER_MS);
    registerParkedEventsGauge(registry, pools.legacy, logger);
    consumers.push(await startReverseSync(eventLog, { legacy: pools.legacy, control: pools.control, deadLetters, metrics, logger: logger.child({ worker: 'reverse' }), clock: () => new Date() }, health, reverseGroup, contextEventTopics, () => stopping));
    workers.push({ health, group: reverseGroup, topics: [...contextEventTopics] });
  }
  // One measurement at a time, and stop() waits for the one in flight: it must not outlive the event log
  // its caller is about to disconnect.
  let measuring: Promise<unknown> | undefined;
  const backlogTimer = setInterval(() => {
    if (measuring) return;
    measuring = Promise.allSettled(workers.map((worker) =>
      backlogOf(eventLog, worker.group, worker.topics).then(
        (backlog) => worker.health.observeBacklog(backlog),
        (error: unknown) => logger.warn({ err: error, worker: worker.health.name }, 'could not measure the backlog'),
      ))).finally(() => {
      measuring = undefined;
    });
  }, 2_000);
  backlogTimer.unref();

  const health = () => {
    const reports = workers.map((w) => w.health.report());
    const reachable = dependencyHealth.report();
    return { healthy: reports.every((r) => r.healthy) && reachable.every((d) => d.reachable), workers: reports, dependencies: reachable };
  };
  const slots = {
    forward: options.forwardSlot ?? (await slotOf('legacy-users.json')),
    reverse: options.reverseSlot ?? (await slotOf('user-service-outbox.json')),
  };
  const drainTargets: Record<Direction, DrainTarget> = {
    forward: { source: pools.legacy, slot: slots.forward, group: forwardGroup, topics: [legacyUsersTopic] },
    reverse: { source: pools.userService, slot: slots.reverse, group: reverseGroup, topics: [...contextEventTopics] },
  };
  // Read-your-writes across proxy instances: legacy's WAL position, and whether the forward sync has
  // reached it in a user's partition (its progress, or the idle horizon from the same slot the drain watches).
  const sourcePosition = new SourcePosition(pools.legacy, config.CDC_SOURCE_POSITION_TIMEOUT_MS);
  const forwardCatchUp = new ForwardCatchUp(
    { userService: pools.userService, legacy: pools.legacy, slot: slots.forward, group: forwardGroup, topic: legacyUsersTopic },
    eventLog,
    logger.child({ component: 'forward-catch-up' }),
    { horizonEveryMs: config.CDC_IDLE_HORIZON_EVERY_MS },
  );
  const app = express();
  app.disable('x-powered-by');
  app.use(syncApiRouter({
    userService: pools.userService,
    legacy: pools.legacy,
    token: config.STRANGLER_ADMIN_TOKEN,
    drain: (direction, timeoutMs) => drain(drainTargets[direction], eventLog, { timeoutMs }),
    forwardSourcePosition: () => sourcePosition.now(),
    forwardCaughtUp: (usrId, lsn) => forwardCatchUp.of(usrId, lsn),
    logger: logger.child({ component: 'sync-api' }),
  }));
  app.get('/healthz', (_req, res) => {
    const report = health();
    res.status(report.healthy ? 200 : 503).json({ status: report.healthy ? 'ok' : 'unhealthy', workers: report.workers, dependencies: report.dependencies });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  const server: Server = app.listen(config.CDC_PORT, config.CDC_HOST);
  await once(server, 'listening');

  return {
    port: (server.address() as AddressInfo).port,
    health,
    async stop() {
      stopping = true;
      clearInterval(backlogTimer);
      await dependencyHealth.stop();
      await measuring;
      await Promise.allSettled(consumers.map((c) => c.stop()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(Object.values(pools).map((pool) => pool.end()));
    },
  };
}
