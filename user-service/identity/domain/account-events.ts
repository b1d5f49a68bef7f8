import type { AccountStatus } from './account-status';
import type { EmailAddress } from './email-address';

/** An account's whole state, as each event but erasure carries it right after the change. */
export interface AccountState {
  readonly id: number;
  readonly email: EmailAddress;
  /** Travels with every event: after a rollback legacy authenticates against the hash the reverse sync wrote. */
  readonly passwordHash: string;
  readonly status: AccountStatus;
  readonly createdAt: Date;
  readonly lastLoginAt: Date | null;
}

interface AccountEventBase {
  readonly aggregateId: number;
  /** The account's version after this event: one step per event, so consumers can order and deduplicate. */
  readonly version: number;
  readonly occurredAt: Date;
}

export type AccountStateEventType =
  | 'identity.AccountRegistered'
  | 'identity.EmailChanged'
  | 'identity.StatusChanged'
  // Legacy readers rely on last_login_ts, so a sign-in is a change like any other.
  | 'identity.SignedIn';

export interface AccountStateEvent extends AccountEventBase {
  readonly type: AccountStateEventType;
  readonly state: AccountState;
}

export interface AccountErased extends AccountEventBase {
  readonly type: 'identity.AccountErased';
}

export type AccountEvent = AccountStateEvent | AccountErased;
