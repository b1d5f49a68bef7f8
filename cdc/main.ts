import { Client } from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { migrateForSync } from '../migrations/migrate';
import { SYNC_ROLE } from '../migrations/cdc/sync-role';
import { loadCdcConfig } from './config';
import { connectorFiles, registerConnectors } from './connectors/register';
import { startCdcWorkers } from './cdc-workers';
import { KafkajsEventLog } from './kafka/kafkajs-event-log';

/** Passwords belong to the environment, not to a migration that would write them into the repository. */
async function setSyncPassword(adminUrl: string, password: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`ALTER ROLE ${SYNC_ROLE} PASSWORD ${admin.escapeLiteral(password)}`);
  } finally {
    await admin.end();
  }
}

async function main(): Promise<void> {
  const config = loadCdcConfig(process.env);
  const logger = pino({ name: 'cdc', level: config.LOG_LEVEL });
  await migrateForSync({ control: config.STRANGLER_CONTROL_DATABASE_URL, legacy: config.LEGACY_DATABASE_URL, userService: config.USER_SERVICE_ADMIN_DATABASE_URL }, { logger });
  if (config.CDC_SYNC_DB_PASSWORD) await setSyncPassword(config.LEGACY_DATABASE_URL, config.CDC_SYNC_DB_PASSWORD);
  // The connectors capture tables the migrations above create; registering is idempotent.
  await registerConnectors(await connectorFiles(), config.STRANGLER_CONNECT_URL);
  const eventLog = new KafkajsEventLog({ brokers: config.STRANGLER_KAFKA_BROKERS.split(','), clientId: 'strangler-cdc' }, logger.child({ component: 'kafkajs' }));
  const workers = await startCdcWorkers({ config, eventLog, logger, registry: new Registry() });
  logger.info({ host: config.CDC_HOST, port: workers.port }, 'cdc workers running');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'cdc shutting down');
    workers.stop().then(() => eventLog.close()).then(
      () => logger.info('cdc stopped'),
      (error: unknown) => {
        logger.error({ err: error }, 'cdc did not stop cleanly');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  pino({ name: 'cdc' }).fatal({ err: error }, 'cdc failed to start');
  process.exitCode = 1;
});
