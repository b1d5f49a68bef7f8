import { isFailure, type Failure } from '../platform/failure';
import { preconditionFailure } from '../platform/versioning';
import {
  accountNotFound, emailTaken, findAccount, IDENTITY_ROLE, isEmailTaken, lockAccount, recordAccountEvents, updateAccount,
} from './accounts.repository';
import { change, type Account } from './domain/account';
import type { AccountStatus } from './domain/account-status';
import type { EmailAddress } from './domain/email-address';
import type { IdentityDependencies } from './identity-dependencies';

export async function viewAccount(id: number, { db }: IdentityDependencies): Promise<Account | Failure> {
  return (await db.read(IDENTITY_ROLE, (sql) => findAccount(sql, id))) ?? accountNotFound();
}

/**
 * The account PATCH, in one transaction on the locked row: If-Match, then the status rule, then the write,
 * where the unique constraint finds a taken email (also one a concurrent change took a moment earlier).
 * `acceptedVersions` undefined means unconditional.
 */
export async function changeAccount(
  id: number,
  requested: { email?: EmailAddress; status?: AccountStatus },
  acceptedVersions: readonly number[] | undefined,
  { db, clock }: IdentityDependencies,
): Promise<Account | Failure> {
  return db.transaction(async (uow) => {
    const sql = uow.as(IDENTITY_ROLE);
    const account = await lockAccount(sql, id);
    if (!account) return accountNotFound();
    const stale = preconditionFailure(acceptedVersions, account.version);
    if (stale) return stale;
    const changed = change(account, requested, clock());
    if (isFailure(changed)) return changed;
    try {
      await updateAccount(sql, account.version, changed);
    } catch (error) {
      // The transaction is aborted now; returning the failure rolls it back.
      if (isEmailTaken(error)) return emailTaken();
      throw error;
    }
    await recordAccountEvents(sql, changed.events);
    return changed.account;
  });
}
