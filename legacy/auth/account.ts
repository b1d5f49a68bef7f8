import { z } from 'zod';
import { Failure } from '../http/failure';

export type AccountStatus = 'active' | 'suspended' | 'closed';
type StatusCode = 'A' | 'S' | 'C';

const STATUS_BY_CODE: Readonly<Record<StatusCode, AccountStatus>> = { A: 'active', S: 'suspended', C: 'closed' };
const CODE_BY_STATUS: Readonly<Record<AccountStatus, StatusCode>> = { active: 'A', suspended: 'S', closed: 'C' };

/** Codes outside A/S/C exist in old rows (legacy dirt); reads show them as "unknown" rather than guess. */
export function statusFromCode(code: string): AccountStatus | 'unknown' {
  return Object.hasOwn(STATUS_BY_CODE, code) ? STATUS_BY_CODE[code as StatusCode] : 'unknown';
}

export function parseStatus(status: string): AccountStatus | Failure {
  if (Object.hasOwn(CODE_BY_STATUS, status)) return status as AccountStatus;
  return new Failure('IDENTITY.INVALID_STATUS', 'status must be one of active, suspended, closed');
}

export function codeForStatus(status: AccountStatus): StatusCode {
  return CODE_BY_STATUS[status];
}

const ALLOWED_TRANSITIONS: Readonly<Record<AccountStatus | 'unknown', readonly AccountStatus[]>> = {
  active: ['suspended', 'closed'],
  suspended: ['active', 'closed'],
  closed: [],
  // A row with an unknown code can still be closed, since closing must always be possible, but not revived.
  unknown: ['closed'],
};

/** Setting the status an account already has is a no-op, not a transition, so it is always allowed. */
export function checkStatusTransition(from: AccountStatus | 'unknown', to: AccountStatus): Failure | undefined {
  if (from === to || ALLOWED_TRANSITIONS[from].includes(to)) return undefined;
  return new Failure('IDENTITY.INVALID_STATUS_TRANSITION', `an account cannot go from ${from} to ${to}`);
}

const MAX_EMAIL_LENGTH = 254;

/** Returns the email as it will be stored: trimmed, otherwise exactly as typed (case included). */
export function checkEmail(typed: string): string | Failure {
  const email = typed.trim();
  if (email.length <= MAX_EMAIL_LENGTH && z.regexes.email.test(email)) return email;
  return new Failure('IDENTITY.INVALID_EMAIL', 'email is not a valid address');
}

/** bcrypt ignores everything past 72 bytes, so a longer password would be silently truncated. */
export const MAX_PASSWORD_BYTES = 72;
const MIN_PASSWORD_CHARACTERS = 8;

export function checkNewPassword(password: string): Failure | undefined {
  if ([...password].length >= MIN_PASSWORD_CHARACTERS && Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES) {
    return undefined;
  }
  return new Failure('IDENTITY.WEAK_PASSWORD', 'password must be at least 8 characters and at most 72 bytes');
}

export interface AccountRow {
  readonly usr_id: string;
  readonly email_addr: string;
  readonly acct_stat_cd: string;
  readonly created_ts: Date | null;
  readonly last_login_ts: Date | null;
}

export function accountFromRow(row: AccountRow) {
  return {
    id: Number(row.usr_id),
    email: row.email_addr,
    status: statusFromCode(row.acct_stat_cd),
    createdAt: row.created_ts?.toISOString() ?? null,
    lastLoginAt: row.last_login_ts?.toISOString() ?? null,
  };
}

export function newAccountFromRow(row: AccountRow) {
  const { id, email, status, createdAt } = accountFromRow(row);
  return { id, email, status, createdAt };
}
