import type { EventLog, LogConsumer } from '../kafka/event-log';
import type { WorkerHealth } from '../health/worker-health';
import { retryOnConnectionLoss } from '../postgres/connection-loss';
import { applyContextEvents, type ReverseSyncDependencies } from './apply-context-events';

/** Where Debezium's outbox event router publishes each context's events (cdc/connectors/user-service-outbox.json). */
export const CONTEXT_EVENT_TOPICS: readonly string[] = ['user-service.account.events', 'user-service.profile.events', 'user-service.preferences.events'];
export const REVERSE_SYNC_GROUP = 'strangler-reverse-sync';

/**
 * Consumes the contexts' domain events from the first one and applies each batch to legacy before its
 * offsets are committed. Whether an event is written at all is decided per event by the ownership map.
 */
export async function startReverseSync(
  eventLog: EventLog,
  deps: ReverseSyncDependencies,
  health: WorkerHealth,
  groupId = REVERSE_SYNC_GROUP,
  topics: readonly string[] = CONTEXT_EVENT_TOPICS,
  stopping: () => boolean = () => false,
): Promise<LogConsumer> {
  const consumer = eventLog.consumer({ groupId, topics: [...topics], fromBeginning: true });
  consumer.onCrash((error) => health.crashed(error));
  await consumer.run(async (messages, context) => {
    // As the forward worker: a batch rolled back by a lost connection is applied again, in place.
    const { lagSeconds } = await retryOnConnectionLoss(() => applyContextEvents(messages, deps), {
      what: 'a reverse batch',
      logger: deps.logger,
      giveUp: stopping,
      onRetry: () => context.heartbeat().catch(() => undefined),
    });
    health.progressed(lagSeconds);
  });
  health.running();
  return consumer;
}
