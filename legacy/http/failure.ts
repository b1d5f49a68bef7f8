import type { Response } from 'express';

/** The public API's error vocabulary (schemas/public-api/error-codes.json), kept here as legacy's own copy. */
export const failureStatus = {
  'REQUEST.MALFORMED_JSON': 400,
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': 415,
  'REQUEST.PAYLOAD_TOO_LARGE': 413,
  'REQUEST.VALIDATION_FAILED': 400,
  'REQUEST.INVALID_ID': 400,
  'REQUEST.ROUTE_NOT_FOUND': 404,
  'REQUEST.PRECONDITION_FAILED': 412,
  INTERNAL: 500,
  // Answered only by the user-service (a write for a context it does not own yet); listed for the catalogue.
  'MIGRATION.WRITES_NOT_OWNED': 503,
  'IDENTITY.INVALID_EMAIL': 400,
  'IDENTITY.WEAK_PASSWORD': 400,
  'IDENTITY.EMAIL_TAKEN': 409,
  'IDENTITY.INVALID_CREDENTIALS': 401,
  'IDENTITY.ACCOUNT_NOT_FOUND': 404,
  'IDENTITY.INVALID_STATUS': 400,
  'IDENTITY.INVALID_STATUS_TRANSITION': 409,
  'PROFILE.PROFILE_NOT_FOUND': 404,
  'PROFILE.DISPLAY_NAME_TOO_LONG': 400,
  'PROFILE.BIO_TOO_LONG': 400,
  'PROFILE.INVALID_AVATAR_URL': 400,
  'PREFERENCES.PREFERENCES_NOT_FOUND': 404,
  'PREFERENCES.INVALID_LOCALE': 400,
  'PREFERENCES.INVALID_TIME_ZONE': 400,
  'PREFERENCES.INVALID_THEME': 400,
} as const;

export type FailureCode = keyof typeof failureStatus;

/**
 * An expected failure, returned (not thrown) by validation and use cases and turned into HTTP only by
 * `sendFailure`. Deliberately not an Error: it has no stack and never reaches the error handler.
 */
export class Failure {
  constructor(
    readonly code: FailureCode,
    readonly message: string,
  ) {}
}

export function sendFailure(res: Response, failure: Failure): void {
  res.status(failureStatus[failure.code]).json({ error: { code: failure.code, message: failure.message } });
}
