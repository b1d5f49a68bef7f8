import type { Failure } from '../platform/failure';
import type { UnitOfWork } from '../platform/unit-of-work';
import { accountNotFound, deleteAccount, IDENTITY_ROLE, lockAccount, recordAccountEvents } from './accounts.repository';
import { erase } from './domain/account';
import type { IdentityDependencies } from './identity-dependencies';

/** Identity's part of erasing a user (registration/), in the process's transaction. */
export async function eraseAccount(uow: UnitOfWork, id: number, deps: IdentityDependencies): Promise<void | Failure> {
  const sql = uow.as(IDENTITY_ROLE);
  // Locked, so the erasure's version follows the last change that committed.
  const account = await lockAccount(sql, id);
  if (!account) return accountNotFound();
  await deleteAccount(sql, id);
  await recordAccountEvents(sql, [erase(account, deps.clock())]);
}
