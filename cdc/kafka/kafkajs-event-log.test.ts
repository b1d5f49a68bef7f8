import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { needsOnlyRejoin } from './kafkajs-event-log';

// kafkajs' own error classes, wrapped as its retrier wraps them (kafkajs/src/retry/index.js).
const protocolError = (type: string, message: string) => new KafkaJSProtocolError({ type, message, code: 0, retriable: false } as never);
// Its typings give the constructors one argument; at run time the retrier passes the cause as a second.
const nonRetriable = (e: Error) => Object.assign(new KafkaJSNonRetriableError(e), { cause: e });

describe('which kafkajs crashes only need the consumer to join its group again', () => {
  test('a lost membership, however deeply wrapped, is a rejoin (the broker row of the fault matrix)', () => {
    const unknownMember = protocolError('UNKNOWN_MEMBER_ID', 'The coordinator is not aware of this member');
    expect(needsOnlyRejoin(nonRetriable(unknownMember))).toBe(true);
    const generation = protocolError('ILLEGAL_GENERATION', 'Specified group generation id is not valid');
    const exhausted = new (KafkaJSNumberOfRetriesExceeded as unknown as new (e: Error, o: object) => Error)(nonRetriable(generation), { retryCount: 5, retryTime: 1_000, cause: nonRetriable(generation) });
    expect(needsOnlyRejoin(exhausted)).toBe(true);
  });

  test('anything else stays a crash the worker reports', () => {
    const denied = protocolError('TOPIC_AUTHORIZATION_FAILED', 'Not authorized to access topics');
    expect(needsOnlyRejoin(nonRetriable(denied))).toBe(false);
    expect(needsOnlyRejoin(new Error('boom'))).toBe(false);
    expect(needsOnlyRejoin(undefined)).toBe(false);
  });
});
