import type { Request, Response } from 'express';
import { Failure } from './failure';

// Optimistic concurrency at the edge: every resource carries its aggregate's version as a strong ETag.
export const etagOf = (version: number): string => `"${version}"`;

export function sendVersioned(res: Response, status: number, version: number, body: unknown): void {
  res.status(status).setHeader('ETag', etagOf(version)).json(body);
}

/**
 * The versions a conditional write accepts, from If-Match; undefined when the write is unconditional
 * (no header, or `*` on an existing resource). Weak or malformed tags never match (RFC 9110 §13.1.1),
 * so a header of only those yields an empty list, which no version satisfies.
 */
export function acceptedVersions(req: Request): readonly number[] | undefined {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  return header.split(',').flatMap((tag) => {
    const version = /^\s*"(\d+)"\s*$/.exec(tag)?.[1];
    return version === undefined ? [] : [Number(version)];
  });
}

/** Checked inside the write's transaction, against the row it locked, so no write slips in between. */
export function preconditionFailure(accepted: readonly number[] | undefined, current: number): Failure | undefined {
  if (accepted === undefined || accepted.includes(current)) return undefined;
  return new Failure('REQUEST.PRECONDITION_FAILED', `the resource has changed; its current ETag is ${etagOf(current)}`);
}
