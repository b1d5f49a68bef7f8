import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/**
 * Emails, passwords and hashes never reach the log. Bodies are not logged at all; these paths catch what
 * could still carry them: credentials in headers, and the `detail` of a PostgreSQL error, which quotes the
 * offending key (an email, for the unique index).
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'err.detail',
  'email',
  'password',
  'pwd_hash',
  '*.email',
  '*.password',
  '*.pwd_hash',
];

const QUIET_PATHS = new Set(['/healthz', '/metrics']);

function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
}

export function requestLogging(logger: Logger) {
  return pinoHttp({
    logger: logger.child({}, { redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }),
    genReqId: requestId,
    autoLogging: { ignore: (req) => QUIET_PATHS.has(req.url ?? '') },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
  });
}
