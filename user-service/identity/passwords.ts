import bcrypt from 'bcrypt';
import { fitsBcrypt } from './domain/password';

export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(password, cost);
}

export interface PasswordCheck {
  /** Takes one bcrypt comparison whether or not the account exists, so timing does not reveal which emails do. */
  matches(password: string, storedHash: string | undefined): Promise<boolean>;
}

export function passwordCheck(cost: number): PasswordCheck {
  let decoyHash: Promise<string> | undefined;
  return {
    async matches(password, storedHash) {
      decoyHash ??= bcrypt.hash('decoy password for unknown accounts', cost);
      const matches = await bcrypt.compare(password, storedHash ?? (await decoyHash));
      // bcrypt compares only the first 72 bytes; a longer password can never have been registered.
      return matches && storedHash !== undefined && fitsBcrypt(password);
    },
  };
}
