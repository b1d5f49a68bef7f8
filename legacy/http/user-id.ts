import { Failure } from './failure';

/** Ids are JSON numbers, so an id past 2^53 cannot name a user and is refused like any other non-id. */
export function parseUserId(raw: unknown): number | Failure {
  const id = typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (Number.isSafeInteger(id) && id > 0) return id;
  return new Failure('REQUEST.INVALID_ID', 'the id must be a positive integer');
}
