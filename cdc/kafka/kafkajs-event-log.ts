import { Kafka, logLevel, Partitioners, type Consumer, type Producer, type Admin, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import { backoffMs } from '../postgres/connection-loss';
import type { BatchHandler, EventLog, EventLogTeardown, LogConsumer, LogMessage, OutgoingMessage, Subscription } from './event-log';

/**
 * Group-membership errors: the member must rejoin, nothing is wrong with the consumer. kafkajs 2.2.4 gives
 * up on some of them for good (a commit or heartbeat answered UNKNOWN_MEMBER_ID after a broker restart is a
 * KafkaJSNonRetriableError, and its consumer crashes with restart: false: seen in the fault matrix's broker
 * row, where the reverse worker then stayed down), so we restart such a consumer ourselves.
 */
const REJOIN_ERRORS = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS']);

/** Whether a kafkajs crash only means "join the group again" (the innermost cause's protocol error type). */
export function needsOnlyRejoin(error: unknown): boolean {
  let cause = error as { cause?: unknown; type?: unknown } | undefined;
  for (let depth = 0; cause && depth < 10; depth++) {
    if (typeof cause.type === 'string' && REJOIN_ERRORS.has(cause.type)) return true;
    cause = cause.cause as typeof cause;
  }
  return false;
}

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /**
   * Largest fetch per partition, which bounds a batch. Large by default: the forward apply's cost is per
   * batch, not per event. Crash tests make it small to have many batches to die between.
   */
  maxBytesPerPartition?: number;
}

export const kafkaSettingsFromEnv = (clientId: string): KafkaSettings => ({
  brokers: (process.env.STRANGLER_KAFKA_BROKERS ?? `127.0.0.1:${process.env.STRANGLER_KAFKA_PORT ?? '29092'}`).split(','),
  clientId,
});

// kafkajs logs through its own logger; route it into ours so nothing bypasses structured logging.
function kafkajsLogCreator(logger: Logger) {
  return () => ({ level, log }: LogEntry) => {
    const { message, ...extra } = log;
    if (level === logLevel.ERROR) logger.error(extra, message);
    else if (level === logLevel.WARN) logger.warn(extra, message);
    else logger.debug(extra, message);
  };
}

function toLogMessage(topic: string, partition: number, m: { offset: string; key: Buffer | null; value: Buffer | null; timestamp: string; headers?: Record<string, unknown> }): LogMessage {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    headers[name] = value === undefined || value === null ? undefined : String(value);
  }
  return { topic, partition, offset: m.offset, key: m.key, value: m.value, timestamp: m.timestamp, headers };
}

class KafkajsConsumer implements LogConsumer {
  private readonly crashListeners: ((error: Error) => void)[] = [];
  private handler: BatchHandler | undefined;
  private stopped = false;
  private rejoins = 0;
  private rejoinTimer: NodeJS.Timeout | undefined;

  constructor(private readonly consumer: Consumer, private readonly subscription: Subscription, private readonly logger: Logger) {
    // kafkajs gives up on non-retriable errors and only tells through this event (tulios/kafkajs#1466):
    // without a listener the worker would sit idle looking healthy.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      const error = payload.error instanceof Error ? payload.error : new Error(String(payload.error));
      this.logger.error({ err: error, groupId: subscription.groupId, restart: payload.restart }, 'kafka consumer crashed');
      if (payload.restart) return;
      if (needsOnlyRejoin(error) && !this.stopped) this.rejoin();
      else this.crashListeners.forEach((listener) => listener(error));
    });
    // A batch after a rejoin: the consumer works again, the next loss starts its backoff afresh.
    consumer.on(consumer.events.END_BATCH_PROCESS, () => {
      this.rejoins = 0;
    });
  }

  onCrash(listener: (error: Error) => void): void {
    this.crashListeners.push(listener);
  }

  /** Starts the consumer again as a new member, after capped backoff with jitter; kafkajs has disconnected it. */
  private rejoin(): void {
    const delay = backoffMs(this.rejoins++, 1_000, 30_000, Math.random);
    this.logger.warn({ groupId: this.subscription.groupId, inMs: delay, attempt: this.rejoins }, 'kafka consumer lost its group membership; joining again');
    this.rejoinTimer = setTimeout(() => {
      if (this.stopped) return;
      this.start().catch((error: unknown) => {
        this.logger.warn({ err: error, groupId: this.subscription.groupId }, 'kafka consumer could not join again; retrying');
        if (!this.stopped) this.rejoin();
      });
    }, delay);
  }

  async run(handler: BatchHandler): Promise<void> {
    this.handler = handler;
    await this.start();
  }

  private async start(): Promise<void> {
    const handler = this.handler!;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.subscription.topics, fromBeginning: this.subscription.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.subscription.concurrentPartitions ?? 1,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const messages = batch.messages.map((m) => toLogMessage(batch.topic, batch.partition, m));
        await handler(messages, { heartbeat });
        const last = messages[messages.length - 1]!;
        // Without resolving, kafkajs fetches the same batch again (eachBatchAutoResolve is off so that
        // nothing counts as done before the handler's transaction has committed).
        resolveOffset(last.offset);
        // The committed offset is the next one to read.
        await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.rejoinTimer);
    await this.consumer.disconnect();
  }
}

export class KafkajsEventLog implements EventLog, EventLogTeardown {
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private admin: Promise<Admin> | undefined;
  private readonly consumers: LogConsumer[] = [];

  private readonly maxBytesPerPartition: number;

  constructor(settings: KafkaSettings, private readonly logger: Logger) {
    this.maxBytesPerPartition = settings.maxBytesPerPartition ?? 8 * 1024 * 1024;
    this.kafka = new Kafka({ clientId: settings.clientId, brokers: settings.brokers, logLevel: logLevel.WARN, logCreator: kafkajsLogCreator(logger) });
  }

  consumer(subscription: Subscription): LogConsumer {
    const consumer = new KafkajsConsumer(this.kafka.consumer({
      groupId: subscription.groupId,
      // kafkajs' session timeout (30 s) stays: a member that died is replaced after it. Shorter (10 s was
      // tried) kicks out a live member whose large batch takes longer than that on a loaded machine (kafkajs
      // heartbeats between batches), and the batch then comes again and again.
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: this.maxBytesPerPartition,
      maxBytes: 32 * 1024 * 1024,
    }), subscription, this.logger);
    this.consumers.push(consumer);
    return consumer;
  }

  // The promise, not the client, is shared: two callers arriving while the first connect is under way
  // must both wait for it (kafkajs fails "request is not a function" on a half-connected admin).
  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(() => admin);
      this.admin.catch(() => { this.admin = undefined; });
    }
    return this.admin;
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (!this.producer) {
      // Keyed messages must land where Java clients (Debezium, Connect) would put them: murmur2, the default.
      this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      await this.producer.connect();
    }
    await this.producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
  }

  async listTopics(): Promise<string[]> {
    return (await this.connectedAdmin()).listTopics();
  }

  async ensureTopics(topics: { topic: string; partitions?: number }[]): Promise<void> {
    const admin = await this.connectedAdmin();
    // Asking for an existing topic makes kafkajs log an error ("Topic creation errors") for nothing.
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    await admin.createTopics({ waitForLeaders: true, topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions ?? 1 })) });
  }

  async committedOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]> {
    const admin = await this.connectedAdmin();
    const [entry] = await whileRetriable(() => admin.fetchOffsets({ groupId, topics: [topic] }));
    return (entry?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset }));
  }

  async endOffsets(topic: string): Promise<{ partition: number; offset: string }[]> {
    const admin = await this.connectedAdmin();
    return (await whileRetriable(() => admin.fetchTopicOffsets(topic))).map((p) => ({ partition: p.partition, offset: p.high }));
  }

  async deleteTopics(topics: string[]): Promise<void> {
    const admin = await this.connectedAdmin();
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length === 0) return;
    await admin.deleteTopics({ topics: present, timeout: 30_000 });
    // Deletion is asynchronous on the broker: a topic still listed would make the next ensureTopics skip
    // a topic that then disappears under its subscriber.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const listed = new Set(await admin.listTopics());
      if (!present.some((t) => listed.has(t))) return;
      if (Date.now() > deadline) throw new Error(`topics still listed 60 s after deletion: ${present.filter((t) => listed.has(t)).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async deleteGroups(groups: string[], { maxWaitMs = 60_000, onWait }: { maxWaitMs?: number; onWait?: (busy: { group: string; members: number }[]) => void } = {}): Promise<void> {
    const admin = await this.connectedAdmin();
    const existing = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
    const present = groups.filter((g) => existing.has(g));
    if (present.length === 0) return;
    // The broker refuses to delete a group with members (NON_EMPTY_GROUP). A killed consumer stays a member
    // until its session times out (30 s, see consumer() above): wait that out, saying so, rather than fail.
    const deadline = Date.now() + maxWaitMs;
    let announced = false;
    for (;;) {
      const { groups: described } = await admin.describeGroups(present);
      const busy = described.filter((g) => g.members.length > 0).map((g) => ({ group: g.groupId, members: g.members.length }));
      if (busy.length === 0) break;
      if (Date.now() > deadline) {
        throw new Error(`consumer groups still have members after ${Math.round(maxWaitMs / 1000)} s: ${busy.map((b) => `${b.group} (${b.members})`).join(', ')}; a process of theirs is still running (a cdc started elsewhere?): stop it, then run again`);
      }
      if (!announced) onWait?.(busy);
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await admin.deleteGroups(present);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.consumers.map((c) => c.stop()));
    await this.producer?.disconnect();
    if (this.admin) await (await this.admin.catch(() => undefined))?.disconnect();
  }
}

/**
 * Right after a topic is created (by us or by Debezium) its partitions may not have a leader yet, and the
 * admin calls fail with a retriable "not the leader" that kafkajs' admin does not retry by itself.
 */
async function whileRetriable<T>(call: () => Promise<T>, attempts = 25, pauseMs = 200): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}
