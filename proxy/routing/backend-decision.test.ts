import { canaryBucket } from './canary-bucket';
import { decideBackend } from './backend-decision';
import type { ContextStage, Stage } from '../stages/stages';

const stageOf = (stage: Stage, canaryPercent = 0, held = false): ContextStage => ({
  context: 'profile',
  stage,
  canaryPercent,
  version: 1,
  changedAt: new Date(0),
  writesHeldSince: held ? new Date(0) : null,
});

const served = (stage: ContextStage | undefined, kind: 'read' | 'write', userId: string | null = '7', pinned = false) => {
  const decision = decideBackend({ stage, kind, userId, pinned });
  return decision.action === 'forward' ? decision.backend : decision.action;
};

describe('who serves a request in each stage (CONTRACT.md)', () => {
  test.each([
    ['legacy', 'legacy', 'legacy'],
    ['shadow', 'legacy', 'legacy'],
    ['reads', 'new', 'legacy'],
    ['writes', 'new', 'new'],
    ['retired', 'new', 'new'],
  ] as const)('%s: reads by %s, writes by %s', (stage, reads, writes) => {
    expect(served(stageOf(stage), 'read')).toBe(reads);
    expect(served(stageOf(stage), 'write')).toBe(writes);
    // A write without a user (sign-up, sign-in) follows the same owner.
    expect(served(stageOf(stage), 'write', null)).toBe(writes);
  });

  test('canary: reads of users in the bucket go to new, the others and every write to legacy', () => {
    const users = Array.from({ length: 200 }, (_, i) => String(i + 1));
    for (const user of users) {
      const expected = canaryBucket(user) < 30 ? 'new' : 'legacy';
      expect([user, served(stageOf('canary', 30), 'read', user)]).toEqual([user, expected]);
      expect(served(stageOf('canary', 30), 'write', user)).toBe('legacy');
    }
  });

  test('shadow mirrors reads only, never writes', () => {
    expect(decideBackend({ stage: stageOf('shadow'), kind: 'read', userId: '7', pinned: false })).toMatchObject({ backend: 'legacy', mirror: true });
    expect(decideBackend({ stage: stageOf('shadow'), kind: 'write', userId: '7', pinned: false })).toMatchObject({ backend: 'legacy', mirror: false });
  });

  test('stale-read-after-write: a pinned writer reads from legacy in reads and canary, never in writes or retired', () => {
    expect(served(stageOf('reads'), 'read', '7', true)).toBe('legacy');
    expect(served(stageOf('canary', 100), 'read', '7', true)).toBe('legacy');
    expect(served(stageOf('writes'), 'read', '7', true)).toBe('new');
    expect(served(stageOf('retired'), 'read', '7', true)).toBe('new');
  });

  test('writes to legacy pin their writer; writes to new do not', () => {
    expect(decideBackend({ stage: stageOf('reads'), kind: 'write', userId: '7', pinned: false })).toMatchObject({ pinsWriter: true });
    expect(decideBackend({ stage: stageOf('writes'), kind: 'write', userId: '7', pinned: false })).toMatchObject({ pinsWriter: false });
  });

  test('held writes are answered by the proxy in every stage; reads are not held', () => {
    for (const stage of ['legacy', 'shadow', 'canary', 'reads', 'writes', 'retired'] as const) {
      expect(served(stageOf(stage, 50, true), 'write')).toBe('hold-write');
      expect(served(stageOf(stage, 50, true), 'read')).not.toBe('hold-write');
    }
  });

  test('unmatched-write-in-a-context-reaches-its-owner: a request only in a context\'s path space goes where its writes go, in every stage', () => {
    for (const stage of ['legacy', 'shadow', 'canary', 'reads', 'writes', 'retired'] as const) {
      const owner = stage === 'writes' || stage === 'retired' ? 'new' : 'legacy';
      for (const kind of ['read', 'write'] as const) {
        const decision = decideBackend({ stage: stageOf(stage, 100), kind, userId: '7', pinned: false, unmatched: true });
        // Never mirrored, never pinning: there is no route to compare by, nor a write the table knows.
        expect([stage, kind, decision]).toEqual([stage, kind, { action: 'forward', backend: owner, mirror: false, pinsWriter: false }]);
      }
    }
  });

  test('held-context-holds-its-unmatched-writes: while a context\'s writes are held, its unsafe unmatched requests are held, safe ones go on', () => {
    for (const stage of ['reads', 'writes'] as const) {
      expect(decideBackend({ stage: stageOf(stage, 0, true), kind: 'write', userId: null, pinned: false, unmatched: true })).toEqual({ action: 'hold-write' });
      expect(decideBackend({ stage: stageOf(stage, 0, true), kind: 'read', userId: null, pinned: false, unmatched: true })).toMatchObject({ action: 'forward', backend: stage === 'writes' ? 'new' : 'legacy' });
    }
  });

  test('legacy-only and unknown requests go to legacy', () => {
    expect(served(undefined, 'read')).toBe('legacy');
    expect(served(undefined, 'write')).toBe('legacy');
  });
});
