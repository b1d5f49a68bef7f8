import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { runMigrationSet } from '../../../migrations/migrate';
import { migrationSets } from '../../../migrations/migration-sets';
import { dropDatabase, endPool, throwawayDatabaseUrl } from '../../../migrations/test/throwaway-database';
import { createAdminApp } from '../admin-app';
import { loadAdminSettings, type AdminSettings } from '../admin-settings';

export const TEST_TOKEN = 'test-admin-token';

export interface AdminResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  readonly body: any;
}

export interface AdminHarness {
  readonly baseUrl: string;
  readonly controlUrl: string;
  /** The control plane the app writes, for assertions and for planting facts (comparisons, verify runs). */
  readonly control: Pool;
  readonly logLines: string[];
  /** Authorised with TEST_TOKEN unless `token` says otherwise (null: no Authorization header). */
  request(method: string, path: string, options?: { json?: unknown; body?: string; headers?: Record<string, string>; token?: string | null }): Promise<AdminResponse>;
  /** Every context back in `legacy`, no hold, and no audit, comparisons, samples or verify runs: a test's clean start. */
  resetControlPlane(): Promise<void>;
  stop(): Promise<void>;
}

export interface AdminHarnessOptions {
  /** An already migrated control database (a sync sandbox's); a throwaway one is made otherwise. */
  controlUrl?: string;
  cdcUrl?: string;
  /** undefined: TEST_TOKEN; null: no token configured. */
  token?: string | null;
  settings?: Partial<AdminSettings>;
}

/** A port nothing listens on: a cdc that is down. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** The admin app on an ephemeral port over a freshly migrated control database. */
export async function startAdminHarness(options: AdminHarnessOptions = {}): Promise<AdminHarness> {
  const ownDatabase = options.controlUrl === undefined;
  const controlUrl = options.controlUrl ?? throwawayDatabaseUrl('strangler_admin_it');
  if (ownDatabase) await runMigrationSet(migrationSets.control, controlUrl);
  const control = new Pool({ connectionString: controlUrl, max: 6 });
  const token = options.token === null ? undefined : (options.token ?? TEST_TOKEN);
  const cdcUrl = options.cdcUrl ?? (await closedPortUrl());
  const settings: AdminSettings = { ...loadAdminSettings({}), token, cdcUrl, holdConfirmTimeoutMs: 5000, cdcTimeoutMs: 1000, ...options.settings };
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const app = createAdminApp({ control, token, cdcUrl, logger, clock: () => new Date(), registry: new Registry(), health: () => ({ healthy: true }), settings });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    controlUrl,
    control,
    logLines,
    async resetControlPlane() {
      await control.query('TRUNCATE control.audit_log, control.shadow_comparisons, control.shadow_mismatches, control.verify_runs CASCADE');
      await control.query("UPDATE control.context_stages SET stage = 'legacy', canary_percent = 0, version = 1, changed_at = now(), writes_held_since = NULL, writes_held_reason = NULL");
    },
    async request(method, path, { json, body, headers = {}, token: given } = {}) {
      const bearer = given === undefined ? TEST_TOKEN : given;
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }), ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(json !== undefined ? { body: JSON.stringify(json) } : body !== undefined ? { body } : {}),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined; // left undefined: the assertions on `body` then fail and show `text`
      }
      return { status: response.status, contentType: response.headers.get('content-type'), text, body: parsed };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await endPool(control);
      if (ownDatabase) await dropDatabase(controlUrl);
    },
  };
}
