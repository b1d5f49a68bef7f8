import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { Failure, statusOf } from './failure';

// Mirrors what legacy answers at its edge, so a client cannot tell the backends apart by their errors.
export const MAX_BODY_BYTES = 256 * 1024;

/** The one place where an expected failure becomes HTTP. */
export function sendFailure(res: Response, failure: Failure): void {
  res.status(statusOf(failure.code)).json({ error: { code: failure.code, message: failure.message } });
}

/** Any JSON string field: PostgreSQL text cannot hold NUL, and bcrypt stops reading at one. */
export const textField = () => z.string().refine((text) => !text.includes('\u0000'), 'must not contain NUL characters');

function declaresBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

// body-parser signals through http-errors whose `type` names the broken promise.
function failureOfBodyError(error: { type?: unknown }): Failure | undefined {
  if (error.type === 'entity.too.large') return new Failure('REQUEST.PAYLOAD_TOO_LARGE', `the body exceeds ${MAX_BODY_BYTES} bytes`);
  if (error.type === 'charset.unsupported' || error.type === 'encoding.unsupported') {
    return new Failure('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'the body must be UTF-8 JSON');
  }
  if (error.type === 'entity.parse.failed' || error.type === 'request.size.invalid' || error.type === 'request.aborted') {
    return new Failure('REQUEST.MALFORMED_JSON', 'the body is not valid JSON');
  }
  return undefined;
}

/** JSON bodies only; another media type is refused before reading. No body leaves `req.body` undefined. */
export function jsonBody(): RequestHandler {
  // strict: false lets `"text"` or `null` reach the schema: valid JSON of the wrong shape is not malformed.
  const parse = express.json({ limit: MAX_BODY_BYTES, strict: false, type: 'application/json' });
  return (req, res, next) => {
    if (declaresBody(req) && !req.is('application/json')) {
      sendFailure(res, new Failure('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'));
      return;
    }
    parse(req, res, (error?: unknown) => {
      if (error === undefined) return next();
      const failure = typeof error === 'object' && error !== null ? failureOfBodyError(error) : undefined;
      if (failure) return sendFailure(res, failure);
      next(error);
    });
  };
}

function explain(issue: z.core.$ZodIssue, body: unknown): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  }
  if (issue.path.length === 0) return 'the body must be a JSON object';
  const field = issue.path.join('.');
  if (issue.code !== 'invalid_type') return `${field} ${issue.message}`;
  const given = typeof body === 'object' && body !== null ? (body as Record<PropertyKey, unknown>)[issue.path[0]!] : undefined;
  return given === undefined ? `${field} is required` : `${field} must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
}

/** Checks a body against a route's strict schema; the failure names every offending field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T | Failure {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  return new Failure('REQUEST.VALIDATION_FAILED', result.error.issues.map((issue) => explain(issue, body)).join('; '));
}

/** Ids are JSON numbers: one past 2^53 cannot name anybody and is refused like any other non-id. */
export function parseId(raw: unknown): number | Failure {
  const id = typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (Number.isSafeInteger(id) && id > 0) return id;
  return new Failure('REQUEST.INVALID_ID', 'the id must be a positive integer');
}

export const routeNotFound: RequestHandler = (req, res) => {
  sendFailure(res, new Failure('REQUEST.ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

/** Whatever reaches this was not expected; Express's own handler would answer with HTML and a stack. */
export const unexpectedFailure: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  // The router throws URIError for an undecodable %-escape in a path parameter; ids are the only ones.
  if (error instanceof URIError) return sendFailure(res, new Failure('REQUEST.INVALID_ID', 'the id must be a positive integer'));
  // pino-http logs the request with this error attached.
  res.err = error instanceof Error ? error : new Error(String(error));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendFailure(res, new Failure('INTERNAL', 'an unexpected error occurred'));
};
