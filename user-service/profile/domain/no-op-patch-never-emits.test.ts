import { isFailure } from '../../platform/failure';
import { checkProfileChange, createProfile, reviseProfile } from './profile';

const created = createProfile(42, 'Ada', new Date('2026-11-21T12:00:00.000Z'));
if (isFailure(created)) throw new Error(created.message);
const { profile } = created;
const later = new Date('2026-11-21T13:00:00.000Z');

describe('a PATCH that changes nothing makes no version, no event and no write', () => {
  test.each([
    ['an empty change', {}],
    ['the current display name', { displayName: 'Ada' }],
    ['clearing fields that are already empty', { bio: null, avatarUrl: null }],
  ])('%s', (_, request) => {
    const change = checkProfileChange(request);
    if (isFailure(change)) throw new Error(change.message);
    expect(reviseProfile(profile, change, later)).toBeUndefined();
  });

  test('a change beside a repeated value writes only the changed field', () => {
    const change = checkProfileChange({ displayName: 'Ada', bio: 'new' });
    if (isFailure(change)) throw new Error(change.message);
    expect(reviseProfile(profile, change, later)?.changed).toEqual(['bio']);
  });
});
