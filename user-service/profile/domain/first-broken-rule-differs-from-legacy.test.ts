import { isFailure } from '../../platform/failure';
import { checkProfileChange } from './profile';

const codeOf = (request: Parameters<typeof checkProfileChange>[0]) => {
  const outcome = checkProfileChange(request);
  return isFailure(outcome) ? outcome.code : 'accepted';
};

// Legacy checks displayName, then bio, then avatarUrl, and answers with the first broken rule.
describe('the first broken rule is the one legacy would name', () => {
  const long = { displayName: 'n'.repeat(101), bio: 'b'.repeat(20_001), avatarUrl: 'ftp://example.com/a.png' };

  test('displayName before bio before avatarUrl, whatever the order of the body', () => {
    expect(codeOf({ avatarUrl: long.avatarUrl, bio: long.bio, displayName: long.displayName })).toBe('PROFILE.DISPLAY_NAME_TOO_LONG');
    expect(codeOf({ avatarUrl: long.avatarUrl, bio: long.bio })).toBe('PROFILE.BIO_TOO_LONG');
    expect(codeOf({ avatarUrl: long.avatarUrl })).toBe('PROFILE.INVALID_AVATAR_URL');
  });

  test('a valid field beside an invalid one does not save the request', () => {
    expect(codeOf({ displayName: 'Fine', avatarUrl: 'not a url' })).toBe('PROFILE.INVALID_AVATAR_URL');
  });

  test('a checked change holds the named fields and nothing else', () => {
    const stray = { displayName: 'Ada', nickname: 'A' } as Parameters<typeof checkProfileChange>[0];
    expect(checkProfileChange(stray)).toEqual({ displayName: 'Ada' });
    expect(checkProfileChange({})).toEqual({});
  });
});
