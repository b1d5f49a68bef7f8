import { snapshotSignalData, SIGNAL_DATA_MAX_LENGTH } from './snapshot-signal';

const idsOf = (data: string): number[] => {
  const parsed = JSON.parse(data) as { 'additional-conditions': { 'data-collection': string; filter: string }[] };
  const filter = parsed['additional-conditions'][0]!.filter;
  return /^usr_id IN \(([0-9,]+)\)$/.exec(filter)![1]!.split(',').map(Number);
};

test('without ids, one signal re-reads the whole table, in Debezium\'s shape', () => {
  expect(snapshotSignalData().map((data) => JSON.parse(data))).toEqual([{ 'data-collections': ['public.users'], type: 'incremental' }]);
});

test('with ids, an additional condition on the same data collection names them', () => {
  expect(JSON.parse(snapshotSignalData([3, 1, 3])[0]!)).toEqual({
    'data-collections': ['public.users'],
    type: 'incremental',
    'additional-conditions': [{ 'data-collection': 'public.users', filter: 'usr_id IN (1,3)' }],
  });
});

test('signal-fits-its-column: many ids are split over signals of at most varchar(2048), each id in exactly one', () => {
  const ids = Array.from({ length: 700 }, (_, i) => 1_000_000_000_000 + i * 7);
  const signals = snapshotSignalData(ids);
  expect(signals.length).toBeGreaterThan(1);
  for (const data of signals) expect(data.length).toBeLessThanOrEqual(SIGNAL_DATA_MAX_LENGTH);
  expect(signals.flatMap(idsOf)).toEqual(ids);
});

test('sql-never-reaches-the-filter: anything but a positive integer id is refused', () => {
  expect(() => snapshotSignalData([1, Number.NaN])).toThrow(/not a user id/);
  expect(() => snapshotSignalData([0])).toThrow(/not a user id/);
  expect(() => snapshotSignalData([1.5])).toThrow(/not a user id/);
});
