import type { ContextStage, StageTable } from '../stages/stages';
import { InFlightWrites } from './in-flight-writes';

const at = (version: number): ContextStage => ({ context: 'profile', stage: 'reads', canaryPercent: 0, version, changedAt: new Date(0), writesHeldSince: null });
const table = (versions: Record<string, number>) => Object.fromEntries(Object.entries(versions).map(([c, v]) => [c, { ...at(v), context: c }])) as unknown as StageTable;

describe('in-flight writes', () => {
  test('a context is confirmed at its current version when nothing of it is in flight', () => {
    expect(new InFlightWrites().confirmedVersions(table({ identity: 3, profile: 7 }))).toEqual({ identity: 3, profile: 7 });
  });

  test('a write forwarded under an older version keeps the confirmation back until it is answered', () => {
    const writes = new InFlightWrites();
    writes.begin('profile', 6);
    writes.begin('profile', 6);
    writes.begin('profile', 7);
    expect(writes.confirmedVersions(table({ profile: 7 }))).toEqual({ profile: 6 });
    writes.end('profile', 6);
    expect(writes.confirmedVersions(table({ profile: 7 }))).toEqual({ profile: 6 });
    writes.end('profile', 6);
    expect(writes.confirmedVersions(table({ profile: 7 }))).toEqual({ profile: 7 });
    expect(writes.count('profile')).toBe(1);
  });

  test('another context\'s writes in flight never hold a context back', () => {
    const writes = new InFlightWrites();
    writes.begin('identity', 1);
    expect(writes.confirmedVersions(table({ identity: 2, profile: 9 }))).toEqual({ identity: 1, profile: 9 });
  });

  test('nothing is confirmed before the stages were ever read', () => {
    expect(new InFlightWrites().confirmedVersions(undefined)).toEqual({});
  });
});
