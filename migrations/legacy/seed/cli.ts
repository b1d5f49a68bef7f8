import { Command, InvalidArgumentError } from 'commander';
import { defaultDatabaseUrl, migrationSets } from '../../migration-sets';
import { migrateLegacy } from '../../migrate';
import { DEFAULT_SEED, LegacyUsersNotEmptyError, seedLegacyUsers } from './seed-legacy-users';
import { SEED_PASSWORD_POOL_SIZE } from './password-pool';

function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a non-negative integer');
  return Number(value);
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('seed:legacy')
    .description(
      'Fills the legacy users table with deterministic, realistic users (and their legacy dirt).\n' +
        `User number n logs in with seed-password-NN, NN = (n - 1) mod ${SEED_PASSWORD_POOL_SIZE}, zero-padded.`,
    )
    .requiredOption('--count <n>', 'how many users', nonNegativeInteger)
    .option('--seed <s>', 'random seed: the same seed gives the same users', nonNegativeInteger, DEFAULT_SEED)
    .option('--reset', 'truncate users and restart its id sequence first', false)
    .option('--database-url <url>', 'legacy database (default LEGACY_DATABASE_URL, then the stack)')
    .action(async (options: { count: number; seed: number; reset: boolean; databaseUrl?: string }) => {
      const databaseUrl = options.databaseUrl ?? defaultDatabaseUrl(migrationSets.legacy);
      await migrateLegacy(databaseUrl);
      try {
        const summary = await seedLegacyUsers({
          databaseUrl,
          count: options.count,
          seed: options.seed,
          reset: options.reset,
          onProgress: ({ inserted, total }) => process.stderr.write(`seeded ${inserted}/${total} users\n`),
        });
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      } catch (error) {
        if (error instanceof LegacyUsersNotEmptyError) return program.error(`${error.message} (--reset)`);
        throw error;
      }
    });
  await program.parseAsync(argv);
}

main(process.argv).catch((error: unknown) => {
  process.stderr.write(`seeding failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
