import pino from 'pino';
import type { ForwardSyncPositions } from '../cdc-client';
import { WriterPins } from './writer-pins';

/** A stand-in for cdc's forward positions: pure logic under test, the real one is in the integration test. */
class FakePositions implements ForwardSyncPositions {
  committed = new Map<string, Date>();
  asked = 0;
  failing = false;
  async forwardPosition(userId: string) {
    this.asked += 1;
    if (this.failing) throw new Error('cdc down');
    return { sourceCommittedAt: this.committed.get(userId) ?? null };
  }
}

const build = (overrides: Partial<ConstructorParameters<typeof WriterPins>[0]> = {}) => {
  const positions = new FakePositions();
  let now = Date.parse('2026-11-21T12:00:00.000Z');
  const pins = new WriterPins({ positions, logger: pino({ level: 'silent' }), clock: () => new Date(now), maxPins: 100, recheckMs: 0, clockSkewMarginMs: 0, ...overrides });
  return { positions, pins, advance: (ms: number) => (now += ms) };
};

describe('read-your-writes pins', () => {
  test('a pin holds until the forward sync reports a commit at or after the write was sent', async () => {
    const { positions, pins } = build();
    pins.pin('7', new Date('2026-11-21T12:00:00.500Z'));
    expect(pins.isPinned('7')).toBe(true);
    await pins.sweep();
    expect(pins.isPinned('7')).toBe(true);
    positions.committed.set('7', new Date('2026-11-21T12:00:00.499Z'));
    await pins.sweep();
    expect(pins.isPinned('7')).toBe(true);
    positions.committed.set('7', new Date('2026-11-21T12:00:00.500Z'));
    await pins.sweep();
    expect(pins.isPinned('7')).toBe(false);
  });

  test('the write time is floored to the millisecond, as cdc reports commit times', async () => {
    const { positions, pins } = build();
    pins.pin('7', new Date(Date.parse('2026-11-21T12:00:00.500Z') + 0.7));
    positions.committed.set('7', new Date('2026-11-21T12:00:00.500Z'));
    await pins.sweep();
    expect(pins.size).toBe(0);
  });

  test('pin-released-by-older-write never happens: a newer write keeps the user pinned until it too is applied', async () => {
    const { positions, pins } = build();
    pins.pin('7', new Date('2026-11-21T12:00:01.000Z'));
    pins.pin('7', new Date('2026-11-21T12:00:02.000Z'));
    pins.pin('7', new Date('2026-11-21T12:00:01.500Z'));
    positions.committed.set('7', new Date('2026-11-21T12:00:01.000Z'));
    await pins.sweep();
    expect(pins.isPinned('7')).toBe(true);
    positions.committed.set('7', new Date('2026-11-21T12:00:02.000Z'));
    await pins.sweep();
    expect(pins.isPinned('7')).toBe(false);
  });

  test('an unreachable cdc keeps the pin (legacy is always right while it owns the writes)', async () => {
    const { positions, pins } = build();
    pins.pin('7', new Date('2026-11-21T12:00:00.000Z'));
    positions.failing = true;
    await pins.sweep();
    expect(pins.isPinned('7')).toBe(true);
  });

  test('the skew margin releases that much earlier', async () => {
    const { positions, pins } = build({ clockSkewMarginMs: 5 });
    pins.pin('7', new Date('2026-11-21T12:00:00.010Z'));
    positions.committed.set('7', new Date('2026-11-21T12:00:00.005Z'));
    await pins.sweep();
    expect(pins.size).toBe(0);
  });

  test('the map is bounded: the oldest pin goes first and is counted', () => {
    let evicted = 0;
    const { pins } = build({ maxPins: 3, onEvicted: () => (evicted += 1) });
    for (const user of ['1', '2', '3', '4']) pins.pin(user, new Date());
    pins.pin('2', new Date());
    pins.pin('5', new Date());
    expect([pins.size, evicted, pins.isPinned('1'), pins.isPinned('3'), pins.isPinned('2'), pins.isPinned('5')]).toEqual([3, 2, false, false, true, true]);
  });

  test('a pinned read asks cdc at most once per recheck interval', async () => {
    const { positions, pins, advance } = build({ recheckMs: 50 });
    pins.pin('7', new Date());
    for (let i = 0; i < 20; i++) {
      pins.isPinned('7');
      await Promise.resolve();
    }
    expect(positions.asked).toBe(1);
    advance(50);
    await new Promise((resolve) => setImmediate(resolve));
    pins.isPinned('7');
    expect(positions.asked).toBe(2);
  });
});
