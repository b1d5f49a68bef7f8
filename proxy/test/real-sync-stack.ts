// The whole path a client's data takes, for the proxy's integration tests: a sync sandbox (throwaway legacy,
// user_service and control databases with their own Debezium connectors), both sync directions, and the
// legacy and user-service apps on the sandbox's databases; the proxy goes in front of the two apps.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { startCdcWorkers, type CdcWorkers } from '../../cdc/cdc-workers';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../../cdc/kafka/kafkajs-event-log';
import { bothDirectionsOn, startSyncSandbox, type SyncSandbox } from '../../cdc/test/sync-sandbox';
import { createLegacyApp } from '../../legacy/app';
import { endPool } from '../../migrations/test/throwaway-database';
import { createUserServiceApp } from '../../user-service/app';
import { WriteOwnership } from '../../user-service/platform/write-ownership';
import { TEST_TOKEN } from '../admin/test/admin-harness';
import { startControlPlane, testLogger, type ControlPlane } from './proxy-harness';

/** One request a backend answered, as a probe in front of it saw it end. */
export interface BackendAnswer {
  readonly side: 'legacy' | 'new';
  readonly method: string;
  readonly url: string;
  /** The `x-test-request` header the test gave the request, if any. */
  readonly tag: string | undefined;
  readonly status: number;
  /** Wall-clock time the answer was finished (comparable with the control plane's timestamps: one host). */
  readonly at: number;
}

export interface RealSync {
  readonly sandbox: SyncSandbox;
  readonly workers: CdcWorkers;
  readonly cdcUrl: string;
  readonly legacyUrl: string;
  readonly newServiceUrl: string;
  readonly control: ControlPlane;
  /** The sandbox's databases as their owners, for planting differences and for assertions. */
  readonly legacyAdmin: Pool;
  readonly userServiceAdmin: Pool;
  readonly userServiceRegistry: Registry;
  /** Every answer either backend finished, in order. */
  readonly answers: BackendAnswer[];
  stop(): Promise<void>;
}

async function listen(app: Express): Promise<{ server: Server; url: string }> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The app behind a probe that records each answer: the test's view of who served what, nothing changed. */
function probed(side: BackendAnswer['side'], app: Express, answers: BackendAnswer[]): Express {
  const probe = express();
  probe.use((req, res, next) => {
    res.once('finish', () => {
      const tag = req.headers['x-test-request'];
      answers.push({ side, method: req.method, url: req.originalUrl, tag: typeof tag === 'string' ? tag : undefined, status: res.statusCode, at: Date.now() });
    });
    next();
  });
  probe.use(app);
  return probe;
}

export interface RealSyncOptions {
  /** The user-service refuses writes of contexts it does not own, as `user-service/main.ts` runs it. */
  readonly writeOwnership?: boolean;
}

export async function startRealSync(name: string, options: RealSyncOptions = {}): Promise<RealSync> {
  // Both directions: users signed up on the new side reach legacy through the reverse sync. The token lets
  // an admin harness drain the sandbox's syncs.
  const sandbox = await startSyncSandbox({ STRANGLER_ADMIN_TOKEN: TEST_TOKEN }, { captureOutboxes: true });
  const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv(`proxy-${name}`), testLogger);
  const workers = await startCdcWorkers({ config: sandbox.config, eventLog, logger: testLogger, registry: new Registry(), ...bothDirectionsOn(sandbox) });
  const legacyPool = new Pool({ connectionString: sandbox.admin.legacy, max: 10 });
  const userServicePool = new Pool({ connectionString: sandbox.userServiceLogin, max: 10 });
  const legacyAdmin = new Pool({ connectionString: sandbox.admin.legacy, max: 2 });
  const userServiceAdmin = new Pool({ connectionString: sandbox.admin.userService, max: 2 });
  const ownershipPool = new Pool({ connectionString: sandbox.admin.control, max: 2 });
  const userServiceRegistry = new Registry();
  const answers: BackendAnswer[] = [];
  const writeOwnership = options.writeOwnership ? new WriteOwnership({ control: ownershipPool, logger: testLogger, registry: userServiceRegistry }) : undefined;
  const legacy = await listen(probed('legacy', createLegacyApp({ pool: legacyPool, logger: testLogger, registry: new Registry(), bcryptCost: 4 }), answers));
  const userService = await listen(probed('new', createUserServiceApp({ pool: userServicePool, logger: testLogger, registry: userServiceRegistry, bcryptCost: 4, ...(writeOwnership ? { writeOwnership } : {}) }), answers));
  const control = await startControlPlane(sandbox.admin.control, true);
  return {
    sandbox,
    workers,
    cdcUrl: `http://127.0.0.1:${workers.port}`,
    legacyUrl: legacy.url,
    newServiceUrl: userService.url,
    control,
    legacyAdmin,
    userServiceAdmin,
    userServiceRegistry,
    answers,
    async stop() {
      await Promise.all([close(legacy.server), close(userService.server)]);
      await workers.stop();
      await eventLog.close();
      await control.stop();
      for (const pool of [legacyPool, userServicePool, legacyAdmin, userServiceAdmin, ownershipPool]) await endPool(pool);
      await sandbox.stop();
    },
  };
}
