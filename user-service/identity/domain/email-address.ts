import { Failure } from '../../platform/failure';

/** An email as identity keeps it: syntactically valid, trimmed and lower-cased. */
export type EmailAddress = string & { readonly __brand: 'EmailAddress' };

// zod 4's `z.regexes.email`, the rule legacy checks with, copied so the domain depends on no library;
// email-address.test.ts fails if the two ever drift apart.
export const EMAIL_SYNTAX = /^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$/;
const MAX_EMAIL_LENGTH = 254;

export function emailAddress(typed: string): EmailAddress | Failure {
  const email = typed.trim();
  if (email.length <= MAX_EMAIL_LENGTH && EMAIL_SYNTAX.test(email)) return email.toLowerCase() as EmailAddress;
  return new Failure('IDENTITY.INVALID_EMAIL', 'email is not a valid address');
}

/**
 * The stored email a sign-in attempt names. Not checked for syntax: any typed text simply finds no account,
 * as in legacy, whose lookup is lower(btrim(...)): btrim drops spaces only, so a tab around the address
 * does not match there and must not match here either.
 */
export function signInEmail(typed: string): string {
  return typed.replace(/^ +| +$/g, '').toLowerCase();
}
