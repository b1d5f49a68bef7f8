import type { Knex } from 'knex';
import { createContextSchema, createOutboxTable, dropContextSchema } from '../context-schema';

export async function up(knex: Knex): Promise<void> {
  await createContextSchema(knex, 'preferences', 'strangler_preferences');
  await createOutboxTable(knex, 'preferences');
}

export async function down(knex: Knex): Promise<void> {
  await dropContextSchema(knex, 'preferences', 'strangler_preferences');
}
