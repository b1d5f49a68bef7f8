/**
 * `npm run demo -- --quick --chaos`, in-process: two proxy instances and two cdc processes, and every fault
 * of the fault matrix injected during the walk, one after another. The verdict is the demo's usual one (no
 * client request failed because of the migration, every acknowledged write on both sides, verify clean),
 * every fault ran and was recovered from within its bound, and the summary has a row per fault.
 * Leaves the stack running (jest's global setup owns it) and every demo service stopped.
 */
import { Writable } from 'node:stream';
import { listeners } from '../stack/proc';
import { stackStatus } from '../stack/native-stack';
import { CHAOS_PORTS, CONTRACT_PORTS } from './demo-settings';
import { runDemo } from './run-demo';

const FAULTS = ['postgres-fast-restart', 'kafka-connect-sigkill', 'cdc-sigkill', 'proxy-sigkill', 'hand-over-admin-sigkill', 'hand-over-cdc-sigkill'];
/**
 * Recovery, per fault, from its end until every /healthz is 200 and both syncs have drained: a SIGKILLed cdc
 * member's partitions wait out its 30 s session, and the cdc mid-drain's hand-over a drain timeout (30 s) on
 * top; the others take seconds.
 */
const RECOVERY_BOUND_MS = 90_000;

describe('npm run demo -- --quick --chaos', () => {
  it('walks every context to retired through every fault, loses nothing, and reports each fault', async () => {
    let output = '';
    const out = new Writable({ write(chunk: Buffer, _encoding, done) { output += chunk.toString(); done(); } });

    const outcome = await runDemo({ quick: true, chaos: true, out });

    const tail = output.split('\n').slice(-80).join('\n');
    expect({ ok: outcome.ok, reasons: outcome.reasons, tail: outcome.ok ? '' : tail }).toEqual({ ok: true, reasons: [], tail: '' });
    const faults = outcome.result.faults ?? [];
    expect(faults.map((f) => f.name).sort()).toEqual([...FAULTS].sort());
    for (const fault of faults) expect({ fault: fault.name, withinBound: fault.recoveryMs <= RECOVERY_BOUND_MS }).toEqual({ fault: fault.name, withinBound: true });
    for (const name of FAULTS) {
      expect(output).toContain(`chaos: ${name}: `);
      expect(outcome.summary).toContain(name);
    }
    for (const context of ['identity', 'profile', 'preferences']) {
      expect(outcome.result.walks.find((w) => w.context === context)?.visits.at(-1)?.stage).toBe('retired');
    }
    expect(outcome.result.acknowledgedWrites).toBeGreaterThan(100);
    // The killed proxy instance's clients went to the other one.
    expect(outcome.result.traffic.rerouted).toBeGreaterThan(0);

    // Services stopped, stack still up.
    for (const port of [...Object.values(CONTRACT_PORTS), ...Object.values(CHAOS_PORTS)]) expect((await listeners(port)).listening).toBe(false);
    expect((await stackStatus()).components.filter((c) => c.name !== 'prometheus').every((c) => c.up)).toBe(true);
  }, 15 * 60_000);
});
