// The cdc process as crash tests run it: the real startCdcWorkers on a sandbox's capture topic and a
// consumer group of the test's own, in a child process the test can SIGKILL. Settings come from the env
// (cdc/config.ts) plus the TEST_* variables below. It runs no migrations and registers no connector:
// the sandbox (cdc/test/sync-sandbox.ts) has done both. Logs go to stderr as JSON lines; the lines with a
// `signal` field are what the parent test waits for (see forward-worker-child.ts).
import { fstatSync } from 'node:fs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startCdcWorkers } from '../cdc-workers';
import { loadCdcConfig } from '../config';
import type { EventLog } from '../kafka/event-log';
import { aroundBatches } from './around-batches';
import { KafkajsEventLog } from '../kafka/kafkajs-event-log';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

const config = loadCdcConfig(process.env);
const logger = pino({ name: 'forward-worker-process', level: config.LOG_LEVEL }, pino.destination({ dest: 2, sync: true }));
// The protocol with the parent test is logged whatever LOG_LEVEL says.
const signals = logger.child({}, { level: 'info' });
const forwardGroup = required('TEST_FORWARD_GROUP');
const usersTopic = required('TEST_USERS_TOPIC');
const reverseGroup = required('TEST_REVERSE_GROUP');
const contextEventTopics = required('TEST_CONTEXT_EVENT_TOPICS').split(',');
// The sandbox's replication slots, for the drains (the shared stack's slot names otherwise).
const slots = {
  ...(process.env.TEST_FORWARD_SLOT ? { forwardSlot: process.env.TEST_FORWARD_SLOT } : {}),
  ...(process.env.TEST_REVERSE_SLOT ? { reverseSlot: process.env.TEST_REVERSE_SLOT } : {}),
};
// When set, the forward consumer stops for good right after the first batch reaching this offset has been
// applied (its transaction committed) and before its Kafka offset is committed: the parent kills the
// process there, in the one window where at-least-once delivery hands the same events over again.
const holdFrom = process.env.TEST_HOLD_OFFSET_COMMIT_FROM ? BigInt(process.env.TEST_HOLD_OFFSET_COMMIT_FROM) : undefined;
// When set to N, the process SIGKILLs itself a few milliseconds into the N-th batch it is given: inside that
// batch's transaction (and the other partitions' batches in flight), with earlier batches committed.
const killInsideBatch = process.env.TEST_KILL_INSIDE_BATCH ? Number(process.env.TEST_KILL_INSIDE_BATCH) : undefined;
// Small fetches make small batches, so that a kill inside the N-th one lands mid-stream.
const maxBytesPerPartition = process.env.TEST_FETCH_MAX_BYTES ? Number(process.env.TEST_FETCH_MAX_BYTES) : undefined;
let batchesGiven = 0;

/**
 * The event log, except that the forward group's batches can be held between apply and offset commit,
 * and that it refuses to consume anything but the test's own groups and topics: a worker that joined a
 * shared group (strangler-forward-sync, strangler-reverse-sync) would take partitions from, and commit
 * offsets for, whoever else runs the cdc on this stack.
 */
function withCrashWindow(inner: EventLog): EventLog {
  const ours = new Map<string, string[]>([[forwardGroup, [usersTopic]], [reverseGroup, contextEventTopics]]);
  return aroundBatches(
    inner,
    async (messages, handle) => {
      const first = messages[0]!.offset;
      const last = messages[messages.length - 1]!.offset;
      const partition = messages[0]!.partition;
      if (killInsideBatch !== undefined && ++batchesGiven === killInsideBatch) {
        signals.info({ signal: 'killing-itself', partition, first, last }, 'dying inside a batch');
        setTimeout(() => process.kill(process.pid, 'SIGKILL'), 5);
      }
      await handle();
      if (holdFrom === undefined || BigInt(last) < holdFrom) return;
      signals.info({ signal: 'holding-offset-commit', partition, first, last }, 'batch applied, offset commit held until the process is killed');
      await new Promise<never>(() => undefined);
    },
    {
      wraps: (subscription) => subscription.groupId === forwardGroup && (holdFrom !== undefined || killInsideBatch !== undefined),
      admit(subscription) {
        const topics = ours.get(subscription.groupId);
        if (!topics || !subscription.topics.every((topic) => typeof topic === 'string' && topics.includes(topic))) {
          throw new Error(`the test worker refuses to consume ${subscription.topics.join(', ')} as group ${subscription.groupId}: give startCdcWorkers the test's group and topics`);
        }
      },
    },
  );
}

// A parent test that holds our stdin open (spawnForwardWorker) is watched through it: when it dies without
// killing us (a runner killed by a timeout), the pipe closes and we go too, instead of consuming on as an
// orphan. Started with no stdin (/dev/null: the fault tests' services), the parent's pid is watched instead.
if (fstatSync(0).isFIFO()) {
  process.stdin.once('end', () => {
    logger.warn('the parent test is gone; exiting');
    process.exit(1);
  });
  process.stdin.resume();
} else {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid === parent) return;
    logger.warn('the parent test is gone; exiting');
    process.exit(1);
  }, 1_000).unref();
}

async function main(): Promise<void> {
  const kafka = new KafkajsEventLog(
    { brokers: config.STRANGLER_KAFKA_BROKERS.split(','), clientId: `forward-worker-${process.pid}`, ...(maxBytesPerPartition ? { maxBytesPerPartition } : {}) },
    logger.child({ component: 'kafkajs' }),
  );
  // Spread rather than listed: a cdc-workers.ts without a reverse worker has no such options, and the
  // guard above fails the start if a worker ignores them.
  const reverseIsolation = { reverseGroup, contextEventTopics };
  const workers = await startCdcWorkers({
    config,
    eventLog: withCrashWindow(kafka),
    logger,
    registry: new Registry(),
    forwardGroup,
    legacyUsersTopic: usersTopic,
    ...reverseIsolation,
    ...slots,
  });
  signals.info({ signal: 'ready', port: workers.port, pid: process.pid }, 'forward worker running');
  const stop = () => {
    workers.stop().then(() => kafka.close()).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'forward worker did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'forward worker failed to start');
  process.exit(1);
});
