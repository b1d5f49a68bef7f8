import { isFailure } from '../../platform/failure';
import { checkPreferencesChange } from './preferences';

const outcomeOf = (theme: string) => {
  const outcome = checkPreferencesChange({ theme });
  return isFailure(outcome) ? outcome.code : outcome.theme;
};

describe('a theme other than light, dark or system is never stored', () => {
  test.each(['light', 'dark', 'system'])('stores %p', (theme) => expect(outcomeOf(theme)).toBe(theme));

  test.each([
    ['a capitalised theme', 'Light'],
    ["legacy's stored code instead of the API value", 'SYS'],
    ['an unknown theme', 'sepia'],
    ['an empty string', ''],
    ['an inherited property name', 'toString'],
  ])('refuses %s', (_, theme) => expect(outcomeOf(theme)).toBe('PREFERENCES.INVALID_THEME'));

  test('marketingEmails needs no rule of its own: the body schema already requires a boolean', () => {
    expect(checkPreferencesChange({ marketingEmails: false })).toEqual({ marketingEmails: false });
  });
});
