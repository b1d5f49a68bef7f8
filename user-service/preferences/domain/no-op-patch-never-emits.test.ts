import { isFailure } from '../../platform/failure';
import { changePreferences, checkPreferencesChange, createPreferences, type Preferences, type PreferencesRequest } from './preferences';

const preferences: Preferences = {
  ...createPreferences(42, new Date('2026-11-21T12:00:00.000Z')).preferences,
  locale: 'pt-BR',
  timeZone: 'America/Sao_Paulo',
  marketingEmails: false,
  theme: 'system',
};
const later = new Date('2026-11-21T13:00:00.000Z');

function revise(request: PreferencesRequest) {
  const change = checkPreferencesChange(request);
  if (isFailure(change)) throw new Error(change.message);
  return changePreferences(preferences, change, later);
}

describe('a PATCH that changes nothing makes no version, no event and no write', () => {
  test.each([
    ['an empty change', {}],
    ['all the current values', { locale: 'pt-BR', timeZone: 'America/Sao_Paulo', marketingEmails: false, theme: 'system' }],
    ['a locale that canonicalises to the current one', { locale: 'PT-br' }],
  ])('%s', (_, request) => expect(revise(request)).toBeUndefined());

  test('a zone is compared as sent: a link to the same place is a change', () => {
    expect(revise({ timeZone: 'Brazil/East' })?.changed).toEqual(['timeZone']);
  });

  test('a change beside a repeated value writes only the changed setting', () => {
    expect(revise({ theme: 'system', marketingEmails: true })?.changed).toEqual(['marketingEmails']);
  });
});
