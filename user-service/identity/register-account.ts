import { isFailure, type Failure } from '../platform/failure';
import type { UnitOfWork } from '../platform/unit-of-work';
import { emailTaken, IDENTITY_ROLE, insertAccount, nextAccountId, recordAccountEvents } from './accounts.repository';
import { register } from './domain/account';
import { emailAddress } from './domain/email-address';
import { checkNewPassword } from './domain/password';
import type { IdentityDependencies } from './identity-dependencies';
import { hashPassword } from './passwords';

export interface RegisteredAccount {
  id: number;
  email: string;
  status: 'active';
  createdAt: Date;
  version: number;
}

/**
 * Identity's rules for a sign-up, without writing anything: the registration process checks every
 * context's rules before the first write, in legacy's order (email, password, then the profile's), so a
 * request breaking several rules gets the same first failure from both backends.
 */
export function checkRegistration(input: { email: string; password: string }): Failure | undefined {
  const email = emailAddress(input.email);
  return isFailure(email) ? email : checkNewPassword(input.password);
}

/**
 * Identity's part of signing up (registration/), in the process's transaction. Checks in legacy's order:
 * the email, then the password; a taken email is found by the insert itself, so two sign-ups racing for
 * one email cannot both pass.
 */
export async function registerAccount(
  uow: UnitOfWork,
  input: { email: string; password: string },
  deps: IdentityDependencies,
): Promise<RegisteredAccount | Failure> {
  const email = emailAddress(input.email);
  if (isFailure(email)) return email;
  const weak = checkNewPassword(input.password);
  if (weak) return weak;
  const passwordHash = await hashPassword(input.password, deps.bcryptCost);
  const sql = uow.as(IDENTITY_ROLE);
  const { account, events } = register({ id: await nextAccountId(sql), email, passwordHash }, deps.clock());
  if (!(await insertAccount(sql, account))) return emailTaken();
  await recordAccountEvents(sql, events);
  return { id: account.id, email: account.email, status: 'active', createdAt: account.createdAt, version: account.version };
}
