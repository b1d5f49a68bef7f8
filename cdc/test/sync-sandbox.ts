import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrateForSync } from '../../migrations/migrate';
import { dropDatabase, testServerUrl } from '../../migrations/test/throwaway-database';
import { loadCdcConfig, type CdcConfig } from '../config';
import { readConnectorFile, registerConnector, waitForConnectorRunning } from '../connectors/kafka-connect';
import { defaultConnectUrl } from '../connectors/register';
import { SYNC_ROLE } from '../../migrations/cdc/sync-role';

/**
 * Throwaway legacy, user_service and control databases with their own capture: the real connector file,
 * renamed (connector, slot, publication, topic prefix) so that tests never see each other's rows or
 * events, nor ids that an earlier run reused.
 */
export interface SyncSandbox {
  name: string;
  admin: { legacy: string; userService: string; control: string };
  usersTopic: string;
  /** A cdc configuration pointing at the sandbox (sync role for the workers, owners for migrations). */
  config: CdcConfig;
  stop(): Promise<void>;
}

function databaseUrl(name: string, user = 'postgres'): string {
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  url.username = user;
  return url.toString();
}

export async function startSyncSandbox(env: NodeJS.ProcessEnv = {}): Promise<SyncSandbox> {
  const name = `sync_${randomBytes(5).toString('hex')}`;
  const admin = { legacy: databaseUrl(`${name}_legacy`), userService: databaseUrl(`${name}_user_service`), control: databaseUrl(`${name}_control`) };
  await migrateForSync(admin);

  const connectUrl = defaultConnectUrl();
  const template = await readConnectorFile(join(__dirname, '..', 'connectors', 'legacy-users.json'));
  const connector = {
    name: `${template.name}-${name}`,
    config: {
      ...template.config,
      'database.dbname': `${name}_legacy`,
      'topic.prefix': name,
      'slot.name': name,
      'publication.name': `${name}_pub`,
    },
  };
  await registerConnector(connectUrl, connector);
  await waitForConnectorRunning(connectUrl, connector.name);

  const config = loadCdcConfig({
    ...process.env,
    CDC_PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...env,
    CDC_LEGACY_DATABASE_URL: databaseUrl(`${name}_legacy`, SYNC_ROLE),
    CDC_USER_SERVICE_DATABASE_URL: databaseUrl(`${name}_user_service`, SYNC_ROLE),
    STRANGLER_CONTROL_DATABASE_URL: admin.control,
    LEGACY_DATABASE_URL: admin.legacy,
    USER_SERVICE_ADMIN_DATABASE_URL: admin.userService,
  });

  return {
    name,
    admin,
    usersTopic: `${name}.public.users`,
    config,
    async stop() {
      await fetch(`${connectUrl}/connectors/${encodeURIComponent(connector.name)}`, { method: 'DELETE' });
      await dropReplicationSlot(name);
      await Promise.all(Object.values(admin).map((url) => dropDatabase(url)));
    },
  };
}

/** The deleted connector's task may hold its slot a moment longer; an active slot blocks DROP DATABASE. */
async function dropReplicationSlot(slot: string): Promise<void> {
  const client = new Client({ connectionString: testServerUrl() });
  await client.connect();
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await client.query<{ active_pid: number | null }>('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      if (rows.length === 0) return;
      if (rows[0]!.active_pid !== null) await client.query('SELECT pg_terminate_backend($1)', [rows[0]!.active_pid]);
      try {
        await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await client.end();
  }
}
