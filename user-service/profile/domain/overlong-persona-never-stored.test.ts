import { isFailure, type Failure } from '../../platform/failure';
import { checkProfileChange, createProfile } from './profile';

const codeOf = (outcome: unknown) => (isFailure(outcome) ? (outcome as Failure).code : 'accepted');

describe('an overlong display name is never stored', () => {
  test('100 characters pass, 101 are PROFILE.DISPLAY_NAME_TOO_LONG', () => {
    expect(codeOf(checkProfileChange({ displayName: 'n'.repeat(100) }))).toBe('accepted');
    expect(codeOf(checkProfileChange({ displayName: 'n'.repeat(101) }))).toBe('PROFILE.DISPLAY_NAME_TOO_LONG');
  });

  test('characters are code points as legacy counts them, so 100 emoji (200 UTF-16 units) still fit', () => {
    expect(codeOf(checkProfileChange({ displayName: '😀'.repeat(100) }))).toBe('accepted');
    expect(codeOf(checkProfileChange({ displayName: '😀'.repeat(101) }))).toBe('PROFILE.DISPLAY_NAME_TOO_LONG');
  });

  test('sign-up refuses it too, and creates nothing', () => {
    expect(codeOf(createProfile(7, 'n'.repeat(101), new Date()))).toBe('PROFILE.DISPLAY_NAME_TOO_LONG');
    expect(codeOf(createProfile(7, 'n'.repeat(100), new Date()))).toBe('accepted');
  });
});

describe('an overlong bio is never stored', () => {
  test('20,000 characters pass, 20,001 are PROFILE.BIO_TOO_LONG', () => {
    expect(codeOf(checkProfileChange({ bio: 'b'.repeat(20_000) }))).toBe('accepted');
    expect(codeOf(checkProfileChange({ bio: 'b'.repeat(20_001) }))).toBe('PROFILE.BIO_TOO_LONG');
  });

  test('multi-byte and astral characters count once each', () => {
    expect(codeOf(checkProfileChange({ bio: '字'.repeat(20_000) }))).toBe('accepted');
    expect(codeOf(checkProfileChange({ bio: '🧮'.repeat(20_000) }))).toBe('accepted');
    expect(codeOf(checkProfileChange({ bio: '🧮'.repeat(20_001) }))).toBe('PROFILE.BIO_TOO_LONG');
  });
});

describe('null clears a field instead of failing a rule', () => {
  test.each(['displayName', 'bio', 'avatarUrl'] as const)('%s: null is accepted', (field) => {
    expect(checkProfileChange({ [field]: null })).toEqual({ [field]: null });
  });
});
