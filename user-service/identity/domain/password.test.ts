import { Failure } from '../../platform/failure';
import { checkNewPassword, fitsBcrypt } from './password';

const codeOf = (value: unknown) => (value instanceof Failure ? value.code : undefined);

describe('checkNewPassword', () => {
  test('8 characters and exactly 72 bytes are never refused', () => {
    expect(checkNewPassword('12345678')).toBeUndefined();
    expect(checkNewPassword('x'.repeat(72))).toBeUndefined();
  });

  test('a 7-character password is never accepted', () => {
    expect(codeOf(checkNewPassword('1234567'))).toBe('IDENTITY.WEAK_PASSWORD');
  });

  test('a 73-byte password, which bcrypt would silently truncate, is never accepted', () => {
    expect(codeOf(checkNewPassword('x'.repeat(73)))).toBe('IDENTITY.WEAK_PASSWORD');
  });

  test('multi-byte characters count as bytes toward the upper bound', () => {
    expect(codeOf(checkNewPassword('é'.repeat(37)))).toBe('IDENTITY.WEAK_PASSWORD');
    expect(checkNewPassword('é'.repeat(36))).toBeUndefined();
  });

  test('emoji count as characters, not UTF-16 units, toward the lower bound', () => {
    // Four emoji are eight UTF-16 units but only four characters.
    expect(codeOf(checkNewPassword('🔑🔑🔑🔑'))).toBe('IDENTITY.WEAK_PASSWORD');
  });
});

describe('fitsBcrypt', () => {
  test('a sign-in password past 72 bytes never counts as matching its first 72', () => {
    expect(fitsBcrypt('p'.repeat(72))).toBe(true);
    expect(fitsBcrypt('p'.repeat(73))).toBe(false);
    expect(fitsBcrypt('€'.repeat(25))).toBe(false);
  });
});
