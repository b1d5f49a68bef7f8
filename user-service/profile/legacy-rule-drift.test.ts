import { checkAvatarUrl, checkBio, checkDisplayName } from '../../legacy/profile/profile';
import { isFailure } from '../platform/failure';
import { checkProfileChange } from './domain/profile';

// The user-service must answer as the monolith does: the same input gets the same code from both rule sets.
// (A test-only import: the services themselves share no code.)

const newCode = (request: Parameters<typeof checkProfileChange>[0]) => {
  const outcome = checkProfileChange(request);
  return isFailure(outcome) ? outcome.code : 'accepted';
};
const legacyCode = (broken: { code: string } | undefined) => broken?.code ?? 'accepted';

/**
 * Legacy catches new URL's TypeError with `instanceof`, which fails under jest (the error comes from Node's
 * realm, not the test's), so there it throws; in production it answers PROFILE.INVALID_AVATAR_URL.
 */
function legacyAvatarCode(url: string | null): string {
  try {
    return legacyCode(checkAvatarUrl(url));
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_INVALID_URL') return 'PROFILE.INVALID_AVATAR_URL';
    throw error;
  }
}

const texts = [
  null, '', ' ', 'Ada', 'n'.repeat(99), 'n'.repeat(100), 'n'.repeat(101), '😀'.repeat(100), '😀'.repeat(101), 'e\u0301'.repeat(50),
  'e\u0301'.repeat(51), '字'.repeat(20_000), 'b'.repeat(20_001), '🧮'.repeat(20_000), '🧮'.repeat(20_001),
];
const urls = [
  null, '', 'https://cdn.example.com/a.png', 'http://example.com/u/1?size=64', 'HTTPS://EXAMPLE.COM/x.jpg', 'hTtP://x.y',
  'ftp://example.com/a.png', 'javascript:alert(1)', 'http:example.com', 'https:/example.com', ' https://example.com',
  'https://example.com ', 'https://example.com/a b', 'https://', 'https://?', 'https://#x', 'https://user@', '//example.com/a.png',
  `https://example.com/${'a'.repeat(480)}`, `https://example.com/${'a'.repeat(481)}`, `https://example.com/${'é'.repeat(480)}`,
  'https://例え.jp/アバター.png', 'https://example.com/\u0085', 'https://[::1]:8080/a',
];

describe('profile rules never drift from legacy', () => {
  test.each(texts.map((text) => [text === null ? 'null' : `${[...text].length} characters`, text]))(
    'displayName and bio of %s get legacy\'s answer',
    (_, text) => {
      expect(newCode({ displayName: text })).toBe(legacyCode(checkDisplayName(text)));
      expect(newCode({ bio: text })).toBe(legacyCode(checkBio(text)));
    },
  );

  test.each(urls.map((url) => [JSON.stringify(url)?.slice(0, 60), url]))('avatarUrl %s gets legacy\'s answer', (_, url) => {
    expect(newCode({ avatarUrl: url })).toBe(legacyAvatarCode(url));
  });
});
