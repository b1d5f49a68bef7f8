/**
 * The native stack as the rest of the project relies on it: everything up, PostgreSQL configured for
 * logical decoding, Connect with the Debezium plugin and the env config provider, and `up` idempotent.
 */
import crypto from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { POSTGRES_CONNECTOR_CLASS, stackSettings, stackStatus, stackUp } from './native-stack';
import { createStackLogger } from './log';
import { waitFor } from './proc';

// Also set by stack/jest/integration-timeout.ts; repeated so this file does not depend on the jest config.
jest.setTimeout(120_000);

const s = stackSettings;
const connectUrl = `http://127.0.0.1:${s.connectPort}`;

async function pgQuery<T extends object>(database: string, sql: string): Promise<T[]> {
  const client = new Client({ host: '127.0.0.1', port: s.pgPort, user: 'postgres', database });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('native stack', () => {
  it('reports every component up with a pid and its port', async () => {
    const st = await stackStatus();
    expect(st.allUp).toBe(true);
    // Prometheus is optional (listed only while it runs or when asked); the three core components always are.
    expect(st.components.filter((c) => c.name !== 'prometheus').map((c) => [c.name, c.state, c.port])).toEqual([
      ['postgres', 'up', s.pgPort],
      ['kafka', 'up', s.kafkaPort],
      ['connect', 'up', s.connectPort],
    ]);
    for (const c of st.components) expect(c.pid).toEqual(expect.any(Number));
    expect(st.connectors).toEqual(expect.any(Array));
    expect(st.versions?.kafka).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('runs PostgreSQL with logical decoding and the project databases', async () => {
    const settings = await pgQuery<{ name: string; setting: string }>(
      'postgres',
      "SELECT name, setting FROM pg_settings WHERE name IN ('wal_level','synchronous_commit','max_connections','listen_addresses','max_replication_slots')",
    );
    expect(Object.fromEntries(settings.map((r) => [r.name, r.setting]))).toEqual({
      listen_addresses: '127.0.0.1',
      max_connections: '200',
      max_replication_slots: '10',
      synchronous_commit: 'on',
      wal_level: 'logical',
    });
    const dbs = (await pgQuery<{ datname: string }>('postgres', 'SELECT datname FROM pg_database')).map((r) => r.datname);
    expect(dbs).toEqual(expect.arrayContaining(['legacy', 'user_service']));
  });

  it('has Connect listing the Debezium PostgreSQL connector plugin', async () => {
    const res = await fetch(`${connectUrl}/connector-plugins`);
    expect(res.status).toBe(200);
    const plugins = (await res.json()) as Array<{ class: string; version: string }>;
    expect(plugins.map((p) => p.class)).toContain(POSTGRES_CONNECTOR_CLASS);
  });

  it('treats a second stackUp() as a no-op keeping the same pids', async () => {
    const before = await stackStatus();
    const quiet = createStackLogger('warn');
    const r = await stackUp({ logger: quiet });
    expect([r.postgres.started, r.kafka.started, r.connect.started]).toEqual([false, false, false]);
    const pids = (st: typeof before) => st.components.map((c) => c.pid);
    expect([r.postgres.pid, r.kafka.pid, r.connect.pid]).toEqual(pids(before));
    expect(pids(await stackStatus())).toEqual(pids(before));
  });

  it('streams a table through a Debezium connector configured with ${env:...} placeholders', async () => {
    const run = crypto.randomBytes(4).toString('hex');
    const db = `stack_selftest_${run}`;
    const name = `stack-selftest-${run}`;
    const prefix = `stackselftest_${run}`;
    const topic = `${prefix}.public.items`;
    const kafka = new Kafka({ clientId: name, brokers: [`127.0.0.1:${s.kafkaPort}`], logLevel: logLevel.WARN });
    const consumer = kafka.consumer({ groupId: name, maxWaitTimeInMs: 250 });
    const admin = kafka.admin();

    await pgQuery('postgres', `CREATE DATABASE ${db}`);
    try {
      await pgQuery(db, "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL); INSERT INTO items VALUES (1, 'snapshot-row')");
      const config = {
        'connector.class': POSTGRES_CONNECTOR_CLASS,
        'tasks.max': '1',
        'plugin.name': 'pgoutput',
        'database.hostname': '${env:STRANGLER_CDC_DB_HOST}',
        'database.port': '${env:STRANGLER_CDC_DB_PORT}',
        'database.user': '${env:STRANGLER_CDC_DB_USER}',
        'database.password': '${env:STRANGLER_CDC_DB_PASSWORD}',
        'database.dbname': db,
        'topic.prefix': prefix,
        'table.include.list': 'public.items',
        'slot.name': db,
        'slot.drop.on.stop': 'true',
        'publication.name': `${db}_pub`,
        'publication.autocreate.mode': 'filtered',
        'snapshot.mode': 'initial',
      };
      const put = await fetch(`${connectUrl}/connectors/${name}/config`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(config),
      });
      expect(put.status).toBe(201);

      await waitFor(`connector ${name} and its task RUNNING`, async () => {
        const st = (await stackStatus()).connectors?.find((c) => c.name === name);
        if (st?.state === 'FAILED' || st?.tasks.some((t) => t.state === 'FAILED')) {
          const body = await (await fetch(`${connectUrl}/connectors/${name}/status`)).text();
          throw new Error(`connector failed: ${body}`);
        }
        return st?.state === 'RUNNING' && st.tasks.length === 1 && st.tasks[0]?.state === 'RUNNING';
      }, 60_000, 250);

      await admin.connect();
      await waitFor(`topic ${topic} to exist`, async () => (await admin.listTopics()).includes(topic), 60_000, 250);

      const events: Array<{ op: string; after: { id: number; v: string } | null }> = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value) events.push(JSON.parse(message.value.toString()) as (typeof events)[number]);
        },
      });
      await waitFor('the snapshot event', () => events.some((e) => e.op === 'r' && e.after?.v === 'snapshot-row'), 60_000);
      await pgQuery(db, "INSERT INTO items VALUES (2, 'streamed-row')");
      await waitFor('the streamed insert event', () => events.some((e) => e.op === 'c' && e.after?.v === 'streamed-row'), 60_000);
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await fetch(`${connectUrl}/connectors/${name}`, { method: 'DELETE' }).catch(() => undefined);
      // The slot stays active until the task has stopped; DROP DATABASE fails while it is.
      await waitFor(`replication slot ${db} to be released`, async () => {
        const rows = await pgQuery<{ active: boolean }>('postgres', `SELECT active FROM pg_replication_slots WHERE slot_name = '${db}'`);
        return rows.every((r) => !r.active);
      }, 60_000, 250);
      await pgQuery('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.connect();
      const leftovers = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`) || t === prefix);
      if (leftovers.length) await admin.deleteTopics({ topics: leftovers }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
