import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { Pool } from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { migrateLegacy } from '../../migrations/migrate';
import { dropDatabase, throwawayDatabaseUrl, endPool } from '../../migrations/test/throwaway-database';
import { createLegacyApp } from '../app';

export const TEST_BCRYPT_COST = 4;

export interface LegacyResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  /** The parsed JSON body, or undefined when there is none. */
  readonly body: any;
}

/** A failure as the contract shapes it: status, stable code, a message, JSON, and no stack trace or HTML. */
export function expectFailure(response: LegacyResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
  expect(typeof response.body.error.message).toBe('string');
  expect(response.contentType).toMatch(/^application\/json/);
  expect(response.text).not.toMatch(/<html|\bat .+\.(ts|js):\d+/i);
}

export interface UserRowSeed {
  email_addr?: string;
  pwd_hash?: string;
  acct_stat_cd?: string;
  disp_nm?: string | null;
  bio_txt?: string | null;
  avatar_url?: string | null;
  pref_lang?: string | null;
  pref_tz?: string | null;
  email_optin_flg?: string | null;
  theme_cd?: string | null;
}

/** A legacy app on an ephemeral port over its own freshly migrated database. */
export interface LegacyHarness {
  readonly baseUrl: string;
  readonly databaseUrl: string;
  readonly pool: Pool;
  readonly registry: Registry;
  /** Every log line the app wrote, as raw JSON text. */
  readonly logLines: string[];
  request(method: string, path: string, options?: { json?: unknown; body?: string; headers?: Record<string, string> }): Promise<LegacyResponse>;
  insertUser(row?: UserRowSeed): Promise<number>;
  userRow(id: number): Promise<Record<string, unknown> | undefined>;
  stop(): Promise<void>;
}

let insertedUsers = 0;

export async function startLegacyHarness(): Promise<LegacyHarness> {
  const databaseUrl = throwawayDatabaseUrl('legacy_it');
  await migrateLegacy(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 10 });
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const registry = new Registry();
  const server: Server = createLegacyApp({ pool, logger, registry, bcryptCost: TEST_BCRYPT_COST }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    databaseUrl,
    pool,
    registry,
    logLines,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      let body = options.body;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await response.text();
      const contentType = response.headers.get('content-type');
      return { status: response.status, contentType, text, body: contentType?.includes('json') && text ? JSON.parse(text) : undefined };
    },
    async insertUser(row = {}) {
      insertedUsers += 1;
      const values = {
        email_addr: `user${insertedUsers}.${Date.now()}@example.com`,
        pwd_hash: '$2b$04$invalidinvalidinvalidinOQ7lG2uVxxd4w2mgFE8G/jdk1ZRo8e.2',
        acct_stat_cd: 'A',
        ...row,
      };
      const columns = Object.keys(values);
      const { rows } = await pool.query<{ usr_id: string }>(
        `insert into public.users (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')}) returning usr_id`,
        Object.values(values),
      );
      return Number(rows[0]?.usr_id);
    },
    async userRow(id) {
      const { rows } = await pool.query('select * from public.users where usr_id = $1', [id]);
      return rows[0];
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      await endPool(pool);
      await dropDatabase(databaseUrl);
    },
  };
}
