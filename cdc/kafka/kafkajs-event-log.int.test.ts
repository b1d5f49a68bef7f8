// The event-log port against the stack's real broker.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel as kafkaLogLevel } from 'kafkajs';
import pino from 'pino';
import type { LogMessage } from './event-log';
import { KafkajsEventLog, kafkaSettingsFromEnv } from './kafkajs-event-log';
import { until } from '../test/until';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });


describe('kafkajs event log', () => {
  const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv('event-log-test'), logger);
  afterAll(() => eventLog.close());

  test('a-batch-is-not-redelivered-once-handled and the group resumes after its committed offset', async () => {
    const topic = `event-log-test-${randomUUID()}`;
    const groupId = `group-${randomUUID()}`;
    await eventLog.ensureTopics([{ topic }]);
    await eventLog.publish(topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 5}`, value: String(i) })));

    const first: LogMessage[] = [];
    const consumer = eventLog.consumer({ groupId, topics: [topic], fromBeginning: true });
    await consumer.run(async (messages) => { first.push(...messages); });
    await until('the first 50 messages', () => ((() => first.length >= 50)() ? true : undefined), { timeoutMs: 30_000, everyMs: 50 });
    // A second publish proves the consumer moved on instead of fetching the handled batch again.
    await eventLog.publish(topic, [{ key: 'k0', value: '50' }]);
    await until('message 50', () => ((() => first.some((m) => m.value?.toString() === '50'))() ? true : undefined), { timeoutMs: 30_000, everyMs: 50 });
    await consumer.stop();

    expect(first.map((m) => Number(m.value?.toString()))).toEqual(Array.from({ length: 51 }, (_, i) => i));
    expect(await eventLog.committedOffsets(groupId, topic)).toEqual([{ partition: 0, offset: '51' }]);

    await eventLog.publish(topic, [{ key: 'k1', value: '51' }, { key: null, value: null }]);
    const resumed: LogMessage[] = [];
    const again = eventLog.consumer({ groupId, topics: [topic], fromBeginning: true });
    await again.run(async (messages) => { resumed.push(...messages); });
    await until('the two new messages', () => ((() => resumed.length >= 2)() ? true : undefined), { timeoutMs: 30_000, everyMs: 50 });
    await again.stop();
    expect(resumed.map((m) => m.value?.toString() ?? null)).toEqual(['51', null]);
    expect(resumed[0]?.offset).toBe('51');
  });
});

describe('deleting consumer groups (the demo\'s clean slate)', () => {
  const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv('event-log-groups-test'), logger);
  // The broker's own view of a group, through a client of the test's.
  const admin = new Kafka({ ...kafkaSettingsFromEnv('event-log-groups-test-admin'), logLevel: kafkaLogLevel.NOTHING }).admin();
  beforeAll(() => admin.connect());
  afterAll(async () => {
    await admin.disconnect();
    await eventLog.close();
  });

  const joined = async (groupId: string, topic: string) => {
    const member = new KafkajsEventLog(kafkaSettingsFromEnv(`member-${groupId}`), logger);
    const consumer = member.consumer({ groupId, topics: [topic], fromBeginning: true });
    await consumer.run(async () => undefined);
    await until('the member in its group', async () => ((await groupMembers(groupId)) > 0 ? true : undefined), { timeoutMs: 30_000, everyMs: 100 });
    return member;
  };
  const groupMembers = async (groupId: string) => (await admin.describeGroups([groupId])).groups[0]?.members.length ?? 0;

  test('non-empty-group-waited-out: a group whose members are still there is deleted once they have left, not refused', async () => {
    const topic = `groups-test-${randomUUID()}`;
    const groupId = `group-${randomUUID()}`;
    await eventLog.ensureTopics([{ topic }]);
    const member = await joined(groupId, topic);
    const waits: { group: string; members: number }[][] = [];
    const deletion = eventLog.deleteGroups([groupId], { onWait: (busy) => waits.push(busy) });
    await until('the deletion to wait for the member', () => (waits.length > 0 ? true : undefined), { timeoutMs: 10_000, everyMs: 50 });
    expect(waits[0]).toEqual([{ group: groupId, members: 1 }]);
    // As a killed member's session timing out would: it leaves, and the deletion goes through.
    await member.close();
    await deletion;
    expect(await groupMembers(groupId)).toBe(0);
  });

  test('a group whose members never leave fails with what to do, not a bare library error', async () => {
    const topic = `groups-test-${randomUUID()}`;
    const groupId = `group-${randomUUID()}`;
    await eventLog.ensureTopics([{ topic }]);
    const member = await joined(groupId, topic);
    try {
      await expect(eventLog.deleteGroups([groupId], { maxWaitMs: 1_000 })).rejects.toThrow(new RegExp(`${groupId} \\(1\\); a process of theirs is still running`));
    } finally {
      await member.close();
    }
  });
});
