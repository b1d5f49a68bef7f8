import { isFailure } from '../../platform/failure';
import { checkProfileChange, createProfile, erasureOf, reviseProfile, type Profile, type ProfileChange } from './profile';

const signedUpAt = new Date('2026-11-21T12:00:00.000Z');
const later = new Date('2026-11-21T13:30:00.000Z');

function started(displayName: string | null = 'Ada'): Profile {
  const created = createProfile(42, displayName, signedUpAt);
  if (isFailure(created)) throw new Error(created.message);
  return created.profile;
}

function checked(request: Parameters<typeof checkProfileChange>[0]): ProfileChange {
  const change = checkProfileChange(request);
  if (isFailure(change)) throw new Error(change.message);
  return change;
}

describe('every change is exactly one version step with one event carrying the new state', () => {
  test('a new persona is version 1 with ProfileCreated carrying it', () => {
    const created = createProfile(42, 'Ada', signedUpAt);
    expect(created).toEqual({
      profile: { id: 42, displayName: 'Ada', bio: null, avatarUrl: null, updatedAt: signedUpAt, version: 1 },
      event: {
        type: 'profile.ProfileCreated',
        aggregateId: 42,
        version: 1,
        occurredAt: signedUpAt,
        data: { id: 42, displayName: 'Ada', bio: null, avatarUrl: null, updatedAt: '2026-11-21T12:00:00.000Z' },
      },
    });
  });

  test('a revision moves the version by one, sets only the named fields and says which changed', () => {
    const revision = reviseProfile(started(), checked({ bio: 'Analyst.', avatarUrl: 'https://example.com/a.png' }), later);
    expect(revision?.profile).toEqual({
      id: 42, displayName: 'Ada', bio: 'Analyst.', avatarUrl: 'https://example.com/a.png', updatedAt: later, version: 2,
    });
    expect(revision?.changed).toEqual(['bio', 'avatarUrl']);
    expect(revision?.event).toEqual({
      type: 'profile.ProfileUpdated',
      aggregateId: 42,
      version: 2,
      occurredAt: later,
      data: { id: 42, displayName: 'Ada', bio: 'Analyst.', avatarUrl: 'https://example.com/a.png', updatedAt: '2026-11-21T13:30:00.000Z' },
    });
  });

  test('null clears a field, and clearing is a change', () => {
    const revision = reviseProfile(started(), checked({ displayName: null }), later);
    expect([revision?.profile.displayName, revision?.profile.version, revision?.changed]).toEqual([null, 2, ['displayName']]);
  });

  test('successive revisions never skip or repeat a version', () => {
    let profile = started();
    const versions: number[] = [profile.version];
    for (const bio of ['one', 'two', 'three']) {
      const revision = reviseProfile(profile, checked({ bio }), later);
      if (!revision) throw new Error('expected a change');
      expect(revision.event.version).toBe(revision.profile.version);
      profile = revision.profile;
      versions.push(profile.version);
    }
    expect(versions).toEqual([1, 2, 3, 4]);
  });

  test('erasure takes the next version and carries the id only', () => {
    expect(erasureOf({ ...started(), version: 5 }, later)).toEqual({
      type: 'profile.ProfileErased', aggregateId: 42, version: 6, occurredAt: later, data: { id: 42 },
    });
  });
});
