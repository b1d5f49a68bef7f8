import type { Knex } from 'knex';
import { createContextSchema, createOutboxTable, dropContextSchema } from '../context-schema';

export async function up(knex: Knex): Promise<void> {
  await createContextSchema(knex, 'identity', 'strangler_identity');
  await createOutboxTable(knex, 'identity');
}

export async function down(knex: Knex): Promise<void> {
  await dropContextSchema(knex, 'identity', 'strangler_identity');
}
