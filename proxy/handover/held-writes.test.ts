import { HeldWrites, type HoldOutcome } from './held-writes';

describe('writes kept through a hand-over', () => {
  let clock = 0;
  const left: [string, number, HoldOutcome][] = [];
  const queue = (maxWrites = 2, maxHoldMs = 1_000) => new HeldWrites({ maxWrites, maxHoldMs, now: () => clock, onLeft: (c, ms, o) => left.push([c, ms, o]) });
  const noClient = () => undefined;

  beforeEach(() => {
    jest.useFakeTimers();
    clock = 0;
    left.length = 0;
  });
  afterEach(() => jest.useRealTimers());

  test('released writes go on oldest first, with the time they waited', () => {
    const held = queue();
    const order: string[] = [];
    held.hold('profile', { resume: () => order.push('a'), expire: () => order.push('a expired'), gone: noClient });
    clock = 10;
    held.hold('profile', { resume: () => order.push('b'), expire: () => order.push('b expired'), gone: noClient });
    expect(held.sizes().get('profile')).toBe(2);
    clock = 30;
    held.release('profile');
    expect(order).toEqual(['a', 'b']);
    expect(left).toEqual([['profile', 30, 'forwarded'], ['profile', 20, 'forwarded']]);
    expect(held.sizes().get('profile')).toBe(0);
  });

  test('a write kept past the bound expires, and only that one', () => {
    const held = queue(5, 1_000);
    const order: string[] = [];
    held.hold('profile', { resume: () => order.push('old'), expire: () => order.push('old expired'), gone: noClient });
    jest.advanceTimersByTime(600);
    held.hold('profile', { resume: () => order.push('new'), expire: () => order.push('new expired'), gone: noClient });
    jest.advanceTimersByTime(400);
    expect(order).toEqual(['old expired']);
    held.release('profile');
    expect(order).toEqual(['old expired', 'new']);
  });

  test('a full queue keeps nothing more; another context has its own', () => {
    const held = queue(1);
    expect(held.hold('profile', { resume: noClient, expire: noClient, gone: noClient })).toBe(true);
    expect(held.hold('profile', { resume: noClient, expire: noClient, gone: noClient })).toBe(false);
    expect(held.hold('identity', { resume: noClient, expire: noClient, gone: noClient })).toBe(true);
  });

  test('a client that leaves is forgotten, neither resumed nor expired', () => {
    const held = queue();
    let forget: () => void = noClient;
    const order: string[] = [];
    held.hold('profile', { resume: () => order.push('resumed'), expire: () => order.push('expired'), gone: (f) => (forget = f) });
    forget();
    held.release('profile');
    jest.advanceTimersByTime(5_000);
    expect(order).toEqual([]);
    expect(left.map(([, , outcome]) => outcome)).toEqual(['client-left']);
  });

  test('a write that already waited keeps its first deadline in a new hold', () => {
    const held = queue(5, 1_000);
    const order: string[] = [];
    held.hold('profile', { resume: noClient, expire: () => order.push('expired'), waitedMs: 900, gone: noClient });
    jest.advanceTimersByTime(99);
    expect(order).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(order).toEqual(['expired']);
  });
});
