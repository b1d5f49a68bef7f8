import { isFailure } from '../../platform/failure';
import { checkPreferencesChange } from './preferences';

const outcomeOf = (locale: string) => {
  const outcome = checkPreferencesChange({ locale });
  return isFailure(outcome) ? outcome.code : outcome.locale;
};

describe('a locale legacy could not hold is never stored, and what is stored is canonical BCP 47', () => {
  test.each([
    ['en-US', 'en-US'],
    ['EN-us', 'en-US'],
    ['de', 'de'],
    ['zh-hant-tw', 'zh-Hant-TW'],
    ['es-419', 'es-419'],
    ['sr-Latn-RS', 'sr-Latn-RS'],
    ['iw-IL', 'he-IL'],
    ['fil-PH', 'fil-PH'],
  ])('stores %p as %p', (tag, canonical) => expect(outcomeOf(tag)).toBe(canonical));

  test.each([
    ['a POSIX name', 'en_US'],
    ['garbage', 'not a locale'],
    ['a single letter', 'x'],
    ['an empty string', ''],
    ['an extension', 'en-US-u-ca-buddhist'],
    ['a variant', 'de-DE-1996'],
    ['a private use tag', 'x-klingon'],
    ['a tag longer than the 10 characters of the POSIX column', 'yue-Hant-HK'],
    ['a surrounding space', ' en-US'],
  ])('refuses %s', (_, tag) => expect(outcomeOf(tag)).toBe('PREFERENCES.INVALID_LOCALE'));
});
