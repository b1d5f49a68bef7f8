// The admin API's expected failures: values with stable codes, turned into HTTP once, at the edge.
import type { GuardResult } from './promotion-guards';

const STATUS = {
  'ADMIN.UNAUTHORIZED': 401,
  'ADMIN.INVALID_REQUEST': 400,
  'ADMIN.UNKNOWN_STAGE': 400,
  'ADMIN.UNKNOWN_CONTEXT': 404,
  'ADMIN.ROUTE_NOT_FOUND': 404,
  'ADMIN.INVALID_TRANSITION': 409,
  'ADMIN.GUARDS_FAILED': 409,
  'ADMIN.NOT_IN_CANARY': 409,
  // Another change of the same context is under way (it holds the context's lock), or one landed
  // between reading the context and writing it.
  'ADMIN.CHANGE_IN_PROGRESS': 409,
  'ADMIN.PAYLOAD_TOO_LARGE': 413,
  'ADMIN.UNSUPPORTED_MEDIA_TYPE': 415,
  'ADMIN.DRAIN_FAILED': 503,
  // A proxy instance kept renewing its lease without confirming the hold (a write of the context stuck in
  // flight past every timeout): nothing changed hands.
  'ADMIN.HOLD_NOT_CONFIRMED': 503,
  'ADMIN.DRAIN_TIMEOUT': 504,
  INTERNAL: 500,
} as const;

export type AdminFailureCode = keyof typeof STATUS;

export class AdminFailure {
  constructor(
    readonly code: AdminFailureCode,
    readonly message: string,
    /** The guards as evaluated, when they are the reason (ADMIN.GUARDS_FAILED). */
    readonly guards?: readonly GuardResult[],
  ) {}

  get status(): number {
    return STATUS[this.code];
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.guards ? { guards: this.guards } : {}) } };
  }
}

