import { Failure } from '../../platform/failure';

export type AccountStatus = 'active' | 'suspended' | 'closed';

// Closing must always be possible and is final; suspension can be lifted.
const NEXT_STATUSES: Readonly<Record<AccountStatus, readonly AccountStatus[]>> = {
  active: ['suspended', 'closed'],
  suspended: ['active', 'closed'],
  closed: [],
};

export function accountStatus(typed: string): AccountStatus | Failure {
  // hasOwn, not `in`: "toString" or "__proto__" are not statuses.
  if (Object.hasOwn(NEXT_STATUSES, typed)) return typed as AccountStatus;
  return new Failure('IDENTITY.INVALID_STATUS', 'status must be one of active, suspended, closed');
}

/** Setting the status an account already has is a no-op, not a transition, so it is always allowed. */
export function checkStatusTransition(from: AccountStatus, to: AccountStatus): Failure | undefined {
  if (from === to || NEXT_STATUSES[from].includes(to)) return undefined;
  return new Failure('IDENTITY.INVALID_STATUS_TRANSITION', `an account cannot go from ${from} to ${to}`);
}
