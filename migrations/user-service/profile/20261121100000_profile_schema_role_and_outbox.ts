import type { Knex } from 'knex';
import { createContextSchema, createOutboxTable, dropContextSchema } from '../context-schema';

export async function up(knex: Knex): Promise<void> {
  await createContextSchema(knex, 'profile', 'strangler_profile');
  await createOutboxTable(knex, 'profile');
}

export async function down(knex: Knex): Promise<void> {
  await dropContextSchema(knex, 'profile', 'strangler_profile');
}
