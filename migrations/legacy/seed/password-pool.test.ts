import bcrypt from 'bcrypt';
import { hashSeedPasswordPool, SEED_PASSWORD_POOL_SIZE, seedPassword } from './password-pool';

describe('seed password pool', () => {
  test('user i gets seed-password-NN with NN = i mod 16, as the README documents', () => {
    expect(seedPassword(0)).toBe('seed-password-00');
    expect(seedPassword(15)).toBe('seed-password-15');
    expect(seedPassword(16)).toBe('seed-password-00');
    expect(seedPassword(99_999)).toBe('seed-password-15');
  });

  test('every pooled hash verifies its own password and no other', async () => {
    const hashes = await hashSeedPasswordPool(4);
    expect(hashes).toHaveLength(SEED_PASSWORD_POOL_SIZE);
    await expect(bcrypt.compare(seedPassword(3), hashes[3]!)).resolves.toBe(true);
    await expect(bcrypt.compare(seedPassword(4), hashes[3]!)).resolves.toBe(false);
  });
});
