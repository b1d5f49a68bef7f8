import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrateForSync } from '../../migrations/migrate';
import { dropDatabase, testServerUrl } from '../../migrations/test/throwaway-database';
import type { CdcOptions } from '../cdc-workers';
import { loadCdcConfig, type CdcConfig } from '../config';
import { until } from './until';
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
  /**
   * The user_service outboxes' event topics, routed like the real ones (account, profile, preferences),
   * when the sandbox was started with `captureOutboxes`; empty otherwise.
   */
  contextEventTopics: readonly string[];
  /** The renamed connectors' replication slots, for startCdcWorkers' drain (reverse: with captureOutboxes). */
  slots: { forward: string; reverse: string | undefined };
  /** The sandbox's user_service as the service logs in (strangler_user_service), for createUserServiceApp. */
  userServiceLogin: string;
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

export interface SandboxOptions {
  /** Also capture the sandbox's user_service outboxes with a renamed copy of user-service-outbox.json. */
  captureOutboxes?: boolean;
}

const OUTBOX_AGGREGATES = ['account', 'profile', 'preferences'] as const;

export async function startSyncSandbox(env: NodeJS.ProcessEnv = {}, options: SandboxOptions = {}): Promise<SyncSandbox> {
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
  const connectors = [{ name: connector.name, slot: name }];

  let contextEventTopics: string[] = [];
  if (options.captureOutboxes) {
    const outboxTemplate = await readConnectorFile(join(__dirname, '..', 'connectors', 'user-service-outbox.json'));
    const slot = `${name}_outbox`;
    const outbox = {
      name: `${outboxTemplate.name}-${name}`,
      config: {
        ...outboxTemplate.config,
        'database.dbname': `${name}_user_service`,
        'topic.prefix': slot,
        'slot.name': slot,
        'publication.name': `${slot}_pub`,
        // The router only sees tables whose capture topic matches, and that topic carries the prefix.
        'predicates.isOutboxTable.pattern': `${slot}\\.(identity|profile|preferences)\\.outbox`,
        'transforms.outbox.route.topic.replacement': `${name}.\${routedByValue}.events`,
      },
    };
    await registerConnector(connectUrl, outbox);
    await waitForConnectorRunning(connectUrl, outbox.name);
    connectors.push({ name: outbox.name, slot });
    contextEventTopics = OUTBOX_AGGREGATES.map((aggregate) => `${name}.${aggregate}.events`);
  }

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
    contextEventTopics,
    slots: { forward: name, reverse: options.captureOutboxes ? `${name}_outbox` : undefined },
    userServiceLogin: databaseUrl(`${name}_user_service`, 'strangler_user_service'),
    config,
    async stop() {
      for (const { name: connectorName, slot } of connectors) {
        await fetch(`${connectUrl}/connectors/${encodeURIComponent(connectorName)}`, { method: 'DELETE' });
        await dropReplicationSlot(slot);
      }
      await Promise.all(Object.values(admin).map((url) => dropDatabase(url)));
    },
  };
}

/** The deleted connector's task may hold its slot a moment longer; an active slot blocks DROP DATABASE. */
export async function dropReplicationSlot(slot: string): Promise<void> {
  const client = new Client({ connectionString: testServerUrl() });
  await client.connect();
  let lastError = '';
  try {
    await until(`replication slot ${slot} to be dropped`, async () => {
      const { rows } = await client.query<{ active_pid: number | null }>('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      if (rows.length === 0) return true;
      if (rows[0]!.active_pid !== null) await client.query('SELECT pg_terminate_backend($1)', [rows[0]!.active_pid]);
      try {
        await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
        return true;
      } catch (error) {
        lastError = (error as Error).message;
        return undefined;
      }
    }, { timeoutMs: 30_000, everyMs: 200, diagnostics: () => lastError });
  } finally {
    await client.end();
  }
}

/**
 * What startCdcWorkers needs to run both directions on a sandbox started with `captureOutboxes`: its own
 * groups, topics and slots, never the shared stack's.
 */
export function bothDirectionsOn(sandbox: SyncSandbox): Pick<CdcOptions, 'forwardGroup' | 'legacyUsersTopic' | 'reverseGroup' | 'contextEventTopics' | 'forwardSlot' | 'reverseSlot'> {
  if (!sandbox.slots.reverse) throw new Error('the sandbox captures no outboxes: start it with { captureOutboxes: true }');
  return {
    forwardGroup: `${sandbox.name}-forward`,
    legacyUsersTopic: sandbox.usersTopic,
    reverseGroup: `${sandbox.name}-reverse`,
    contextEventTopics: sandbox.contextEventTopics,
    forwardSlot: sandbox.slots.forward,
    reverseSlot: sandbox.slots.reverse,
  };
}
