import { summarise, type DriftKind } from '../cdc/verify/drift';
import type { VerifyReport } from '../cdc/verify/verify-contexts';
import { renderResyncResult, renderVerifyReport } from './data-verbs';

const report = (drift: Record<'identity' | 'profile' | 'preferences', [number, DriftKind][]>): VerifyReport => ({
  startedAt: new Date('2026-11-21T10:00:00.000Z'),
  finishedAt: new Date('2026-11-21T10:00:01.250Z'),
  chunkSize: 1000,
  legacyRows: 42,
  recheckedRows: 0,
  contexts: (['identity', 'profile', 'preferences'] as const).map((context) => summarise(context, new Map(drift[context]))),
});

test('the table shows every kind per context, a few ids per drifting kind, and the verdict', () => {
  const text = renderVerifyReport(report({
    identity: [[3, 'unsyncable']],
    profile: [[1, 'different'], [2, 'different'], [4, 'different'], [5, 'different'], [6, 'different'], [7, 'different'], [9, 'extra']],
    preferences: [],
  }), 17);
  expect(text.split('\n').slice(0, 4)).toEqual([
    'context      missing  extra  different  unsyncable',
    'identity           0      0          0           1',
    'profile            0      1          6           0',
    'preferences        0      0          0           0',
  ]);
  expect(text).toContain('profile different: 1, 2, 4, 5, 6 … (1 more)');
  expect(text).toContain('profile extra: 9');
  expect(text).toContain('identity unsyncable: 3');
  expect(text).toContain('42 legacy rows compared in 1250 ms (run 17); DRIFT in profile');
});

test('only unsyncable rows: the verdict is clean', () => {
  expect(renderVerifyReport(report({ identity: [[3, 'unsyncable']], profile: [], preferences: [] }), 1)).toMatch(/; clean\n$/);
});

test('a resync says which way it repaired and what it skipped', () => {
  expect(renderResyncResult({ context: 'profile', writesOwner: 'legacy', signals: [{ signalId: 'resync-ab-0', ids: [1, 2] }], erased: [9], skipped: [{ id: 5, reason: 'neither legacy nor the context has this row' }] }))
    .toBe('profile: legacy owns the writes; the forward sync re-applies the rows Debezium re-reads\n  signal resync-ab-0: 2 row(s)\n  erased from the context (no legacy row): 9\n  skipped 5: neither legacy nor the context has this row\n');
  expect(renderResyncResult({ context: 'identity', writesOwner: 'new', rewritten: [1], inserted: [], unchanged: 3, refused: [], skipped: [] }))
    .toContain('rewritten 1, inserted 0, already equal 3, refused 0');
});
