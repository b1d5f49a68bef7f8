import pino from 'pino';
import type { ForwardSyncProgress } from '../cdc-client';
import { lsnValue } from './lsn';
import type { SharedPins } from './shared-pins';
import { WriterPins } from './writer-pins';

/** Stand-ins for cdc's answers and the control plane's table: pure logic under test, the real ones in the integration tests. */
class FakeProgress implements ForwardSyncProgress {
  /** Legacy's WAL position now. */
  position = '0/100';
  /** How far the forward sync has applied, per user's partition. */
  applied = new Map<string, string>();
  asked = 0;
  failing = false;
  async sourcePosition() {
    if (this.failing) throw new Error('cdc down');
    return this.position;
  }
  async caughtUp(userId: string, lsn: string) {
    this.asked += 1;
    if (this.failing) throw new Error('cdc down');
    const applied = this.applied.get(userId);
    return applied !== undefined && lsnValue(applied) >= lsnValue(lsn);
  }
}

class FakeShared {
  pins = new Map<string, string | null>();
  failing = false;
  private check() {
    if (this.failing) throw new Error('control plane down');
  }
  async pin(userId: string, lsn: string | null) {
    this.check();
    const old = this.pins.get(userId);
    this.pins.set(userId, old === undefined ? lsn : old === null || lsn === null ? null : lsnValue(old) >= lsnValue(lsn) ? old : lsn);
  }
  async pinOf(userId: string) {
    this.check();
    return this.pins.get(userId);
  }
  async position(userId: string, lsn: string) {
    if (this.pins.get(userId) === null) this.pins.set(userId, lsn);
  }
  async release(userId: string, lsn: string) {
    const pinned = this.pins.get(userId);
    if (pinned && lsnValue(pinned) <= lsnValue(lsn)) this.pins.delete(userId);
  }
  async oldest(limit: number) {
    return [...this.pins].slice(0, limit).map(([userId, lsn]) => ({ userId, lsn }));
  }
  async clearPins() {
    this.pins.clear();
  }
}

const build = (overrides: Partial<ConstructorParameters<typeof WriterPins>[0]> = {}) => {
  const progress = new FakeProgress();
  const shared = new FakeShared();
  let now = 0;
  const pins = new WriterPins({ progress, shared: shared as unknown as SharedPins, logger: pino({ level: 'silent' }), maxPins: 100, recheckMs: 0, now: () => now, ...overrides });
  return { progress, shared, pins, advance: (ms: number) => (now += ms) };
};
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('read-your-writes pins', () => {
  test('a pin holds until the forward sync has applied the writer\'s partition up to the position taken after the write', async () => {
    const { progress, shared, pins } = build();
    progress.position = '0/500';
    await pins.pinAfterWrite('7');
    expect(shared.pins.get('7')).toBe('0/500');
    progress.applied.set('7', '0/4FF');
    await pins.sweep();
    expect(await pins.isPinned('7')).toBe(true);
    progress.applied.set('7', '0/500');
    await pins.sweep();
    expect(await pins.isPinned('7')).toBe(false);
    expect(shared.pins.has('7')).toBe(false);
  });

  test('write-on-one-read-on-another: a pin another instance recorded keeps this instance\'s reads on legacy', async () => {
    const writer = build();
    const reader = build();
    // Two instances, one control plane.
    (reader.pins as unknown as { options: { shared: unknown } }).options.shared = writer.shared;
    writer.progress.position = '0/900';
    await writer.pins.pinAfterWrite('8');
    expect(await reader.pins.isPinned('8')).toBe(true);
    expect(reader.pins.size).toBe(0);
  });

  test('pin-released-by-older-write never happens: a newer write keeps the user pinned until it too is applied', async () => {
    const { progress, pins } = build();
    progress.position = '0/100';
    await pins.pinAfterWrite('7');
    progress.position = '0/200';
    await pins.pinAfterWrite('7');
    progress.applied.set('7', '0/150');
    await pins.sweep();
    expect(await pins.isPinned('7')).toBe(true);
    progress.applied.set('7', '0/200');
    await pins.sweep();
    expect(await pins.isPinned('7')).toBe(false);
  });

  test('a position cdc could not give is taken at the next check, never guessed', async () => {
    const { progress, shared, pins } = build();
    progress.failing = true;
    await pins.pinAfterWrite('7');
    expect(shared.pins.get('7')).toBeNull();
    progress.failing = false;
    progress.position = '0/300';
    progress.applied.set('7', '1/0');
    await pins.sweep();
    expect(shared.pins.get('7')).toBe('0/300');
    await pins.sweep();
    expect(await pins.isPinned('7')).toBe(false);
  });

  test('an unreachable cdc keeps the pin (legacy is always right while it owns the writes)', async () => {
    const { progress, pins } = build();
    await pins.pinAfterWrite('7');
    progress.failing = true;
    await pins.sweep();
    expect(await pins.isPinned('7')).toBe(true);
  });

  test('a control plane that cannot be read counts as pinned; one that cannot be written keeps the pin here, counted', async () => {
    let unshared = 0;
    const { shared, pins } = build({ onUnshared: () => (unshared += 1) });
    shared.failing = true;
    expect(await pins.isPinned('5')).toBe(true);
    await pins.pinAfterWrite('6');
    expect(unshared).toBe(1);
    expect(pins.size).toBe(1);
  });

  test('the local map is bounded: the oldest pin goes first and is counted', async () => {
    let evicted = 0;
    const { pins } = build({ maxPins: 3, onEvicted: () => (evicted += 1), shared: undefined });
    for (const user of ['1', '2', '3', '4']) await pins.pinAfterWrite(user);
    await pins.pinAfterWrite('2');
    await pins.pinAfterWrite('5');
    expect([pins.size, evicted, await pins.isPinned('1'), await pins.isPinned('3'), await pins.isPinned('2'), await pins.isPinned('5')]).toEqual([3, 2, false, false, true, true]);
  });

  test('a pinned read asks cdc at most once per recheck interval', async () => {
    const { progress, pins, advance } = build({ recheckMs: 50 });
    await pins.pinAfterWrite('7');
    for (let i = 0; i < 20; i++) {
      await pins.isPinned('7');
      await settle();
    }
    expect(progress.asked).toBe(1);
    advance(50);
    await pins.isPinned('7');
    await settle();
    expect(progress.asked).toBe(2);
  });

  test('clearing drops every pin, here and shared', async () => {
    const { shared, pins } = build();
    await pins.pinAfterWrite('7');
    await pins.clear();
    expect([pins.size, shared.pins.size]).toEqual([0, 0]);
  });
});
