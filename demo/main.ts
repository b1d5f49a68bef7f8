// The demo, at the walking-skeleton stage: the real stack, the monolith with its seeded users, and
// Debezium capturing every write. Later stages add the user service, the sync and the proxy walk.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { Pool } from 'pg';
import pino from 'pino';
import { stackUp, stackDown, stackSettings, stackPaths } from '../stack/native-stack';
import { waitFor } from '../stack/proc';
import { migrateLegacy } from '../migrations/migrate';
import { seedLegacyUsers } from '../migrations/legacy/seed/seed-legacy-users';
import { seedPassword } from '../migrations/legacy/seed/password-pool';
import { registerConnectors, defaultConnectUrl } from '../cdc/connectors/register';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../cdc/kafka/kafkajs-event-log';

const root = resolve(__dirname, '..');
const say = (line: string) => process.stdout.write(`${line}\n`);
const step = (n: number, total: number, what: string) => say(`\n[${n}/${total}] ${what}`);

interface DemoOptions { users: number; keep: boolean }

async function startLegacy(databaseUrl: string, port: number, logFile: string): Promise<ChildProcess> {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'legacy', 'main.ts')], {
    cwd: root,
    env: { ...process.env, LEGACY_DATABASE_URL: databaseUrl, LEGACY_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  await waitFor('legacy /healthz', async () => {
    if (child.exitCode !== null) throw new Error(`legacy exited with ${child.exitCode}; see ${logFile}`);
    // Refused connections are expected while it starts; only its exit ends the wait early.
    return fetch(`http://127.0.0.1:${port}/healthz`).then((res) => res.ok, () => false);
  }, 60_000);
  return child;
}

async function demo(options: DemoOptions): Promise<void> {
  const total = 5;
  const settings = stackSettings;
  const legacyUrl = process.env.LEGACY_DATABASE_URL ?? `postgres://postgres@127.0.0.1:${settings.pgPort}/legacy`;
  const legacyPort = Number(process.env.LEGACY_PORT ?? 8082);
  const logger = pino({ level: 'warn' });

  step(1, total, 'native stack: PostgreSQL (wal_level=logical), Kafka (KRaft), Kafka Connect with Debezium');
  const up = await stackUp();
  say(`    ready in ${up.seconds.toFixed(1)} s (Kafka ${up.versions.kafka}, Debezium ${up.versions.debezium})`);

  step(2, total, `legacy schema and ${options.users.toLocaleString('en')} seeded users, legacy dirt included`);
  await migrateLegacy(legacyUrl, { logger });
  const pool = new Pool({ connectionString: legacyUrl, max: 4 });
  try {
    const seeded = await seedLegacyUsers({ pool, count: options.users, reset: true,
      onProgress: ({ inserted, total: all }) => process.stdout.write(`\r    ${inserted.toLocaleString('en')} / ${all.toLocaleString('en')} users`) });
    say(`\n    ${seeded.inserted} users in ${(seeded.durationMs / 1000).toFixed(1)} s; dirt planted: ${JSON.stringify(seeded.dirt)}`);
  } finally {
    await pool.end();
  }

  step(3, total, 'Debezium connector for public.users (cdc/connectors/legacy-users.json)');
  await registerConnectors([join(root, 'cdc', 'connectors', 'legacy-users.json')], defaultConnectUrl());

  step(4, total, `the monolith on http://127.0.0.1:${legacyPort}`);
  const logFile = join(stackPaths(settings).logs, 'demo-legacy.log');
  await mkdir(stackPaths(settings).logs, { recursive: true });
  const legacy = await startLegacy(legacyUrl, legacyPort, logFile);
  try {
    step(5, total, 'a write through the legacy API, captured by Debezium');
    // The seed's user i logs in with seed-password i mod 16; some seeded accounts are suspended or dirty.
    let userId = 1;
    let account = { email: '', status: '' };
    for (; userId < 100; userId += 1) {
      account = (await (await fetch(`http://127.0.0.1:${legacyPort}/api/users/${userId}/account`)).json()) as typeof account;
      if (account.status === 'active') break;
    }
    const session = await fetch(`http://127.0.0.1:${legacyPort}/api/sessions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: account.email, password: seedPassword(userId - 1) }),
    });
    say(`    POST /api/sessions as seeded user ${userId} -> ${session.status}`);
    const displayName = `Demo ${randomUUID().slice(0, 8)}`;
    const patch = await fetch(`http://127.0.0.1:${legacyPort}/api/users/1/profile`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ displayName }),
    });
    say(`    PATCH /api/users/1/profile -> ${patch.status}`);
    const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv('strangler-demo'), logger);
    try {
      let seen = false;
      const consumer = eventLog.consumer({ groupId: `demo-${randomUUID()}`, topics: ['legacy.public.users'], fromBeginning: true });
      await consumer.run(async (messages) => {
        seen ||= messages.some((m) => m.value?.toString().includes(`"disp_nm":"${displayName}"`) ?? false);
      });
      await waitFor('the change event on legacy.public.users', () => seen, 60_000);
      say('    change event for usr_id 1 arrived on topic legacy.public.users');
    } finally {
      await eventLog.close();
    }
    const report = await (await fetch(`http://127.0.0.1:${legacyPort}/api/reports/users-by-status`)).json();
    say(`    GET /api/reports/users-by-status -> ${JSON.stringify(report)}`);

    say('\nSummary: stack up, legacy seeded and serving, Debezium streaming public.users into Kafka.');
    say('Built and runnable on their own: the user-service (npm run start:user-service), the sync workers');
    say('(npm run start:cdc) and the operator checks (npx strangler verify | resync). Not in this demo yet: the');
    say('routing proxy and the walk of every context through every migration stage under load.');
    if (options.keep) {
      say(`\n--keep: legacy stays on http://127.0.0.1:${legacyPort} (log: ${logFile}); the stack stays up.`);
      say('Stop with Ctrl-C here, then `npm run stack:down`.');
      await new Promise<void>((done) => process.once('SIGINT', () => done()));
    }
  } finally {
    legacy.kill('SIGTERM');
  }
  const startedHere = up.postgres.started || up.kafka.started || up.connect.started;
  if (!options.keep && startedHere) {
    say('\nstopping the native stack');
    await stackDown();
  }
}

new Command('demo')
  .description('Start the native stack and the monolith, seed it, and show Debezium capturing its writes.')
  .option('--users <n>', 'number of users to seed', (v) => Number.parseInt(v, 10), 10_000)
  .option('--keep', 'leave everything running for exploration', false)
  .parseAsync()
  .then((cmd) => demo(cmd.opts<DemoOptions>()))
  .catch((error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
