import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { readConnectorFile, registerConnector, waitForConnectorRunning } from './kafka-connect';

export const connectorsDir = resolve(__dirname);
export const defaultConnectUrl = (): string =>
  process.env.STRANGLER_CONNECT_URL ?? `http://127.0.0.1:${process.env.STRANGLER_CONNECT_PORT ?? '28083'}`;

export async function connectorFiles(): Promise<string[]> {
  return (await readdir(connectorsDir)).filter((f) => f.endsWith('.json')).sort().map((f) => join(connectorsDir, f));
}

/** Registers each file (create, update or leave unchanged) and waits until each runs. */
export async function registerConnectors(files: string[], connectUrl = defaultConnectUrl()): Promise<void> {
  for (const file of files) {
    const registration = await readConnectorFile(file);
    const { action } = await registerConnector(connectUrl, registration);
    await waitForConnectorRunning(connectUrl, registration.name);
    process.stderr.write(`connector ${registration.name}: ${action}, RUNNING\n`);
  }
}

if (require.main === module) {
  new Command('cdc:register')
    .description('Register the Debezium connectors with Kafka Connect (idempotent) and wait until they run.')
    .argument('[files...]', 'connector registration files (default: every JSON file in cdc/connectors)')
    .option('--connect-url <url>', 'Kafka Connect REST URL (env STRANGLER_CONNECT_URL)', defaultConnectUrl())
    .action(async (files: string[], opts: { connectUrl: string }) => {
      await registerConnectors(files.length > 0 ? files.map((f) => resolve(f)) : await connectorFiles(), opts.connectUrl);
    })
    .parseAsync()
    .catch((err: unknown) => {
      process.stderr.write(`cdc:register failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
