import bcrypt from 'bcrypt';
import { MAX_PASSWORD_BYTES } from './account';

export interface Passwords {
  hash(password: string): Promise<string>;
  /** Takes as long for an unknown account as for a known one, so timing does not reveal which emails exist. */
  verify(password: string, storedHash: string | undefined): Promise<boolean>;
}

export function createPasswords(cost: number): Passwords {
  let decoyHash: Promise<string> | undefined;
  return {
    hash: (password) => bcrypt.hash(password, cost),
    async verify(password, storedHash) {
      decoyHash ??= bcrypt.hash('decoy password for unknown accounts', cost);
      const hash = storedHash ?? (await decoyHash);
      const matches = await bcrypt.compare(password, hash);
      // A stored password can never be longer, and bcrypt would compare only its first 72 bytes.
      return matches && storedHash !== undefined && Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
    },
  };
}
