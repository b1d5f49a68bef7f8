/**
 * Can kafkajs 2.2.4 (which predates Kafka 4's removal of old protocol versions, KIP-896) do what the
 * cdc workers need against the stack's broker: create a topic, produce, consume in a group, commit
 * offsets manually after processing, and have a new group member resume after the committed offset?
 */
import crypto from 'node:crypto';
import { type Consumer, Kafka, logLevel, Partitioners } from 'kafkajs';
import { stackSettings } from './native-stack';
import { waitFor } from './proc';

// Also set by stack/jest/integration-timeout.ts; repeated so this file does not depend on the jest config.
jest.setTimeout(120_000);

const kafka = new Kafka({
  clientId: 'stack-kafka-compat-test',
  brokers: [`127.0.0.1:${stackSettings.kafkaPort}`],
  logLevel: logLevel.WARN,
  retry: { retries: 5 },
});

const run = crypto.randomBytes(4).toString('hex');
const topic = `stack-compat-${run}`;
const groupId = `stack-compat-group-${run}`;

interface Seen {
  offset: string;
  key: string;
  value: string;
}

/** Consumes `topic` in `groupId`, committing each message's offset only after "processing" it. */
async function startConsumer(seen: Seen[]): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 250 });
  await consumer.connect();
  // fromBeginning only applies without a committed offset: the second consumer must ignore it.
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic: t, partition, message }) => {
      seen.push({ offset: message.offset, key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
      await consumer.commitOffsets([{ topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
  return consumer;
}

async function committedOffset(): Promise<string | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const res = await admin.fetchOffsets({ groupId, topics: [topic] });
    return res[0]?.partitions.find((p) => p.partition === 0)?.offset;
  } finally {
    await admin.disconnect();
  }
}

describe('kafkajs 2.2.4 against the stack broker', () => {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates a topic, produces, consumes in a group and resumes after the committed offset', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
      expect(await admin.listTopics()).toContain(topic);
    } finally {
      await admin.disconnect();
    }

    const first = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `first-${i}` }));
    const acks = await producer.send({ topic, messages: first, acks: -1 });
    expect(acks[0]?.errorCode).toBe(0);

    const seen1: Seen[] = [];
    const c1 = await startConsumer(seen1);
    consumers.push(c1);
    await waitFor('the first consumer to process 5 messages', () => seen1.length >= 5, 30_000);
    expect(seen1.map((m) => m.value)).toEqual(first.map((m) => m.value));
    expect(seen1.map((m) => m.offset)).toEqual(['0', '1', '2', '3', '4']);
    // The commit of the last message is awaited inside eachMessage, but the handler may still be
    // finishing when seen1 fills up; the broker is the source of truth.
    await waitFor('the group to have committed offset 5', async () => (await committedOffset()) === '5', 15_000);
    await c1.disconnect();
    consumers.splice(consumers.indexOf(c1), 1);

    const second = Array.from({ length: 3 }, (_, i) => ({ key: `k${i}`, value: `second-${i}` }));
    await producer.send({ topic, messages: second, acks: -1 });

    const seen2: Seen[] = [];
    const c2 = await startConsumer(seen2);
    consumers.push(c2);
    await waitFor('the second consumer to process 3 messages', () => seen2.length >= 3, 30_000);
    expect(seen2.map((m) => m.offset)).toEqual(['5', '6', '7']);
    expect(seen2.map((m) => m.value)).toEqual(second.map((m) => m.value));
    await waitFor('the group to have committed offset 8', async () => (await committedOffset()) === '8', 15_000);
    await c2.disconnect();
    consumers.splice(consumers.indexOf(c2), 1);
    expect(seen2.length).toBe(3);
  });
});
