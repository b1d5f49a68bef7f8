import type { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { WriteOwnership } from './write-ownership';

/** A control plane whose answers the test releases one by one: the order of reads and commits is the test's. */
function scriptedControl() {
  const pending: { resolve: (rows: { context: string }[]) => void; reject: (error: Error) => void }[] = [];
  const control = {
    query: () => new Promise((resolve, reject) => pending.push({ resolve: (rows) => resolve({ rows }), reject })),
  } as unknown as Pool;
  return { control, pending };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('write ownership', () => {
  let clock = 0;
  const make = (control: Pool) => new WriteOwnership({ control, logger: pino({ level: 'silent' }), registry: new Registry(), cacheMs: 250, maxStaleMs: 5_000, now: () => clock });

  beforeEach(() => {
    clock = 0;
  });

  test('flip-committed-during-a-read-never-refuses-a-later-write: a write that arrives while an older read is under way waits for a read of its own', async () => {
    const { control, pending } = scriptedControl();
    const ownership = make(control);
    const early = ownership.ownership('profile');
    clock = 1;
    // The flip commits here; this write arrived after it, so the read already under way cannot speak for it.
    const late = ownership.ownership('profile');
    await settle();
    expect(pending).toHaveLength(2);
    pending[0]!.resolve([]);
    pending[1]!.resolve([{ context: 'profile' }]);
    expect(await early).toEqual({ owned: false, reason: 'not-owner' });
    expect(await late).toEqual({ owned: true });
  });

  test('a positive answer is trusted for the cache time, a refusal never', async () => {
    const { control, pending } = scriptedControl();
    const ownership = make(control);
    const asked = ownership.ownership('identity');
    await settle();
    pending[0]!.resolve([{ context: 'identity' }]);
    expect(await asked).toEqual({ owned: true });
    clock = 100;
    expect(await ownership.ownership('identity')).toEqual({ owned: true });
    expect(pending).toHaveLength(1);
    const other = ownership.ownership('profile');
    await settle();
    expect(pending).toHaveLength(2);
    pending[1]!.resolve([{ context: 'identity' }]);
    expect(await other).toEqual({ owned: false, reason: 'not-owner' });
    clock = 400;
    const stale = ownership.ownership('identity');
    await settle();
    expect(pending).toHaveLength(3);
    pending[2]!.resolve([{ context: 'identity' }]);
    expect(await stale).toEqual({ owned: true });
  });

  test('a control plane that cannot be read: the last answer stands for a while, then writes are refused as unknown', async () => {
    const { control, pending } = scriptedControl();
    const ownership = make(control);
    const asked = ownership.ownership('identity');
    await settle();
    pending[0]!.resolve([{ context: 'identity' }]);
    await asked;
    clock = 1_000;
    const brief = ownership.ownership('identity');
    await settle();
    pending[1]!.reject(new Error('connection refused'));
    expect(await brief).toEqual({ owned: true });
    clock = 6_000;
    const long = ownership.ownership('identity');
    await settle();
    pending[2]!.reject(new Error('connection refused'));
    expect(await long).toEqual({ owned: false, reason: 'unknown' });
  });
});
