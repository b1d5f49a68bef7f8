import { pino } from 'pino';
import { requestLogging } from './observability';

describe('requestLogging', () => {
  test('a value quoted in a PostgreSQL error detail (an email, a password hash) never reaches the log', () => {
    const lines: string[] = [];
    const logger = pino({}, { write: (line: string) => void lines.push(line) });
    const error = Object.assign(new Error('new row for relation "accounts" violates check constraint "accounts_status_known"'), {
      code: '23514',
      detail: 'Failing row contains (1000000000000, ada@example.com, $2b$10$secret, banned, ...).',
    });
    requestLogging(logger).logger.error({ err: error }, 'request errored');
    const output = lines.join('');
    for (const secret of ['ada@example.com', '$2b$10$secret']) expect(output).not.toContain(secret);
    expect(output).toContain('accounts_status_known');
  });
});
