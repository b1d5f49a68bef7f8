import type { Knex } from 'knex';
import { SYNC_ROLE } from '../sync-role';

// How far the forward sync has got in each partition of the capture topic: the greatest WAL position a
// processed streamed change of the partition proves (cdc/forward/partition-progress.ts says why that is a
// proof) and the last offset processed. Written in each batch's transaction, so it is never ahead of what
// was applied; read by cdc's caught-up endpoint, which the proxy's read-your-writes pins ask.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE sync.forward_partitions (
      kafka_partition integer PRIMARY KEY,
      progress_lsn numeric(20) NOT NULL,
      kafka_offset numeric(20) NOT NULL,
      applied_at timestamptz NOT NULL
    )`);
  await knex.raw(`GRANT SELECT, INSERT, UPDATE ON sync.forward_partitions TO ${SYNC_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE sync.forward_partitions');
}
