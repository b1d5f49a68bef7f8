// What the reverse sync's integration tests share: a sandbox capturing both legacy and the outboxes, the
// real user-service over HTTP on the sandbox's user_service, and the cdc workers (both directions).
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createUserServiceApp } from '../../user-service/app';
import { startCdcWorkers, type CdcWorkers } from '../cdc-workers';
import { backlogOf } from '../health/backlog';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../kafka/kafkajs-event-log';
import type { Context, Stage } from '../ownership/ownership-map';
import { setStage } from '../ownership/stage-store';
import { startSyncSandbox, type SyncSandbox } from '../test/sync-sandbox';
import { until } from '../test/until';

export { until };

export const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });


export interface ReverseSyncFixture {
  sandbox: SyncSandbox;
  legacy: Pool;
  userService: Pool;
  control: Pool;
  eventLog: KafkajsEventLog;
  /**
   * The test's own client for offsets: kafkajs 2.2.4's admin fails now and then with "request is not a
   * function" when two callers (here the workers' backlog timer and a test's probe) share it concurrently.
   */
  probeLog: KafkajsEventLog;
  workers: CdcWorkers;
  groups: { forward: string; reverse: string };
  call(method: string, path: string, json?: unknown): Promise<{ status: number; body: any }>;
  /** The legacy row with its timestamps read as the UTC instants they are by convention. */
  legacyRow(id: number): Promise<Record<string, any> | undefined>;
  stages(stages: Partial<Record<Context, Stage>>): Promise<void>;
  /** Events the groups have not committed yet, both directions. */
  backlogs(): Promise<{ forward: number; reverse: number }>;
  stop(): Promise<void>;
}

export async function startReverseSyncFixture(clientId: string): Promise<ReverseSyncFixture> {
  const sandbox = await startSyncSandbox({}, { captureOutboxes: true });
  const legacy = new Pool({ connectionString: sandbox.admin.legacy, max: 2 });
  const userService = new Pool({ connectionString: sandbox.admin.userService, max: 2 });
  const control = new Pool({ connectionString: sandbox.admin.control, max: 2 });
  const servicePool = new Pool({ connectionString: sandbox.userServiceLogin, max: 4 });
  const server: Server = createUserServiceApp({ pool: servicePool, logger, registry: new Registry(), bcryptCost: 4 }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv(clientId), logger);
  const probeLog = new KafkajsEventLog(kafkaSettingsFromEnv(`${clientId}-probe`), logger);
  const groups = { forward: `${sandbox.name}-forward`, reverse: `${sandbox.name}-reverse` };
  const workers = await startCdcWorkers({
    config: sandbox.config,
    eventLog,
    logger,
    registry: new Registry(),
    forwardGroup: groups.forward,
    legacyUsersTopic: sandbox.usersTopic,
    reverseGroup: groups.reverse,
    contextEventTopics: sandbox.contextEventTopics,
  });

  return {
    sandbox,
    legacy,
    userService,
    control,
    eventLog,
    probeLog,
    workers,
    groups,
    async call(method, path, json) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: json === undefined ? {} : { 'content-type': 'application/json' },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async legacyRow(id) {
      const { rows } = await legacy.query(
        `SELECT usr_id, email_addr, pwd_hash, acct_stat_cd, disp_nm, bio_txt, avatar_url, pref_lang, pref_tz, email_optin_flg, theme_cd,
                last_login_ts AT TIME ZONE 'UTC' AS last_login_ts, created_ts AT TIME ZONE 'UTC' AS created_ts, updated_ts AT TIME ZONE 'UTC' AS updated_ts
           FROM public.users WHERE usr_id = $1`,
        [id],
      );
      return rows[0];
    },
    async stages(stages) {
      for (const [context, stage] of Object.entries(stages)) await setStage(control, context as Context, stage);
    },
    async backlogs() {
      return {
        forward: await backlogOf(probeLog, groups.forward, [sandbox.usersTopic]),
        reverse: await backlogOf(probeLog, groups.reverse, [...sandbox.contextEventTopics]),
      };
    },
    async stop() {
      await workers.stop();
      await eventLog.close();
      await probeLog.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([legacy.end(), userService.end(), control.end(), servicePool.end()]);
      await sandbox.stop();
    },
  };
}
