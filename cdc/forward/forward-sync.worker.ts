import type { EventLog, LogConsumer } from '../kafka/event-log';
import type { WorkerHealth } from '../health/worker-health';
import { applyLegacyChanges, type ForwardSyncDependencies } from './apply-legacy-changes';

export const LEGACY_USERS_TOPIC = 'legacy.public.users';
export const FORWARD_SYNC_GROUP = 'strangler-forward-sync';

/**
 * Consumes the Debezium events of public.users from the first one (a new deployment starts from the
 * connector's initial snapshot) and applies each batch before its offsets are committed.
 */
export async function startForwardSync(eventLog: EventLog, deps: ForwardSyncDependencies, health: WorkerHealth, groupId = FORWARD_SYNC_GROUP, topic = LEGACY_USERS_TOPIC): Promise<LogConsumer> {
  const consumer = eventLog.consumer({ groupId, topics: [topic], fromBeginning: true });
  consumer.onCrash((error) => health.crashed(error));
  await consumer.run(async (messages) => {
    await applyLegacyChanges(messages, deps);
    health.progressed();
  });
  health.running();
  return consumer;
}
