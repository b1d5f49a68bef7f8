import { differencesFrom, WriteLedger } from './write-ledger';

describe('acknowledged-write ledger', () => {
  it('expects the last acknowledged value of each field the client set', () => {
    const ledger = new WriteLedger();
    ledger.recordChange(7, 'profile', ['displayName'], { id: 7, displayName: 'First', bio: 'untouched' });
    ledger.recordChange(7, 'profile', ['displayName', 'bio'], { id: 7, displayName: 'Second', bio: 'set' });
    const [expectation] = ledger.expectations();
    expect(expectation!.fields.profile).toEqual({ displayName: 'Second', bio: 'set' });
    expect(ledger.acknowledgedWrites).toBe(2);
    expect(differencesFrom(expectation!, { profile: { id: 7, displayName: 'Second', bio: 'set', updatedAt: 'x' } }, 'legacy')).toEqual([]);
  });

  it('reports a side that lost an acknowledged write, by field name only (never the value)', () => {
    const ledger = new WriteLedger();
    ledger.recordChange(7, 'identity', ['email'], { email: 'secret@example.com' });
    const differences = differencesFrom(ledger.expectations()[0]!, { identity: { email: 'old@example.com' } }, 'legacy');
    expect(differences).toEqual(['user 7 on legacy: account.email differs from what the client was told']);
    expect(differences.join()).not.toContain('secret');
  });

  it('reports a missing resource and an erased user still present', () => {
    const ledger = new WriteLedger();
    ledger.recordSignUp(1_000_000_000_001, { id: 1_000_000_000_001, email: 'a@example.com', status: 'active' });
    ledger.recordChange(3, 'preferences', ['theme'], { theme: 'dark' });
    ledger.recordErasure(3);
    const [signedUp, erased] = ledger.expectations();
    expect(differencesFrom(signedUp!, { identity: null }, 'legacy')).toEqual(['user 1000000000001 on legacy: account missing (404)']);
    expect(differencesFrom(erased!, { identity: null, profile: null, preferences: { theme: 'dark' } }, 'user-service')).toEqual(['user 3 on user-service: erased, but its preferences is still there']);
    expect(differencesFrom(erased!, { identity: null, profile: null, preferences: null }, 'legacy')).toEqual([]);
  });

  it('does not compare a context whose last write had no answer (the client cannot know either)', () => {
    const ledger = new WriteLedger();
    ledger.recordChange(5, 'profile', ['displayName'], { displayName: 'Before' });
    ledger.recordUncertain(5, 'profile');
    expect(differencesFrom(ledger.expectations()[0]!, { profile: { displayName: 'Maybe after' } }, 'legacy')).toEqual([]);
  });
});
