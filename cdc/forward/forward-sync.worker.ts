import type { EventLog, LogConsumer } from '../kafka/event-log';
import type { WorkerHealth } from '../health/worker-health';
import { retryOnConnectionLoss } from '../postgres/connection-loss';
import { applyLegacyChanges, type ForwardSyncDependencies } from './apply-legacy-changes';

export const LEGACY_USERS_TOPIC = 'legacy.public.users';
export const FORWARD_SYNC_GROUP = 'strangler-forward-sync';
/**
 * Partitions of the capture topic, as cdc/connectors/legacy-users.json creates it
 * (topic.creation.default.partitions). Debezium keys each event by usr_id, so a user's changes stay in one
 * partition, in order, and the partitions' batches touch disjoint users: they are applied side by side,
 * which is how the forward sync keeps up with Debezium.
 */
export const LEGACY_USERS_PARTITIONS = 3;

/**
 * Consumes the Debezium events of public.users from the first one (a new deployment starts from the
 * connector's initial snapshot) and applies each batch before its offsets are committed.
 */
export async function startForwardSync(eventLog: EventLog, deps: ForwardSyncDependencies, health: WorkerHealth, groupId = FORWARD_SYNC_GROUP, topic = LEGACY_USERS_TOPIC, stopping: () => boolean = () => false): Promise<LogConsumer> {
  const consumer = eventLog.consumer({ groupId, topics: [topic], fromBeginning: true, concurrentPartitions: LEGACY_USERS_PARTITIONS });
  consumer.onCrash((error) => health.crashed(error));
  await consumer.run(async (messages, context) => {
    // A batch whose database connection died was rolled back: it is applied again once the database is
    // back, in place, the consumer's session kept alive meanwhile (no rebalance, no redelivery elsewhere).
    const { lagSeconds } = await retryOnConnectionLoss(() => applyLegacyChanges(messages, deps), {
      what: 'a forward batch',
      logger: deps.logger,
      giveUp: stopping,
      onRetry: () => context.heartbeat().catch(() => undefined),
    });
    health.progressed(lagSeconds);
  });
  health.running();
  return consumer;
}
