import type { ErrorRequestHandler, RequestHandler } from 'express';
import { Failure, sendFailure } from './failure';

/** Takes every request no route claimed. */
export const routeNotFound: RequestHandler = (req, res) => {
  sendFailure(res, new Failure('REQUEST.ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

/**
 * The last handler: whatever reaches it was not expected. Express's own handler would answer with an
 * HTML page and, outside production, a stack trace.
 */
export const unexpectedFailure: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  // The router throws URIError for an undecodable %-escape in a path parameter, and ids are the only ones.
  if (error instanceof URIError) {
    return sendFailure(res, new Failure('REQUEST.INVALID_ID', 'the id must be a positive integer'));
  }
  // pino-http logs the request with this error attached, so one line carries the method, route and id.
  res.err = error instanceof Error ? error : new Error(String(error));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendFailure(res, new Failure('INTERNAL', 'an unexpected error occurred'));
};
