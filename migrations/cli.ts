import { Command } from 'commander';
import { defaultDatabaseUrl, findMigrationSet, migrationSets } from './migration-sets';
import { runMigrationSet } from './migrate';

export { ensureDatabase, migrateLegacy, migrateUserService, runMigrationSet } from './migrate';

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('migrate')
    .description('Creates the database if needed and applies one migration set.')
    .argument('<set>', `migration set: ${Object.keys(migrationSets).join(', ')}`)
    .option('--database-url <url>', 'target database (defaults to the set\'s env variable, then the stack)')
    .action(async (setName: string, options: { databaseUrl?: string }) => {
      const set = findMigrationSet(setName);
      if (!set) {
        return program.error(`unknown migration set "${setName}"; known: ${Object.keys(migrationSets).join(', ')}`);
      }
      const outcome = await runMigrationSet(set, options.databaseUrl ?? defaultDatabaseUrl(set));
      const created = outcome.createdDatabase ? ' (database created)' : '';
      const applied = outcome.applied.length ? outcome.applied.join(', ') : 'already up to date';
      process.stdout.write(`${outcome.set} on ${outcome.database}${created}: ${applied}\n`);
    });
  await program.parseAsync(argv);
}

if (require.main === module) {
  main(process.argv).catch((error: unknown) => {
    process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
