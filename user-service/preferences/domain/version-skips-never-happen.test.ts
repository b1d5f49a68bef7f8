import { isFailure } from '../../platform/failure';
import {
  changePreferences, checkPreferencesChange, createPreferences, erasureOf, type Preferences, type PreferencesChange, type PreferencesRequest,
} from './preferences';

const signedUpAt = new Date('2026-11-21T12:00:00.000Z');
const later = new Date('2026-11-21T13:30:00.000Z');

function checked(request: PreferencesRequest): PreferencesChange {
  const change = checkPreferencesChange(request);
  if (isFailure(change)) throw new Error(change.message);
  return change;
}

describe('every change is exactly one version step with one event carrying the new state', () => {
  test('new preferences are empty, version 1, with PreferencesCreated carrying them', () => {
    expect(createPreferences(42, signedUpAt)).toEqual({
      preferences: { id: 42, locale: null, timeZone: null, marketingEmails: null, theme: null, updatedAt: signedUpAt, version: 1 },
      event: {
        type: 'preferences.PreferencesCreated',
        aggregateId: 42,
        version: 1,
        occurredAt: signedUpAt,
        data: { id: 42, locale: null, timeZone: null, marketingEmails: null, theme: null },
      },
    });
  });

  test('a change moves the version by one, makes only the named settings and says which changed', () => {
    const { preferences } = createPreferences(42, signedUpAt);
    const revision = changePreferences(preferences, checked({ locale: 'pt-br', marketingEmails: false }), later);
    expect(revision?.preferences).toEqual({
      id: 42, locale: 'pt-BR', timeZone: null, marketingEmails: false, theme: null, updatedAt: later, version: 2,
    });
    expect(revision?.changed).toEqual(['locale', 'marketingEmails']);
    expect(revision?.event).toEqual({
      type: 'preferences.PreferencesChanged',
      aggregateId: 42,
      version: 2,
      occurredAt: later,
      data: { id: 42, locale: 'pt-BR', timeZone: null, marketingEmails: false, theme: null },
    });
  });

  test('successive changes never skip or repeat a version', () => {
    let preferences: Preferences = createPreferences(42, signedUpAt).preferences;
    const versions = [preferences.version];
    for (const theme of ['dark', 'light', 'system']) {
      const revision = changePreferences(preferences, checked({ theme }), later);
      if (!revision) throw new Error('expected a change');
      expect(revision.event.version).toBe(revision.preferences.version);
      preferences = revision.preferences;
      versions.push(preferences.version);
    }
    expect(versions).toEqual([1, 2, 3, 4]);
  });

  test('erasure takes the next version and carries the id only', () => {
    const { preferences } = createPreferences(42, signedUpAt);
    expect(erasureOf({ ...preferences, version: 3 }, later)).toEqual({
      type: 'preferences.PreferencesErased', aggregateId: 42, version: 4, occurredAt: later, data: { id: 42 },
    });
  });
});
