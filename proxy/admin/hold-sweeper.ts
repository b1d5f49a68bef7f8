// A write hold outlives the admin process that set it when that process dies mid-hand-over (SIGKILL, OOM,
// its host gone): the context's writes would stay held (then refused) until that very process came back.
// Every admin process therefore sweeps, now and then, for holds whose change lock nobody has any more
// (context-changes.ts releaseInterruptedHolds): the lock is a session lock of the control plane, so it ends
// with the dead process's connection, and the surviving instances release its hold within one sweep.
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { releaseInterruptedHolds } from './context-changes';

export interface HoldSweeper {
  stop(): Promise<void>;
}

/** Sweeps at once, then every `everyMs`, never two sweeps at a time; a failed sweep is logged and retried. */
export function sweepInterruptedHolds(control: Pool, logger: Logger, everyMs: number): HoldSweeper {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const sweep = async () => {
    try {
      const released = await releaseInterruptedHolds(control, logger);
      if (released.length > 0) logger.warn({ contexts: released }, 'released write holds left by an interrupted change');
    } catch (error) {
      // The control plane is away (a restart): the next sweep tries again; nothing is held by this one.
      logger.warn({ err: error }, 'could not sweep for interrupted write holds; trying again');
    }
  };
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep().finally(next);
    }, everyMs);
    timer.unref();
  };
  running = sweep().finally(next);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
