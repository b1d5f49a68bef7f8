// The event-log port against the stack's real broker.
import { randomUUID } from 'node:crypto';
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
