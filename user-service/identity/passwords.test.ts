import bcrypt from 'bcrypt';
import { hashPassword, passwordCheck } from './passwords';

const COST = 4;

afterEach(() => jest.restoreAllMocks());

describe('passwordCheck', () => {
  test('an unknown email still costs one bcrypt comparison, so timing never reveals which emails exist', async () => {
    const check = passwordCheck(COST);
    const compare = jest.spyOn(bcrypt, 'compare');
    await expect(check.matches('whatever-1', undefined)).resolves.toBe(false);
    await expect(check.matches('whatever-2', await hashPassword('something else', COST))).resolves.toBe(false);
    expect(compare).toHaveBeenCalledTimes(2);
  });

  test('the decoy password never signs anyone in', async () => {
    await expect(passwordCheck(COST).matches('decoy password for unknown accounts', undefined)).resolves.toBe(false);
  });

  test('a password past 72 bytes never matches, even when bcrypt matches its first 72', async () => {
    const check = passwordCheck(COST);
    const hash = await hashPassword('p'.repeat(72), COST);
    await expect(check.matches('p'.repeat(72), hash)).resolves.toBe(true);
    await expect(check.matches(`${'p'.repeat(72)}-and-more`, hash)).resolves.toBe(false);
  });
});
