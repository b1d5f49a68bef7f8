import { isFailure } from '../../platform/failure';
import { checkProfileChange } from './profile';

const codeOf = (avatarUrl: string) => {
  const outcome = checkProfileChange({ avatarUrl });
  return isFailure(outcome) ? outcome.code : 'accepted';
};

describe('an avatar that is not a literal http(s) URL of at most 500 characters is never stored', () => {
  test.each(['https://cdn.example.com/a.png', 'http://example.com/u/1?size=64', 'HTTPS://EXAMPLE.COM/x.jpg', 'https://[::1]/a.png'])(
    'accepts %p',
    (url) => expect(codeOf(url)).toBe('accepted'),
  );

  test.each([
    ['another scheme', 'ftp://example.com/a.png'],
    ['a script URL', 'javascript:alert(1)'],
    ['a data URL', 'data:image/png;base64,AAAA'],
    ['no slashes, which WHATWG parsing forgives', 'http:example.com/a.png'],
    ['one slash, which WHATWG parsing forgives', 'https:/example.com/a.png'],
    ['surrounding spaces, which WHATWG parsing trims', ' https://example.com/a.png'],
    ['a trailing newline', 'https://example.com/a.png\n'],
    ['an inner space', 'https://example.com/my avatar.png'],
    ['an inner tab, which WHATWG parsing drops', 'https://exa\tmple.com/a.png'],
    ['no host', 'https://'],
    ['a host WHATWG refuses', 'https://exa%mple.com/'],
    ['a relative path', '/avatars/1.png'],
    ['an empty string', ''],
  ])('refuses %s', (_, url) => expect(codeOf(url)).toBe('PROFILE.INVALID_AVATAR_URL'));

  test('500 characters pass, 501 do not', () => {
    expect(codeOf(`https://example.com/${'a'.repeat(480)}`)).toBe('accepted');
    expect(codeOf(`https://example.com/${'a'.repeat(481)}`)).toBe('PROFILE.INVALID_AVATAR_URL');
  });
});
