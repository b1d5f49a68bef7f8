import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { migrateUserService } from '../../migrations/migrate';
import { dropDatabase, endPool, throwawayDatabaseUrl } from '../../migrations/test/throwaway-database';
import { createUserServiceApp } from '../app';
import type { WriteOwnership } from '../platform/write-ownership';

export const TEST_BCRYPT_COST = 4;

export interface ServiceResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly contentType: string | null;
  readonly text: string;
  /** The parsed JSON body, or undefined when there is none. */
  readonly body: any;
}

/** A failure as the contract shapes it: status, stable code, a message, JSON, no ETag, no stack trace or HTML. */
export function expectFailure(response: ServiceResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
  expect(typeof response.body.error.message).toBe('string');
  expect(response.contentType).toMatch(/^application\/json/);
  expect(response.headers.get('etag')).toBeNull();
  expect(response.text).not.toMatch(/<html|\bat .+\.(ts|js):\d+/i);
}

/** A user-service on an ephemeral port over its own freshly migrated throwaway database. */
export interface UserServiceHarness {
  readonly baseUrl: string;
  /** The schemas' owner: for assertions the service itself could not make (other contexts' tables, outboxes). */
  readonly admin: Pool;
  readonly registry: Registry;
  readonly logLines: string[];
  /** The clock the app reads; tests may move it. */
  now: Date;
  request(method: string, path: string, options?: { json?: unknown; body?: string; headers?: Record<string, string> }): Promise<ServiceResponse>;
  /** Runs one statement as `role`, as the unit of work does, and rolls back whatever it did. */
  asRole(role: string, sql: string, params?: unknown[]): Promise<unknown[]>;
  /** Outbox rows of one context, oldest first. */
  outbox(schema: 'identity' | 'profile' | 'preferences'): Promise<{ aggregatetype: string; aggregateid: string; type: string; payload: any }[]>;
  stop(): Promise<void>;
}

/** `writeOwnership`: the service's view of which contexts' writes it owns; without one, it serves every write. */
export async function startUserServiceHarness(options: { writeOwnership?: (registry: Registry) => WriteOwnership } = {}): Promise<UserServiceHarness> {
  const adminUrl = throwawayDatabaseUrl('user_service_it');
  await migrateUserService(adminUrl);
  const serviceUrl = new URL(adminUrl);
  serviceUrl.username = 'strangler_user_service';
  const pool = new Pool({ connectionString: serviceUrl.toString(), max: 10 });
  const admin = new Pool({ connectionString: adminUrl, max: 2 });
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const registry = new Registry();
  const harness = { now: new Date('2026-11-21T12:00:00.000Z') } as UserServiceHarness;
  const writeOwnership = options.writeOwnership?.(registry);
  const server: Server = createUserServiceApp({ pool, logger, registry, bcryptCost: TEST_BCRYPT_COST, clock: () => harness.now, ...(writeOwnership ? { writeOwnership } : {}) }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return Object.assign(harness, {
    baseUrl,
    admin,
    registry,
    logLines,
    async request(method: string, path: string, options: { json?: unknown; body?: string; headers?: Record<string, string> } = {}) {
      const headers: Record<string, string> = { ...options.headers };
      let body = options.body;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await response.text();
      const contentType = response.headers.get('content-type');
      return { status: response.status, headers: response.headers, contentType, text, body: contentType?.includes('json') && text ? JSON.parse(text) : undefined };
    },
    async asRole(role: string, sql: string, params: unknown[] = []) {
      const client = await admin.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL ROLE ${client.escapeIdentifier(role)}`);
        return (await client.query(sql, params)).rows;
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    },
    async outbox(schema: 'identity' | 'profile' | 'preferences') {
      const { rows } = await admin.query(`select aggregatetype, aggregateid, type, payload from ${schema}.outbox order by seq`);
      return rows;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      await endPool(pool);
      await endPool(admin);
      await dropDatabase(adminUrl);
    },
  });
}
