/**
 * The faults `npm run demo -- --chaos` injects (chaos.ts runs them): the rows of the fault matrix
 * (faults/fault-matrix.int.test.ts) on the demo's own stack and services. Each is undone as a supervisor or
 * the stack's own start would; none needs an operator.
 */
import type { Pool } from 'pg';
import { connectPid, ensureConnect } from '../stack/connect';
import type { Logger } from '../stack/log';
import type { StackSettings } from '../stack/native-stack';
import { ensurePostgres, stopPostgres } from '../stack/postgres';
import { isAlive, listeners, waitFor } from '../stack/proc';
import { untilHoldConfirmed, untilHoldLifted, untilWritesHeld, type ChaosFault, type HandOverFault } from './chaos';
import type { DemoServices, ServiceName } from './services';

export interface ChaosTargets {
  readonly settings: StackSettings;
  readonly stackLog: Logger;
  readonly services: DemoServices;
  /** The control plane, where the hand-over faults watch the hold. */
  readonly control: Pool;
  /** The proxy instance whose admin API runs the walk's changes now (AdminClient.current). */
  readonly changingProxy: () => ServiceName;
  /** Which of the cdc processes the admin asks to drain first (the first of STRANGLER_CDC_URL). */
  readonly drainingCdc: ServiceName;
}

/** SIGKILL of a part of the stack, started again once the dead JVM's port is free (or the new one could not listen). */
export async function sigkillAndStart(what: string, pid: number | undefined, port: number, start: () => Promise<unknown>): Promise<void> {
  if (pid === undefined) throw new Error(`${what} is not running`);
  process.kill(pid, 'SIGKILL');
  await waitFor(`${what} gone`, async () => !isAlive(pid) && !(await listeners(port)).listening, 30_000, 100);
  await start();
}

/** The faults that run in turn during the walk. */
export function backgroundFaults(t: ChaosTargets): ChaosFault[] {
  return [
    {
      name: 'postgres-fast-restart',
      hits: 'PostgreSQL (legacy, user_service, the control plane, the replication slots): pg_ctl stop -m fast, then started',
      async inject() {
        await stopPostgres(t.settings, t.stackLog);
        await ensurePostgres(t.settings, t.stackLog);
      },
    },
    {
      name: 'kafka-connect-sigkill',
      hits: 'Kafka Connect and its Debezium tasks: SIGKILL, then started',
      inject: () => sigkillAndStart('Kafka Connect', connectPid(t.settings), t.settings.connectPort, () => ensureConnect(t.settings, t.stackLog)),
    },
    {
      name: 'cdc-sigkill',
      hits: 'one of the two cdc processes: SIGKILL mid-stream, then started again; the other takes its partitions',
      inject: () => t.services.crashAndRestart('cdc'),
    },
    {
      name: 'proxy-sigkill',
      hits: 'one of the two proxy instances: SIGKILL, then started again; clients go to the other',
      inject: () => t.services.crashAndRestart('proxy'),
    },
  ];
}

/**
 * The faults that hit write hand-overs: the admin running the first one dies holding writes (the other
 * instance's sweep releases them, the walk asks that instance again), and the cdc process asked to drain
 * the second one dies mid-drain (the admin asks the other cdc process).
 */
export function handOverFaults(t: ChaosTargets, first: string, second: string): HandOverFault[] {
  return [
    {
      name: 'hand-over-admin-sigkill',
      hits: `the proxy instance whose admin runs ${first}'s hand-over to writes: SIGKILL while writes are held, started again once the other instance has released them`,
      context: first,
      to: 'writes',
      async inject() {
        await untilWritesHeld(t.control, first, 60_000);
        const killed = await t.services.sigkill(t.changingProxy());
        await untilHoldLifted(t.control, first, 30_000);
        await t.services.restart(killed);
      },
    },
    {
      name: 'hand-over-cdc-sigkill',
      hits: `the cdc process asked to drain for ${second}'s hand-over to writes: SIGKILL mid-drain, then started again`,
      context: second,
      to: 'writes',
      async inject() {
        const version = await untilWritesHeld(t.control, second, 60_000);
        await untilHoldConfirmed(t.control, second, version, 30_000);
        await t.services.crashAndRestart(t.drainingCdc);
      },
    },
  ];
}
