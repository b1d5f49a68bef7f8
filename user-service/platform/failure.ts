import catalogue from '../../schemas/public-api/error-codes.json';

// Pure on purpose (no express, no pg): domain code returns these. The error vocabulary is the published one (schemas/public-api/error-codes.json), read as data: the
// user-service shares that schema with legacy, not code.
export type FailureCode = keyof typeof catalogue.codes;

/**
 * An expected failure: returned (never thrown) by domain rules and use cases, and turned into HTTP at one
 * place only, `sendFailure`. Deliberately not an Error: no stack, never reaches the error handler.
 */
export class Failure {
  constructor(
    readonly code: FailureCode,
    readonly message: string,
  ) {}
}

export const isFailure = (value: unknown): value is Failure => value instanceof Failure;

export function statusOf(code: FailureCode): number {
  return catalogue.codes[code].status;
}
