import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';

/**
 * Events waiting in strangler_sync.pending_events for their legacy row, and how long the oldest has
 * waited. A few for a few seconds is normal (the account topic is behind); an old one means the row it
 * waits for will not come, which an operator has to look at. Read on every scrape.
 */
export function registerParkedEventsGauge(registry: Registry, legacy: Pool, logger: Logger): void {
  const oldest = new Gauge({
    name: 'strangler_cdc_parked_event_age_seconds',
    help: 'Age of the oldest context event the reverse sync parked until its legacy row exists (0 when none)',
    registers: [registry],
  });
  new Gauge({
    name: 'strangler_cdc_parked_events',
    help: 'Context events the reverse sync parked until their legacy row exists',
    registers: [registry],
    async collect() {
      try {
        const { rows } = await legacy.query<{ parked: string; age: number | null }>(
          'SELECT count(*) AS parked, extract(epoch FROM now() - min(parked_at))::float8 AS age FROM strangler_sync.pending_events',
        );
        this.set(Number(rows[0]!.parked));
        oldest.set(rows[0]!.age ?? 0);
      } catch (error) {
        // A scrape must not fail because legacy is briefly unreachable; the sync's own health says so.
        logger.warn({ err: error }, 'could not count the parked events');
      }
    },
  });
}
