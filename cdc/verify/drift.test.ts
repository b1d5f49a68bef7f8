import type { LegacyUserRow } from '../debezium/change-event';
import type { AccountState, PersonaState, SettingsState } from '../forward/legacy-user.acl';
import { chunkUpperBound, classify, classifyAll, confirmedDrift, isDrifting, LANES, summarise, type DriftKind } from './drift';

// What node-pg returns for the legacy row when timestamps are read as to_char text (verify-contexts.ts).
const legacyRow: LegacyUserRow = {
  usr_id: 7,
  email_addr: ' Grace.Hopper@Example.com ',
  pwd_hash: '$2b$10$abcdefghijklmnopqrstuuJ1cWcTxJ6MZoZzoTtn7pD8Uvq8cXX9S',
  acct_stat_cd: 'A',
  disp_nm: 'Grace',
  bio_txt: 'Compilers.',
  avatar_url: null,
  pref_lang: 'en_US',
  pref_tz: 'America/New_York',
  email_optin_flg: 'N',
  theme_cd: 'DARK',
  last_login_ts: null,
  created_ts: '2019-03-04T05:06:07.123456',
  updated_ts: '2026-01-01T00:00:00.000000',
};

const account: AccountState = {
  id: 7,
  email: 'grace.hopper@example.com',
  passwordHash: legacyRow.pwd_hash,
  status: 'active',
  createdAt: new Date('2019-03-04T05:06:07.123Z'),
  lastLoginAt: null,
};
const persona: PersonaState = { id: 7, displayName: 'Grace', bio: 'Compilers.', avatarUrl: null };
const settings: SettingsState = { id: 7, locale: 'en-US', timeZone: 'America/New_York', marketingEmails: false, theme: 'dark' };

describe('drift classification, through the forward ACL', () => {
  test('a row the sync would leave alone is no drift in any context (normalised email, POSIX locale, codes)', () => {
    expect(classify(LANES.identity, legacyRow, account)).toBeUndefined();
    expect(classify(LANES.profile, legacyRow, persona)).toBeUndefined();
    expect(classify(LANES.preferences, legacyRow, settings)).toBeUndefined();
  });

  test('missing, extra and different are told apart', () => {
    expect(classify(LANES.profile, legacyRow, undefined)).toBe('missing');
    expect(classify(LANES.profile, undefined, persona)).toBe('extra');
    expect(classify(LANES.profile, { ...legacyRow, disp_nm: 'Amazing Grace' }, persona)).toBe('different');
    expect(classify(LANES.profile, undefined, undefined)).toBeUndefined();
  });

  test('a legacy row the ACL rejects is unsyncable, not different, even where the context kept an older state', () => {
    expect(classify(LANES.identity, { ...legacyRow, acct_stat_cd: 'X' }, account)).toBe('unsyncable');
    expect(classify(LANES.identity, { ...legacyRow, email_addr: 'no-at-sign' }, undefined)).toBe('unsyncable');
    // Only the context whose columns are bad: the persona of the same row is fine.
    expect(classify(LANES.profile, { ...legacyRow, acct_stat_cd: 'X' }, persona)).toBeUndefined();
  });

  test('created-time-kept-not-drift: an account whose legacy row lost created_ts keeps its stored creation time, as the sync does', () => {
    expect(classify(LANES.identity, { ...legacyRow, created_ts: null }, account)).toBeUndefined();
  });

  test('microseconds are truncated, as the sync truncates them', () => {
    expect(classify(LANES.identity, { ...legacyRow, created_ts: '2019-03-04T05:06:07.123999' }, account)).toBeUndefined();
    expect(classify(LANES.identity, { ...legacyRow, created_ts: '2019-03-04T05:06:07.124000' }, account)).toBe('different');
  });

  test('classifyAll walks the union of both sides\' ids', () => {
    const legacy = new Map([[1, { ...legacyRow, usr_id: 1 }], [2, { ...legacyRow, usr_id: 2 }]]);
    const stored = new Map([[2, { ...persona, id: 2, bio: 'changed behind the sync' }], [3, { ...persona, id: 3 }]]);
    expect([...classifyAll(LANES.profile, legacy, stored)]).toEqual([[1, 'missing'], [2, 'different'], [3, 'extra']]);
  });
});

describe('chunk planning', () => {
  test('the chunk ends at the smallest last id among full pages, so no side is read past what it returned', () => {
    expect(chunkUpperBound([{ ids: [1, 2, 3], full: true }, { ids: [2, 9, 40], full: true }, { ids: [5], full: false }])).toBe(3);
  });

  test('no full page means every side is exhausted: the chunk is the last one', () => {
    expect(chunkUpperBound([{ ids: [1, 2], full: false }, { ids: [], full: false }])).toBe(Number.POSITIVE_INFINITY);
  });

  test('extra-ids-beyond-legacy-are-still-visited: a context far ahead of legacy bounds the chunk by legacy\'s page', () => {
    // Legacy ids 1..3 (full page of 3), the context holds 10^12 ids (registered in the new service).
    expect(chunkUpperBound([{ ids: [1, 2, 3], full: true }, { ids: [1e12, 1e12 + 1], full: false }])).toBe(3);
  });
});

describe('re-check', () => {
  test('a row drifting on the pass but not on the re-check (a sync in flight) is not reported', () => {
    const first = new Map<number, DriftKind>([[1, 'missing'], [2, 'different'], [3, 'extra']]);
    const recheck = new Map<number, DriftKind>([[2, 'different'], [3, 'missing']]);
    expect([...confirmedDrift(first, recheck)]).toEqual([[2, 'different'], [3, 'missing']]);
  });

  test('a row that only starts drifting during the re-check waits for the next run', () => {
    expect([...confirmedDrift(new Map(), new Map<number, DriftKind>([[9, 'missing']]))]).toEqual([]);
  });
});

describe('summaries', () => {
  test('counts and ascending ids per kind; unsyncable alone does not fail verification', () => {
    const summary = summarise('identity', new Map<number, DriftKind>([[5, 'unsyncable'], [2, 'unsyncable']]));
    expect(summary).toEqual({
      context: 'identity',
      counts: { missing: 0, extra: 0, different: 0, unsyncable: 2 },
      ids: { missing: [], extra: [], different: [], unsyncable: [2, 5] },
    });
    expect(isDrifting(summary)).toBe(false);
    expect(isDrifting(summarise('identity', new Map<number, DriftKind>([[3, 'extra']])))).toBe(true);
  });
});
