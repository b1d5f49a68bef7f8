/**
 * The demo owns the contract's databases (legacy, user_service, strangler), the Debezium connectors, their
 * replication slots, the capture, outbox and dead-letter topics and the syncs' consumer groups. Starting
 * from nothing each time is what lets it run twice: a second run on the first run's leftovers would find
 * its ids taken, its connectors past their snapshot and its groups at the end of deleted topics.
 */
import { Client } from 'pg';
import { readConnectorFile, type ConnectorRegistration } from '../cdc/connectors/kafka-connect';
import { DEAD_LETTER_TOPIC } from '../cdc/dead-letters/dead-letter-sink';
import { FORWARD_SYNC_GROUP } from '../cdc/forward/forward-sync.worker';
import type { EventLogTeardown } from '../cdc/kafka/event-log';
import { REVERSE_SYNC_GROUP } from '../cdc/reverse/reverse-sync.worker';
import { waitFor } from '../stack/proc';

export const SYNC_GROUPS = [FORWARD_SYNC_GROUP, REVERSE_SYNC_GROUP] as const;

/**
 * The topics a connector writes: `<topic.prefix>.<schema>.<table>` and the router's `<prefix>.<x>.events`
 * (both under the prefix), and Debezium's heartbeat topic `__debezium-heartbeat.<prefix>`.
 */
export function topicsOwnedBy(prefixes: readonly string[], existing: readonly string[]): string[] {
  return existing.filter((topic) =>
    topic === DEAD_LETTER_TOPIC || prefixes.some((prefix) => topic.startsWith(`${prefix}.`) || topic === `__debezium-heartbeat.${prefix}`)).sort();
}

export interface CleanSlateOptions {
  connectUrl: string;
  /** A URL on the stack's server as a superuser, e.g. postgres://postgres@127.0.0.1:55432/postgres. */
  serverUrl: string;
  connectorFiles: readonly string[];
  /** The stack's databases (stack/settings.ts), dropped and created empty. */
  databases: readonly string[];
  eventLog: EventLogTeardown & { listTopics(): Promise<string[]> };
  say?: (line: string) => void;
}

async function connectRequest(connectUrl: string, method: string, path: string): Promise<Response> {
  return fetch(`${connectUrl}${path}`, { method, signal: AbortSignal.timeout(30_000) });
}

/**
 * Stops the connector, deletes its offsets (Kafka Connect 3.6+, KIP-875; only a STOPPED connector's offsets
 * can be reset) and deletes it. Without the offset reset a connector registered again under the same name
 * resumes from the old database's LSN instead of snapshotting the new one.
 */
async function removeConnector(connectUrl: string, registration: ConnectorRegistration): Promise<boolean> {
  const name = encodeURIComponent(registration.name);
  const status = await connectRequest(connectUrl, 'GET', `/connectors/${name}/status`);
  if (status.status === 404) return false;
  const stop = await connectRequest(connectUrl, 'PUT', `/connectors/${name}/stop`);
  if (!stop.ok) throw new Error(`Kafka Connect refused to stop ${registration.name}: ${stop.status} ${await stop.text()}`);
  await waitFor(`connector ${registration.name} to stop`, async () => {
    const res = await connectRequest(connectUrl, 'GET', `/connectors/${name}/status`);
    const body = (await res.json()) as { connector?: { state?: string } };
    return body.connector?.state === 'STOPPED';
  }, 60_000, 250);
  const reset = await connectRequest(connectUrl, 'DELETE', `/connectors/${name}/offsets`);
  if (!reset.ok) throw new Error(`Kafka Connect refused to reset the offsets of ${registration.name}: ${reset.status} ${await reset.text()}`);
  const removed = await connectRequest(connectUrl, 'DELETE', `/connectors/${name}`);
  if (!removed.ok && removed.status !== 404) throw new Error(`Kafka Connect refused to delete ${registration.name}: ${removed.status}`);
  await waitFor(`connector ${registration.name} to be gone`, async () => (await connectRequest(connectUrl, 'GET', `/connectors/${name}`)).status === 404, 60_000, 250);
  return true;
}

export async function cleanSlate(options: CleanSlateOptions): Promise<void> {
  const say = options.say ?? (() => undefined);
  const registrations = await Promise.all(options.connectorFiles.map((file) => readConnectorFile(file)));
  for (const registration of registrations) {
    if (await removeConnector(options.connectUrl, registration)) say(`connector ${registration.name} stopped, offsets reset, deleted`);
  }

  const server = new Client({ connectionString: options.serverUrl });
  await server.connect();
  try {
    for (const registration of registrations) {
      const slot = registration.config['slot.name'];
      if (typeof slot !== 'string') continue;
      // The slot outlives its connector (Debezium does not drop it) and pins WAL; a stopped task lets go of it
      // within moments, but an active slot cannot be dropped.
      await waitFor(`replication slot ${slot} to be released`, async () => {
        const { rows } = await server.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
        return rows.length === 0 || !rows[0]!.active;
      }, 60_000, 250);
      const { rowCount } = await server.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      if (rowCount) say(`replication slot ${slot} dropped`);
    }
    for (const database of options.databases) {
      // FORCE ends leftover sessions (a psql someone left open); the services are not running.
      await server.query(`DROP DATABASE IF EXISTS ${server.escapeIdentifier(database)} WITH (FORCE)`);
      await server.query(`CREATE DATABASE ${server.escapeIdentifier(database)}`);
    }
    say(`databases ${options.databases.join(', ')} dropped and created empty`);
  } finally {
    await server.end();
  }

  const prefixes = registrations.map((r) => r.config['topic.prefix']).filter((p): p is string => typeof p === 'string');
  const topics = topicsOwnedBy(prefixes, await options.eventLog.listTopics());
  await options.eventLog.deleteTopics(topics);
  if (topics.length > 0) say(`topics deleted: ${topics.join(', ')}`);
  await options.eventLog.deleteGroups([...SYNC_GROUPS], {
    onWait: (busy) => say(`waiting for the consumers of an interrupted run to leave ${busy.map((b) => b.group).join(', ')} (their session times out within 30 s)`),
  });
  say(`consumer groups deleted: ${SYNC_GROUPS.join(', ')}`);
}
