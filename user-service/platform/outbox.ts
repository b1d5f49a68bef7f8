import { randomUUID } from 'node:crypto';
import type { ContextSql } from './unit-of-work';

/**
 * A domain event as it leaves a context. The envelope (`payload`) is what the published JSON Schemas in
 * schemas/events/ describe; `aggregatetype`/`aggregateid`/`type` are the columns Debezium's outbox event
 * router reads to pick the topic and the Kafka key.
 */
export interface OutgoingEvent {
  /** Routes the event to its topic (`user-service.<aggregateType>.events`). */
  aggregateType: string;
  aggregateId: number;
  /** e.g. `identity.AccountRegistered`. */
  type: string;
  schemaVersion: number;
  /** The aggregate's version after the change. */
  version: number;
  occurredAt: Date;
  /** The aggregate's new state. */
  data: Record<string, unknown>;
}

export interface EventEnvelope {
  eventId: string;
  type: string;
  schemaVersion: number;
  aggregateId: number;
  version: number;
  occurredAt: string;
  data: Record<string, unknown>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Writes the event into the context's outbox table in the caller's transaction: the change and its event
 * commit together or not at all, and Debezium publishes it from the WAL (no dual write, no event lost to
 * a crash between commit and publish).
 */
export async function appendToOutbox(sql: ContextSql, schema: string, event: OutgoingEvent): Promise<EventEnvelope> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a schema name: ${schema}`);
  const envelope: EventEnvelope = {
    eventId: randomUUID(),
    type: event.type,
    schemaVersion: event.schemaVersion,
    aggregateId: event.aggregateId,
    version: event.version,
    occurredAt: event.occurredAt.toISOString(),
    data: event.data,
  };
  await sql.query(
    `INSERT INTO ${schema}.outbox (id, aggregatetype, aggregateid, type, payload, occurred_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [envelope.eventId, event.aggregateType, String(event.aggregateId), event.type, JSON.stringify(envelope), event.occurredAt],
  );
  return envelope;
}
