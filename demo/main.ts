// `npm run demo [-- --users N] [--interactive] [--keep] [--quick] [--prometheus] [--chaos]` (demo/launch.js installs
// the packages first when they are missing). Exits 0 only if no client request failed because of the
// migration, every acknowledged write is on both sides and `strangler verify` is clean.
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './run-demo';

function positiveInteger(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('expected a positive integer');
  return Number(value);
}

interface CliOptions {
  users?: number;
  interactive: boolean;
  keep: boolean;
  quick: boolean;
  prometheus: boolean;
  chaos: boolean;
}

new Command('demo')
  .description(
    'Walk identity, profile and preferences from legacy to retired under steady client traffic through the proxy, '
      + 'each promotion through the admin API\'s guards; then check every acknowledged write on both sides and run `strangler verify`.',
  )
  .option('--users <n>', 'legacy users to seed (default 10,000; 1,000 with --quick)', positiveInteger)
  .option('--interactive', 'pause before each promotion until Enter is pressed', false)
  .option('--keep', 'leave the services (and Prometheus) running at the end and print where to look', false)
  .option('--quick', '1,000 users and short phases (what the tests run)', false)
  .option('--prometheus', 'also run the stack\'s Prometheus (127.0.0.1:29090) scraping every service', false)
  .option('--chaos', 'run two proxy instances and two cdc processes, and inject faults one after another during the walk (PostgreSQL restart, Kafka Connect, cdc and proxy SIGKILLs, an admin and a cdc process killed mid-hand-over)', false)
  .addHelpText('after', '\nEnvironment: STRANGLER_ADMIN_TOKEN (generated per run when unset) and any variable the services read\n'
    + '(STRANGLER_GUARD_*, PROXY_*, ...) override the demo\'s defaults. Logs: .stack/logs/demo-*.log.')
  .parseAsync()
  .then(async (cmd) => {
    const options = cmd.opts<CliOptions>();
    const outcome = await runDemo(options);
    process.exitCode = outcome.ok ? 0 : 1;
    // --keep leaves children that are not ours to wait for; without it everything we started has stopped.
    if (options.keep) process.exit(process.exitCode);
  })
  .catch((error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
