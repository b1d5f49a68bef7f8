import { z } from 'zod';
import { generateLegacyUsers, type GeneratedLegacyUser } from './legacy-user-generator';

const HASHES = Array.from({ length: 16 }, (_, i) => `hash-${i}`);

function take(seed: number, count: number): GeneratedLegacyUser[] {
  const users: GeneratedLegacyUser[] = [];
  for (const user of generateLegacyUsers(seed, HASHES)) {
    users.push(user);
    if (users.length === count) break;
  }
  return users;
}

describe('generateLegacyUsers', () => {
  const users = take(42, 20_000);
  const rows = users.map((user) => user.row);

  test('the same seed yields the same users, so a demo run can be replayed', () => {
    expect(take(42, 500)).toEqual(users.slice(0, 500));
  });

  test('another seed yields other users', () => {
    expect(take(43, 50).map((user) => user.row.email_addr)).not.toEqual(rows.slice(0, 50).map((row) => row.email_addr));
  });

  test('no two emails collide under the unique index on lower(btrim(email_addr))', () => {
    const normalized = new Set(rows.map((row) => row.email_addr.trim().toLowerCase()));
    expect(normalized.size).toBe(rows.length);
  });

  test('user i gets password-pool entry i mod 16, so the documented password logs in', () => {
    expect(rows.slice(0, 33).map((row) => row.pwd_hash)).toEqual(Array.from({ length: 33 }, (_, i) => `hash-${i % 16}`));
  });

  test('clean emails are valid and derived from a name; dirty ones are planted at the documented rates', () => {
    const share = (kind: string) => users.filter((user) => user.dirt.includes(kind as never)).length / users.length;
    expect(share('invalidEmail')).toBeGreaterThan(0.002);
    expect(share('invalidEmail')).toBeLessThan(0.01);
    expect(share('untidyEmail')).toBeGreaterThan(0.04);
    expect(share('untidyEmail')).toBeLessThan(0.06);
    const isValid = (email: string) => z.regexes.email.test(email);
    const emailsWith = (kind: string) =>
      users.filter((user) => (kind === 'clean' ? !user.dirt.some((d) => d.endsWith('Email')) : user.dirt.includes(kind as never)));
    expect(emailsWith('clean').filter((user) => !isValid(user.row.email_addr))).toEqual([]);
    expect(emailsWith('invalidEmail').filter((user) => isValid(user.row.email_addr.trim()))).toEqual([]);
    expect(emailsWith('untidyEmail').filter((user) => !isValid(user.row.email_addr.trim()))).toEqual([]);
    expect(emailsWith('untidyEmail').filter((user) => /[A-Z]/.test(user.row.email_addr)).length).toBeGreaterThan(0);
    expect(emailsWith('untidyEmail').filter((user) => user.row.email_addr !== user.row.email_addr.trim()).length).toBeGreaterThan(0);
  });

  test('statuses are mostly active, with suspended, closed and a few unknown codes', () => {
    const count = (code: string) => rows.filter((row) => row.acct_stat_cd === code).length;
    expect(count('A') / rows.length).toBeGreaterThan(0.85);
    expect(count('S')).toBeGreaterThan(0);
    expect(count('C')).toBeGreaterThan(0);
    expect(count('X') + count('P')).toBeGreaterThan(0);
    expect(count('A') + count('S') + count('C') + count('X') + count('P')).toBe(rows.length);
  });

  test('preferences look like the monolith stored them, dirt included', () => {
    const filled = rows.filter((row) => row.pref_lang?.trim());
    expect(filled.every((row) => /^[a-z]{2}_[A-Z]{2}$/.test(row.pref_lang as string))).toBe(true);
    expect(rows.some((row) => row.pref_lang !== null && row.pref_lang.trim() === '')).toBe(true);
    expect(rows.some((row) => row.pref_lang === null && row.pref_tz === null && row.theme_cd === null)).toBe(true);
    expect(new Set(rows.map((row) => row.theme_cd))).toEqual(new Set(['LIGHT', 'DARK', 'SYS', null]));
    expect(new Set(rows.map((row) => row.email_optin_flg))).toEqual(new Set(['Y', 'N', null]));
  });

  test('about 1% of bios are 3-16 KB, large enough for PostgreSQL to TOAST', () => {
    const large = rows.filter((row) => (row.bio_txt?.length ?? 0) > 2_048);
    expect(large.length / rows.length).toBeGreaterThan(0.005);
    expect(large.length / rows.length).toBeLessThan(0.02);
    expect(large.filter((row) => row.bio_txt!.length < 3 * 1024 || row.bio_txt!.length > 16 * 1024)).toEqual([]);
    expect(rows.some((row) => row.bio_txt === '')).toBe(true);
    expect(rows.some((row) => row.bio_txt === null)).toBe(true);
  });

  test('timestamps lie in the past and in a plausible order', () => {
    const now = Date.now();
    const implausible = rows.filter(
      (row) =>
        row.created_ts.getTime() >= now ||
        row.updated_ts < row.created_ts ||
        row.updated_ts.getTime() >= now ||
        (row.last_login_ts !== null && (row.last_login_ts < row.created_ts || row.last_login_ts.getTime() >= now)),
    );
    expect(implausible).toEqual([]);
  });

  test('every value fits its column', () => {
    const oversized = rows.filter(
      (row) =>
        row.email_addr.length > 320 ||
        [...(row.disp_nm ?? '')].length > 100 ||
        (row.avatar_url?.length ?? 0) > 500 ||
        (row.pref_lang?.length ?? 0) > 10 ||
        (row.pref_tz?.length ?? 0) > 64,
    );
    expect(oversized).toEqual([]);
  });
});
