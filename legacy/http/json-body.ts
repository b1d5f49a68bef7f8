import express, { type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { Failure, sendFailure } from './failure';

export const MAX_BODY_BYTES = 256 * 1024;

/** Any JSON string field: PostgreSQL text cannot hold NUL, and bcrypt stops reading at one. */
export const jsonText = () => z.string().refine((text) => !text.includes('\u0000'), 'must not contain NUL characters');

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

// body-parser reports through http-errors; its `type` says which promise the request broke.
function bodyFailure(error: { type?: unknown; status?: unknown }): Failure | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new Failure('REQUEST.PAYLOAD_TOO_LARGE', `the body exceeds ${MAX_BODY_BYTES} bytes`);
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new Failure('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'the body must be UTF-8 JSON');
    case 'entity.parse.failed':
    case 'request.size.invalid':
    case 'request.aborted':
      return new Failure('REQUEST.MALFORMED_JSON', 'the body is not valid JSON');
    default:
      return undefined;
  }
}

/**
 * Reads a JSON body for POST/PATCH routes. A body of another media type is refused before it is read;
 * no body at all leaves `req.body` undefined, which the route's schema then reports as a validation failure.
 */
export function jsonBody(): RequestHandler {
  // strict: false lets `"text"` or `null` through to the schema: valid JSON of the wrong shape is not malformed.
  const parse = express.json({ limit: MAX_BODY_BYTES, strict: false, type: 'application/json' });
  return (req, res, next) => {
    if (hasBody(req) && !req.is('application/json')) {
      return sendFailure(res, new Failure('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'));
    }
    parse(req, res, (error?: unknown) => {
      if (error === undefined) return next();
      const failure = typeof error === 'object' && error !== null ? bodyFailure(error) : undefined;
      if (failure) return sendFailure(res, failure);
      next(error);
    });
  };
}

function describeIssue(issue: z.core.$ZodIssue, body: unknown): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  }
  if (issue.path.length === 0) return 'the body must be a JSON object';
  const field = issue.path.join('.');
  if (issue.code !== 'invalid_type') return `${field} ${issue.message}`;
  const given = issue.path.reduce<unknown>(
    (value, key) => (typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined),
    body,
  );
  return given === undefined ? `${field} is required` : `${field} must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
}

/** Checks a body against a route's strict schema; the failure message names every offending field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T | Failure {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const message = result.error.issues.map((issue) => describeIssue(issue, body)).join('; ');
  return new Failure('REQUEST.VALIDATION_FAILED', message);
}
