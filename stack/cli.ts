/**
 * npm run stack:up | stack:down [-- --purge [--all]] | stack:status [-- --json]
 * Progress goes to stderr; `status` prints its report on stdout.
 */
import { Command } from 'commander';
import { createStackLogger } from './log';
import { type StackStatus, stackDown, stackStatus, stackUp } from './native-stack';

function formatStatus(st: StackStatus): string {
  const lines: string[] = [];
  for (const c of st.components) {
    const pid = c.pid !== undefined ? `pid ${c.pid}` : '-';
    lines.push(`${c.name.padEnd(9)} ${c.state.padEnd(9)} ${pid.padEnd(12)} 127.0.0.1:${c.port}`);
  }
  if (st.connectors) {
    if (st.connectors.length === 0) lines.push('connectors: none registered');
    for (const k of st.connectors) {
      const tasks = k.tasks.map((t) => `task ${t.id} ${t.state}`).join(', ');
      lines.push(`connector ${k.name}: ${k.state}${tasks ? ` (${tasks})` : ''}`);
    }
  }
  if (st.versions) lines.push(`versions: Kafka ${st.versions.kafka}, Debezium ${st.versions.debezium}, log4j2 ${st.versions.log4j2}`);
  lines.push(`stack dir: ${st.stackDir}`);
  lines.push(st.allUp ? 'all up' : 'NOT all up');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const log = createStackLogger();
  let exitCode = 0;
  const program = new Command()
    .name('stack')
    .description('The native dev/test stack: PostgreSQL 15, Kafka (KRaft) and Kafka Connect with Debezium, on 127.0.0.1')
    .showHelpAfterError();

  program
    .command('up')
    .description('start whatever is not running and wait until everything is ready')
    .option('--with-prometheus', 'also run Prometheus on 127.0.0.1:29090, scraping every service (env STRANGLER_PROMETHEUS=1)')
    .action(async (o: { withPrometheus?: boolean }) => {
      const r = await stackUp({ logger: log, ...(o.withPrometheus ? { prometheus: true } : {}) });
      const fmt = (c: { pid: number; started: boolean }) => `pid ${c.pid}${c.started ? ' (started)' : ' (already running)'}`;
      const prometheus = r.prometheus ? `, prometheus ${fmt(r.prometheus)} at ${r.prometheus.url}` : '';
      log.info(`postgres ${fmt(r.postgres)}, kafka ${fmt(r.kafka)}, connect ${fmt(r.connect)}${prometheus}; ready in ${r.seconds}s`);
    });

  program
    .command('down')
    .description('stop Prometheus (if it runs), Connect, the broker and PostgreSQL; keeps data unless --purge')
    .option('--purge', 'also delete data, configs and logs (keeps downloaded jars)')
    .option('--all', 'with --purge: delete the whole stack folder, jars included')
    .action(async (o: { purge?: boolean; all?: boolean }) => {
      if (o.all && !o.purge) throw new Error('--all only makes sense with --purge');
      await stackDown({ logger: log, purge: Boolean(o.purge), all: Boolean(o.all) });
    });

  program
    .command('status')
    .description('report what runs; exit 0 only if everything is up')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const st = await stackStatus();
      process.stdout.write((o.json ? JSON.stringify(st, null, 2) : formatStatus(st)) + '\n');
      exitCode = st.allUp ? 0 : 1;
    });

  await program.parseAsync(argv);
  return exitCode;
}

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`stack: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
