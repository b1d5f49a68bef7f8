/**
 * What holds the demo's ports before it starts. A service a previous `npm run demo -- --keep` left running
 * (this checkout's node running one of the demo's entry points) is ours: the demo stops it, as it would have
 * at the end of that run, and goes on. Anything else is someone else's, and the demo will not kill it: it
 * says which process holds which port and what to do.
 */
import { join } from 'node:path';
import { cmdline, listeners, terminate } from '../stack/proc';

export interface PortHolder {
  readonly service: string;
  readonly port: number;
  readonly pid: number | undefined;
  readonly command: readonly string[];
}

/** Whether a command line is one of the demo's services from this checkout (demo/services.ts starts them so). */
export function isKeptService(command: readonly string[], root: string, mains: readonly string[]): boolean {
  return command.some((arg) => mains.some((main) => arg === join(root, main)));
}

/** The sentence that tells an operator what holds the ports and how to free them. */
export function foreignHoldersMessage(foreign: readonly PortHolder[]): string {
  const held = foreign.map((h) => `${h.service} port ${h.port} is held by ${h.pid === undefined ? 'a process `ss -ltnp` can name' : `pid ${h.pid} (${h.command.join(' ').slice(0, 120) || 'command line unreadable'})`}`);
  return `${held.join('; ')}: these are not services of this checkout's demo, so the demo leaves them alone; stop them (or run the demo where those ports are free) and start it again`;
}

export interface ClearedPorts {
  /** Kept services of an earlier run that were stopped. */
  readonly stopped: readonly PortHolder[];
}

/**
 * Stops the kept services on `ports` (SIGTERM, then SIGKILL past `graceMs`) and throws with
 * foreignHoldersMessage when anything else holds one. A port that answers but whose holder cannot be named
 * (`ss` missing, another user's process) counts as foreign.
 */
export async function clearDemoPorts(ports: Readonly<Record<string, number>>, root: string, mains: readonly string[], graceMs = 15_000): Promise<ClearedPorts> {
  const holders: PortHolder[] = [];
  for (const [service, port] of Object.entries(ports)) {
    const { listening, pids } = await listeners(port);
    if (!listening) continue;
    if (pids.length === 0) holders.push({ service, port, pid: undefined, command: [] });
    for (const pid of pids) holders.push({ service, port, pid, command: cmdline(pid) });
  }
  const foreign = holders.filter((h) => h.pid === undefined || !isKeptService(h.command, root, mains));
  if (foreign.length > 0) throw new Error(foreignHoldersMessage(foreign));
  const kept = holders.filter((h) => h.pid !== undefined);
  await Promise.all([...new Set(kept.map((h) => h.pid!))].map((pid) => terminate(pid, graceMs)));
  return { stopped: kept };
}
