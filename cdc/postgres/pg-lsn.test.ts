import { formatPgLsn, isPgLsn, parsePgLsn } from './pg-lsn';

describe('pg_lsn text', () => {
  test('reads-both-words-high-first: orders as PostgreSQL orders pg_lsn', () => {
    expect(parsePgLsn('0/0')).toBe(0n);
    expect(parsePgLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(parsePgLsn('1/0') > parsePgLsn('0/FFFFFFFF')).toBe(true);
    // Lower case and PostgreSQL 18's zero-padded low word are the same position.
    expect(parsePgLsn('16/b374d848')).toBe(parsePgLsn('16/B374D848'));
    expect(parsePgLsn('0/0016B374')).toBe(parsePgLsn('0/16B374'));
  });

  test('formats-as-postgres-prints-it-and-round-trips', () => {
    for (const text of ['0/0', '0/16B3748', '16/B374D848', 'FFFFFFFF/FFFFFFFF']) expect(formatPgLsn(parsePgLsn(text))).toBe(text);
    expect(() => formatPgLsn(-1n)).toThrow(RangeError);
    expect(() => formatPgLsn(1n << 64n)).toThrow(RangeError);
  });

  test.each(['', '16', '16/', '/B374D848', '123456789/0', '0/123456789', '0x1/2', '1/2 ', ' 1/2', 'G/0', '1/2/3'])('not-a-pg-lsn %j', (text) => {
    expect(isPgLsn(text)).toBe(false);
    expect(() => parsePgLsn(text)).toThrow(/not a pg_lsn/);
  });

  test('only strings are pg_lsn text', () => {
    expect(isPgLsn(12)).toBe(false);
    expect(isPgLsn(['1/2'])).toBe(false);
    expect(isPgLsn('1/2')).toBe(true);
  });
});
