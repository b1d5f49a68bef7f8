import bcrypt from 'bcrypt';

/**
 * Seeded users share a small pool of known passwords so the demo and tests can log in as any of them:
 * the user generated at index i (usr_id i + 1 after a reset) has password `seedPassword(i)`,
 * i.e. `seed-password-00` .. `seed-password-15` in turn. Hashing once per pool entry keeps 100k users cheap.
 */
export const SEED_PASSWORD_POOL_SIZE = 16;
export const SEED_BCRYPT_COST = 10;

export function seedPassword(userIndex: number): string {
  return `seed-password-${String(userIndex % SEED_PASSWORD_POOL_SIZE).padStart(2, '0')}`;
}

export function hashSeedPasswordPool(cost = SEED_BCRYPT_COST): Promise<string[]> {
  return Promise.all(
    Array.from({ length: SEED_PASSWORD_POOL_SIZE }, (_, entry) => bcrypt.hash(seedPassword(entry), cost)),
  );
}
