import { isFailure } from '../../platform/failure';
import { checkPreferencesChange, type PreferencesRequest } from './preferences';

const codeOf = (request: PreferencesRequest) => {
  const outcome = checkPreferencesChange(request);
  return isFailure(outcome) ? outcome.code : 'accepted';
};

// Legacy checks locale, then timeZone, then theme, and answers with the first broken rule.
describe('the first broken rule is the one legacy would name', () => {
  test('locale before timeZone before theme, whatever the order of the body', () => {
    expect(codeOf({ theme: 'sepia', timeZone: 'Mars/Base', locale: 'nope_NOPE' })).toBe('PREFERENCES.INVALID_LOCALE');
    expect(codeOf({ theme: 'sepia', timeZone: 'Mars/Base' })).toBe('PREFERENCES.INVALID_TIME_ZONE');
    expect(codeOf({ theme: 'sepia', marketingEmails: true })).toBe('PREFERENCES.INVALID_THEME');
  });

  test('a valid setting beside an invalid one does not save the request', () => {
    expect(codeOf({ theme: 'dark', locale: 'nope_NOPE' })).toBe('PREFERENCES.INVALID_LOCALE');
  });

  test('a checked change holds the named settings, canonical, and nothing else', () => {
    const stray = { locale: 'EN-us', language: 'en' } as PreferencesRequest;
    expect(checkPreferencesChange(stray)).toEqual({ locale: 'en-US' });
    expect(checkPreferencesChange({})).toEqual({});
  });
});
