// What the three sync benchmarks share: a throwaway sandbox (cdc/test/sync-sandbox.ts) with its own
// Debezium connector, a forward worker started as cdc/cdc-workers.ts starts it, and a sampler of the users
// topic's end offset against the worker group's committed offset.
import { join } from 'node:path';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startCdcWorkers, type CdcWorkers } from '../../cdc/cdc-workers';
import { readConnectorFile, registerConnector, waitForConnectorRunning } from '../../cdc/connectors/kafka-connect';
import { defaultConnectUrl } from '../../cdc/connectors/register';
import type { EventLog } from '../../cdc/kafka/event-log';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../../cdc/kafka/kafkajs-event-log';
import { dropReplicationSlot, startSyncSandbox, type SyncSandbox } from '../../cdc/test/sync-sandbox';
import { until } from '../../cdc/test/until';

export { until };

export interface BenchOptions {
  quick: boolean;
  /** Changes per second for the lag benchmark (default 1,000, the rate). */
  lagRate?: number;
  /** Changes per second for the steady apply-vs-produce benchmark (default 2,000). */
  steadyRate?: number;
  /** One progress line on stdout. */
  progress(line: string): void;
}

/** One benchmark's outcome: a ratio against a baseline measured in the same run, with the raw numbers. */
export interface BenchResult {
  name: string;
  ratio: { label: string; value: number; reading: string };
  baseline: { label: string; value: number; unit: string };
  measured: { label: string; value: number; unit: string };
  raw: Record<string, unknown>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


export interface SyncBench {
  sandbox: SyncSandbox;
  /** Admin (postgres) pools on the sandbox's databases. */
  legacy: Pool;
  userService: Pool;
  control: Pool;
  eventLog: EventLog;
  /** The users topic the forward worker reads: the sandbox's, or the one of a connector registered later. */
  usersTopic: string;
  group: string;
  registry: Registry;
  startForwardWorker(): Promise<CdcWorkers>;
  /** Events the topic holds (end offset) and the worker group has committed, summed over partitions. */
  offsets(): Promise<{ end: number; committed: number }>;
  /**
   * Deletes the sandbox's connector (it snapshotted an empty table) and points `usersTopic` at a renamed
   * copy that `register` creates later: its initial snapshot then reads what legacy holds at that moment.
   */
  recapture(): Promise<{ register(): Promise<{ registeredAt: number }> }>;
  close(): Promise<void>;
}

const logger = pino({ level: process.env.LOG_LEVEL ?? 'error' });

export async function openSyncBench(label: string): Promise<SyncBench> {
  const sandbox = await startSyncSandbox({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' });
  const legacy = new Pool({ connectionString: sandbox.admin.legacy, max: 4 });
  const userService = new Pool({ connectionString: sandbox.admin.userService, max: 2 });
  const control = new Pool({ connectionString: sandbox.admin.control, max: 1 });
  const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv(`bench-${label}`), logger);
  const registry = new Registry();
  const workers: CdcWorkers[] = [];
  const recaptured: { name: string; slot: string }[] = [];
  const connectUrl = defaultConnectUrl();

  const bench: SyncBench = {
    sandbox, legacy, userService, control, eventLog, registry,
    usersTopic: sandbox.usersTopic,
    group: `${sandbox.name}-bench-forward`,
    async startForwardWorker() {
      const started = await startCdcWorkers({ config: sandbox.config, eventLog, logger, registry, forwardGroup: bench.group, legacyUsersTopic: bench.usersTopic });
      workers.push(started);
      return started;
    },
    async offsets() {
      const [ends, committed] = await Promise.all([eventLog.endOffsets(bench.usersTopic), eventLog.committedOffsets(bench.group, bench.usersTopic)]);
      const sum = (parts: { offset: string }[]) => parts.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      return { end: sum(ends), committed: sum(committed) };
    },
    async recapture() {
      const template = await readConnectorFile(join(__dirname, '..', '..', 'cdc', 'connectors', 'legacy-users.json'));
      const original = `${template.name}-${sandbox.name}`;
      await fetch(`${connectUrl}/connectors/${encodeURIComponent(original)}`, { method: 'DELETE' });
      await dropReplicationSlot(sandbox.name);
      const prefix = `${sandbox.name}_re`;
      const connector = {
        name: `${template.name}-${prefix}`,
        config: { ...template.config, 'database.dbname': `${sandbox.name}_legacy`, 'topic.prefix': prefix, 'slot.name': prefix, 'publication.name': `${prefix}_pub` },
      };
      bench.usersTopic = `${prefix}.public.users`;
      return {
        async register() {
          recaptured.push({ name: connector.name, slot: prefix });
          const registeredAt = performance.now();
          await registerConnector(connectUrl, connector);
          await waitForConnectorRunning(connectUrl, connector.name);
          return { registeredAt };
        },
      };
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.stop()));
      for (const { name, slot } of recaptured) {
        await fetch(`${connectUrl}/connectors/${encodeURIComponent(name)}`, { method: 'DELETE' });
        await dropReplicationSlot(slot);
      }
      await eventLog.close();
      for (const pool of [legacy, userService, control]) {
        // DROP DATABASE ... WITH (FORCE) below may end a socket the pool still holds.
        pool.on('error', () => undefined);
        await pool.end();
      }
      await sandbox.stop();
    },
  };
  return bench;
}


export interface OffsetSample {
  /** ms, performance.now() */
  at: number;
  end: number;
  committed: number;
}

/** Samples the offsets every `everyMs` until stopped; the samples are the benchmark's raw timeline. */
export function sampleOffsets(bench: SyncBench, everyMs: number): { samples: OffsetSample[]; stop(): Promise<OffsetSample[]> } {
  const samples: OffsetSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const next = sleep(everyMs);
      const { end, committed } = await bench.offsets();
      samples.push({ at: performance.now(), end, committed });
      await next;
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));
