import { ownershipOf, STAGES, writesOwnerOf, type Stages } from './ownership-map';

const all = (stage: Stages['identity']): Stages => ({ identity: stage, profile: stage, preferences: stage });

test('legacy owns writes up to and including reads; the new service from writes on', () => {
  expect(STAGES.map((stage) => [stage, writesOwnerOf(stage)])).toEqual([
    ['legacy', 'legacy'], ['shadow', 'legacy'], ['canary', 'legacy'], ['reads', 'legacy'], ['writes', 'new'], ['retired', 'new'],
  ]);
});

test('signed-up-user-always-gets-a-profile: users come and go with identity, whoever owns the profile', () => {
  const ownership = ownershipOf({ ...all('legacy'), identity: 'writes' });
  expect(ownership.existence()).toBe('new');
  expect(ownership.writesOf('profile')).toBe('legacy');
  expect(ownershipOf({ ...all('writes'), identity: 'reads' }).existence()).toBe('legacy');
});
