import { Failure } from '../http/failure';
import { checkAvatarUrl, checkBio, checkDisplayName, profileFromRow } from './profile';

function failureCode(value: unknown): string | undefined {
  return value instanceof Failure ? value.code : undefined;
}

describe('checkDisplayName', () => {
  test('accepts 100 characters and null (clearing it)', () => {
    expect(checkDisplayName('n'.repeat(100))).toBeUndefined();
    expect(checkDisplayName(null)).toBeUndefined();
  });

  test('refuses 101 characters', () => {
    expect(failureCode(checkDisplayName('n'.repeat(101)))).toBe('PROFILE.DISPLAY_NAME_TOO_LONG');
  });

  test('counts characters as varchar(100) does, so 100 emoji (200 UTF-16 units) still fit', () => {
    expect(checkDisplayName('😀'.repeat(100))).toBeUndefined();
    expect(failureCode(checkDisplayName('😀'.repeat(101)))).toBe('PROFILE.DISPLAY_NAME_TOO_LONG');
  });
});

describe('checkBio', () => {
  test('accepts 20000 characters and refuses 20001', () => {
    expect(checkBio('b'.repeat(20_000))).toBeUndefined();
    expect(failureCode(checkBio('b'.repeat(20_001)))).toBe('PROFILE.BIO_TOO_LONG');
  });
});

describe('checkAvatarUrl', () => {
  test.each(['https://cdn.example.com/a.png', 'http://example.com/u/1?size=64', 'HTTPS://EXAMPLE.COM/x.jpg', null])('accepts %p', (url) => {
    expect(checkAvatarUrl(url)).toBeUndefined();
  });

  test.each([
    ['another scheme', 'ftp://example.com/a.png'],
    ['a script URL', 'javascript:alert(1)'],
    ['a data URL', 'data:image/png;base64,AAAA'],
    ['no slashes, which WHATWG parsing forgives', 'http:example.com/a.png'],
    ['surrounding spaces, which WHATWG parsing trims', ' https://example.com/a.png'],
    ['an inner space', 'https://example.com/my avatar.png'],
    ['no host', 'https://'],
    ['a relative path', '/avatars/1.png'],
    ['501 characters', `https://example.com/${'a'.repeat(481)}`],
  ])('refuses %s', (_, url) => {
    expect(failureCode(checkAvatarUrl(url))).toBe('PROFILE.INVALID_AVATAR_URL');
  });

  test('accepts exactly 500 characters', () => {
    expect(checkAvatarUrl(`https://example.com/${'a'.repeat(480)}`)).toBeUndefined();
  });
});

describe('profileFromRow', () => {
  test('keeps nulls and empty strings apart and formats updatedAt as UTC', () => {
    expect(
      profileFromRow({ usr_id: '7', disp_nm: null, bio_txt: '', avatar_url: null, updated_ts: new Date('2021-06-01T00:00:00Z') }),
    ).toEqual({ id: 7, displayName: null, bio: '', avatarUrl: null, updatedAt: '2021-06-01T00:00:00.000Z' });
  });
});
