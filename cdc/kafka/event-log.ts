// Our port onto the event log. Everything in cdc/ talks to Kafka through this interface only, so that
// kafkajs (unmaintained since 2023) can be swapped for @confluentinc/kafka-javascript's KafkaJS-compatible
// API without touching the sync code. Keep it to what both support: batches, commit after processing.

export interface LogMessage {
  topic: string;
  partition: number;
  /** Kafka offsets are int64; kept as decimal strings. */
  offset: string;
  key: Buffer | null;
  /** null for a tombstone. */
  value: Buffer | null;
  /** Broker/producer timestamp, ms since epoch, as a decimal string. */
  timestamp: string;
  headers: Record<string, string | undefined>;
}

export interface Subscription {
  groupId: string;
  topics: (string | RegExp)[];
  /** Where a group with no committed offset starts. */
  fromBeginning: boolean;
  /**
   * How many partitions' batches the handler may be given at once (default 1). Only for a handler whose
   * batches of different partitions never touch the same rows, e.g. a topic keyed by the row's id.
   */
  concurrentPartitions?: number;
}

/**
 * Processes one batch of one partition. Offsets are committed only after it resolves, so a crash
 * inside it means the batch is delivered again (at-least-once): the handler must be idempotent.
 */
export type BatchHandler = (messages: LogMessage[], context: { heartbeat(): Promise<void> }) => Promise<void>;

export interface LogConsumer {
  run(handler: BatchHandler): Promise<void>;
  stop(): Promise<void>;
  /** Called once when the consumer has died and will not recover by itself. Never silent. */
  onCrash(listener: (error: Error) => void): void;
}

export interface OutgoingMessage {
  key: string | null;
  value: string | null;
  headers?: Record<string, string>;
}

export interface EventLog {
  consumer(subscription: Subscription): LogConsumer;
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  listTopics(): Promise<string[]>;
  ensureTopics(topics: { topic: string; partitions?: number }[]): Promise<void>;
  /** Committed offset (next to read) of a group per partition; '-1' where nothing was committed. */
  committedOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]>;
  /** The next offset to be written per partition (the end of the log). */
  endOffsets(topic: string): Promise<{ partition: number; offset: string }[]>;
  close(): Promise<void>;
}

/**
 * Tearing down what the pipeline created, for a tool that owns the whole pipeline (the demo's clean slate).
 * Kept apart from EventLog so the sync code, and wrappers of it, never need to offer deletion.
 */
export interface EventLogTeardown {
  /** Deletes the topics that exist (others are ignored) and returns once the broker no longer lists them. */
  deleteTopics(topics: string[]): Promise<void>;
  /**
   * Deletes the consumer groups that exist (others are ignored). A group that still has members (those of a
   * process killed moments ago stay until their session times out) is waited for, `onWait` telling who is
   * in it; members still there after `maxWaitMs` fail the call with a message that names the group.
   */
  deleteGroups(groups: string[], options?: { maxWaitMs?: number; onWait?: (busy: { group: string; members: number }[]) => void }): Promise<void>;
}
