import { pino } from 'pino';
import { requestLogging } from './request-logging';

function capturingLogger() {
  const lines: string[] = [];
  return { lines, logger: pino({}, { write: (line: string) => void lines.push(line) }) };
}

describe('request logging redaction', () => {
  test('an email quoted in a PostgreSQL error detail never reaches the log', () => {
    const { lines, logger } = capturingLogger();
    const error = Object.assign(new Error('duplicate key value violates unique constraint'), {
      detail: 'Key (lower(btrim(email_addr::text)))=(ada@example.com) already exists.',
    });
    requestLogging(logger).logger.error({ err: error }, 'unexpected failure');
    expect(lines.join('')).not.toContain('ada@example.com');
    expect(lines.join('')).toContain('duplicate key value');
  });

  test('email, password and hash fields are censored wherever a log call puts them', () => {
    const { lines, logger } = capturingLogger();
    requestLogging(logger).logger.info(
      { email: 'ada@example.com', password: 'hunter22!', account: { email: 'bob@example.com', pwd_hash: '$2b$10$secret' } },
      'context',
    );
    const output = lines.join('');
    for (const secret of ['ada@example.com', 'hunter22!', 'bob@example.com', '$2b$10$secret']) expect(output).not.toContain(secret);
  });
});
