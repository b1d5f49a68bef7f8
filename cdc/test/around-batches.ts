import type { BatchHandler, EventLog, LogConsumer, LogMessage, Subscription } from '../kafka/event-log';

/**
 * The event log, except that each batch of the consumers `wraps` picks is handed to `around` first, with
 * the real handler to call (or not): how tests hold, gate or kill a worker in the middle of its stream.
 */
export function aroundBatches(
  inner: EventLog,
  around: (messages: LogMessage[], handle: () => Promise<void>) => Promise<void>,
  { wraps = () => true, admit = () => undefined }: {
    wraps?: (subscription: Subscription) => boolean;
    /** Throws for a subscription the test must never make (a shared group of the real stack). */
    admit?: (subscription: Subscription) => void;
  } = {},
): EventLog {
  return {
    consumer(subscription) {
      admit(subscription);
      const consumer = inner.consumer(subscription);
      if (!wraps(subscription)) return consumer;
      const wrapped: LogConsumer = {
        run: (handler: BatchHandler) => consumer.run((messages, context) => around(messages, () => handler(messages, context))),
        stop: () => consumer.stop(),
        onCrash: (listener) => consumer.onCrash(listener),
      };
      return wrapped;
    },
    publish: (topic, messages) => inner.publish(topic, messages),
    listTopics: () => inner.listTopics(),
    ensureTopics: (topics) => inner.ensureTopics(topics),
    committedOffsets: (groupId, topic) => inner.committedOffsets(groupId, topic),
    endOffsets: (topic) => inner.endOffsets(topic),
    close: () => inner.close(),
  };
}
