import { isLsn, laterLsn, lsnValue } from './lsn';

describe('WAL positions', () => {
  test('order as PostgreSQL orders pg_lsn, high word first', () => {
    expect(lsnValue('0/16B3748') < lsnValue('0/16B3749')).toBe(true);
    expect(lsnValue('1/0') > lsnValue('0/FFFFFFFF')).toBe(true);
    expect(lsnValue('a/b')).toBe(lsnValue('A/B'));
  });

  test('the later of two; unknown is later than any', () => {
    expect(laterLsn('0/10', '0/9')).toBe('0/10');
    expect(laterLsn('0/9', '1/0')).toBe('1/0');
    expect(laterLsn(null, '1/0')).toBeNull();
    expect(laterLsn('1/0', null)).toBeNull();
  });

  test('only pg_lsn text is a position', () => {
    expect(isLsn('16/B374D848')).toBe(true);
    expect(isLsn('16B374D848')).toBe(false);
    expect(isLsn('0/123456789')).toBe(false);
    expect(() => lsnValue('x')).toThrow(/not a WAL position/);
  });
});
