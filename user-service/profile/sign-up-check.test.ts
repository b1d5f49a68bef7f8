import { checkProfileStart } from '.';

// Registration checks every context's rules before its first write, so a sign-up breaking profile's rule
// is refused as legacy refuses it: before the email is found taken.
describe('a sign-up with an overlong display name is refused before anything is written', () => {
  test.each([
    ['no display name', undefined, undefined],
    ['a null display name', null, undefined],
    ['100 emoji', '😀'.repeat(100), undefined],
    ['101 characters', 'n'.repeat(101), 'PROFILE.DISPLAY_NAME_TOO_LONG'],
  ])('%s', (_, displayName, code) => {
    expect(checkProfileStart({ displayName })?.code).toBe(code);
  });
});
