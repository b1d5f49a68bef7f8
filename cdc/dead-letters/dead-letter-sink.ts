import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { EventLog, LogMessage } from '../kafka/event-log';
import type { Direction, SyncMetrics } from '../metrics/sync-metrics';

export const DEAD_LETTER_TOPIC = 'strangler.dead-letters';

export interface DeadLetter {
  direction: Direction;
  /** Null when the event could not even be attributed to a context. */
  context: string | null;
  code: string;
  /** Why, without PII: no emails, hashes or names. */
  reason: string;
  usrId: number | null;
  message: LogMessage;
}

/**
 * Records what a sync could not apply, with its reason and the original event, in the control plane's
 * table and on the dead-letter topic; the pipeline goes on. Recording is keyed by the event's Kafka
 * coordinates, so a batch replayed after a crash records it once.
 */
export class DeadLetterSink {
  constructor(
    private readonly control: Pool,
    private readonly eventLog: EventLog,
    private readonly metrics: SyncMetrics,
    private readonly logger: Logger,
  ) {}

  async record(letter: DeadLetter): Promise<void> {
    const { message } = letter;
    const event = message.value === null ? null : safeJson(message.value.toString());
    const { rowCount } = await this.control.query(
      `INSERT INTO control.dead_letters (direction, context, reason_code, reason, usr_id, topic, kafka_partition, kafka_offset, event)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT ON CONSTRAINT dead_letters_once DO NOTHING`,
      [letter.direction, letter.context, letter.code, letter.reason, letter.usrId, message.topic, message.partition, message.offset, event],
    );
    if (rowCount === 0) return;
    this.metrics.deadLetters.inc({ direction: letter.direction });
    this.logger.warn({ direction: letter.direction, context: letter.context, code: letter.code, usrId: letter.usrId, topic: message.topic, offset: message.offset }, 'dead letter');
    await this.eventLog.publish(DEAD_LETTER_TOPIC, [{
      key: letter.usrId === null ? null : String(letter.usrId),
      value: message.value === null ? null : message.value.toString(),
      headers: {
        direction: letter.direction,
        context: letter.context ?? '',
        code: letter.code,
        reason: letter.reason,
        source: `${message.topic}/${message.partition}/${message.offset}`,
      },
    }]);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Unparseable events are dead-lettered precisely because of this; keep the text itself.
    return { unparseable: text };
  }
}
