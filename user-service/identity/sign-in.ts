import { isFailure, type Failure } from '../platform/failure';
import { findAccountByEmail, IDENTITY_ROLE, lockAccount, recordAccountEvents, updateAccount } from './accounts.repository';
import { invalidCredentials, signIn, type Account } from './domain/account';
import { signInEmail } from './domain/email-address';
import type { IdentityDependencies } from './identity-dependencies';
import type { PasswordCheck } from './passwords';

/**
 * Signs in with email and password; on success the account records the sign-in (SignedIn, new version).
 * Every refusal is the same INVALID_CREDENTIALS: unknown email, wrong password, a password past 72 bytes,
 * an account that is not active.
 */
export async function signInWithPassword(
  credentials: { email: string; password: string },
  passwords: PasswordCheck,
  { db, clock }: IdentityDependencies,
): Promise<Account | Failure> {
  const found = await db.read(IDENTITY_ROLE, (sql) => findAccountByEmail(sql, signInEmail(credentials.email)));
  // bcrypt runs outside the transaction: a row lock held for a deliberately slow hash would queue writers.
  if (!(await passwords.matches(credentials.password, found?.passwordHash)) || !found) return invalidCredentials();
  return db.transaction(async (uow) => {
    const sql = uow.as(IDENTITY_ROLE);
    const account = await lockAccount(sql, found.id);
    // Erased or re-keyed since the password was checked: judge the credentials against the account as it is now.
    if (!account || account.email !== found.email || account.passwordHash !== found.passwordHash) return invalidCredentials();
    const signedIn = signIn(account, clock());
    if (isFailure(signedIn)) return signedIn;
    await updateAccount(sql, account.version, signedIn);
    await recordAccountEvents(sql, signedIn.events);
    return signedIn.account;
  });
}
