import { checkTimeZone, codeForTheme, posixForLocale } from '../../legacy/settings/preferences';
import { isFailure } from '../platform/failure';
import { checkPreferencesChange, type PreferencesRequest } from './domain/preferences';

// The user-service must answer as the monolith does: the same input gets the same code from both rule sets,
// and a stored locale is legacy's canonical tag. (A test-only import: the services themselves share no code.)

const outcomeOf = (request: PreferencesRequest, setting: keyof PreferencesRequest) => {
  const outcome = checkPreferencesChange(request);
  return isFailure(outcome) ? outcome.code : outcome[setting];
};

const locales = [
  'en-US', 'EN-us', 'en', 'de-DE', 'zh-hant-tw', 'zh-Hans', 'es-419', 'iw-IL', 'in-ID', 'sr-Latn-RS', 'fil-PH', 'yue-HK', 'yue-Hant-HK',
  'und', 'en_US', 'x', '', ' en', 'en-US-u-ca-buddhist', 'de-DE-1996', 'x-klingon', 'i-klingon', 'en-GB-oed', 'art-lojban', 'zz-ZZ',
  'en-Latn-US-x-private', 'qaa', 'en-001', 'sgn-BE-FR', 'ca-ES-valencia', 'abcd', 'e\u0301n',
];
const zones = [
  'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'UTC', 'Etc/UTC', 'Etc/GMT+5', 'Etc/GMT-14', 'US/Eastern', 'Asia/Kolkata',
  'Asia/Calcutta', 'GMT', 'EST5EDT', 'Mars/Olympus_Mons', 'Europe/Berlin ', '+05:00', 'Z', '', 'Berlin', 'America/New York',
  'europe/berlin', 'America/Port-au-Prince', 'Antarctica/DumontDUrville', `Etc/${'x'.repeat(61)}`,
];
const themes = ['light', 'dark', 'system', 'Light', 'LIGHT', 'SYS', 'sepia', '', 'toString', '__proto__'];

describe('preferences rules never drift from legacy', () => {
  test.each(locales)('locale %p gets legacy\'s answer', (locale) => {
    const legacy = posixForLocale(locale);
    expect(outcomeOf({ locale }, 'locale')).toBe(typeof legacy === 'string' ? legacy.replaceAll('_', '-') : legacy.code);
  });

  test.each(zones)('timeZone %p gets legacy\'s answer', (timeZone) => {
    expect(outcomeOf({ timeZone }, 'timeZone')).toBe(checkTimeZone(timeZone)?.code ?? timeZone);
  });

  test.each(themes)('theme %p gets legacy\'s answer', (theme) => {
    const legacy = codeForTheme(theme);
    expect(outcomeOf({ theme }, 'theme')).toBe(typeof legacy === 'string' ? theme : legacy.code);
  });
});
