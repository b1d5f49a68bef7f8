import { Failure } from '../../platform/failure';

/** bcrypt ignores everything past 72 bytes, so a longer password would be silently truncated. */
export const MAX_PASSWORD_BYTES = 72;
const MIN_PASSWORD_CHARACTERS = 8;

const utf8 = new TextEncoder();

/** Whether bcrypt reads all of the password; one it would truncate can never have been registered. */
export function fitsBcrypt(password: string): boolean {
  return utf8.encode(password).length <= MAX_PASSWORD_BYTES;
}

/** A new password: at least 8 characters (code points, not UTF-16 units) and at most 72 bytes. */
export function checkNewPassword(password: string): Failure | undefined {
  if ([...password].length >= MIN_PASSWORD_CHARACTERS && fitsBcrypt(password)) return undefined;
  return new Failure('IDENTITY.WEAK_PASSWORD', 'password must be at least 8 characters and at most 72 bytes');
}
