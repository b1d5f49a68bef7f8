import { Failure, isFailure } from '../../platform/failure';
import type { AccountErased, AccountEvent, AccountState, AccountStateEventType } from './account-events';
import { checkStatusTransition, type AccountStatus } from './account-status';
import type { EmailAddress } from './email-address';

/** The identity aggregate: a credential holder who can sign in while active. */
export interface Account extends AccountState {
  /** 1 at registration; every change adds exactly one, and no-ops add none. */
  readonly version: number;
}

/** An account after a command and what happened to it, oldest first; no events for a no-op. */
export interface AccountChange {
  readonly account: Account;
  readonly events: readonly AccountEvent[];
}

function record(type: AccountStateEventType, previousVersion: number, state: AccountState, now: Date): AccountChange {
  const account: Account = { ...state, version: previousVersion + 1 };
  return { account, events: [{ type, aggregateId: account.id, version: account.version, occurredAt: now, state }] };
}

const unchanged = (account: Account): AccountChange => ({ account, events: [] });

/** The password has already passed checkNewPassword and been hashed: the domain never sees it in clear. */
export function register(input: { id: number; email: EmailAddress; passwordHash: string }, now: Date): AccountChange {
  const state: AccountState = { ...input, status: 'active', createdAt: now, lastLoginAt: null };
  return record('identity.AccountRegistered', 0, state, now);
}

function changeEmail(account: Account, email: EmailAddress, now: Date): AccountChange {
  if (email === account.email) return unchanged(account);
  return record('identity.EmailChanged', account.version, { ...stateOf(account), email }, now);
}

function changeStatus(account: Account, status: AccountStatus, now: Date): AccountChange | Failure {
  const refused = checkStatusTransition(account.status, status);
  if (refused) return refused;
  if (status === account.status) return unchanged(account);
  return record('identity.StatusChanged', account.version, { ...stateOf(account), status }, now);
}

/**
 * The account PATCH: the email first, then the status, one event and one version each. A refused status
 * refuses the whole change, so the email is not changed on its own.
 */
export function change(account: Account, requested: { email?: EmailAddress; status?: AccountStatus }, now: Date): AccountChange | Failure {
  const emailChanged = requested.email === undefined ? unchanged(account) : changeEmail(account, requested.email, now);
  if (requested.status === undefined) return emailChanged;
  const statusChanged = changeStatus(emailChanged.account, requested.status, now);
  if (isFailure(statusChanged)) return statusChanged;
  return { account: statusChanged.account, events: [...emailChanged.events, ...statusChanged.events] };
}

/** One answer for an unknown email, a wrong password and an account that may not sign in. */
export const invalidCredentials = () => new Failure('IDENTITY.INVALID_CREDENTIALS', 'unknown email or wrong password');

/**
 * Only an active account signs in. The password was verified outside the domain; the refusal says no more
 * than a wrong password would, so a suspended account's existence is not revealed.
 */
export function signIn(account: Account, now: Date): AccountChange | Failure {
  if (account.status !== 'active') return invalidCredentials();
  return record('identity.SignedIn', account.version, { ...stateOf(account), lastLoginAt: now }, now);
}

/** Erasure is allowed in every status (a closed account must still be erasable) and is the last event. */
export function erase(account: Account, now: Date): AccountErased {
  return { type: 'identity.AccountErased', aggregateId: account.id, version: account.version + 1, occurredAt: now };
}

function stateOf({ version: _version, ...state }: Account): AccountState {
  return state;
}
