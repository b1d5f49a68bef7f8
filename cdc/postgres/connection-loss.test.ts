import pino from 'pino';
import { backoffMs, isConnectionLoss, retryOnConnectionLoss } from './connection-loss';

const logger = pino({ level: 'silent' });
const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('connection loss', () => {
  test.each([
    pgError('57P01', 'terminating connection due to administrator command'),
    pgError('08006'),
    pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:55432'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
  ])('%s is a lost connection', (error) => {
    expect(isConnectionLoss(error)).toBe(true);
  });

  test.each([pgError('23505', 'duplicate key'), pgError('42P01', 'relation does not exist'), new Error('a bug'), 'not an error'])('%s is a real failure', (error) => {
    expect(isConnectionLoss(error)).toBe(false);
  });

  test('backoff doubles up to its cap, half of it jittered', () => {
    expect([0, 1, 2, 3].map((a) => backoffMs(a, 100, 500, () => 0))).toEqual([50, 100, 200, 250]);
    expect([0, 1, 2, 3].map((a) => backoffMs(a, 100, 500, () => 1))).toEqual([100, 200, 400, 500]);
    expect(backoffMs(60, 100, 5_000, () => 0.5)).toBe(3_750);
  });

  test('work that lost its connection runs again until it succeeds; each wait is announced first', async () => {
    const waits: number[] = [];
    const retries: number[] = [];
    let calls = 0;
    const result = await retryOnConnectionLoss(async () => {
      calls += 1;
      if (calls < 4) throw pgError('57P03', 'the database system is starting up');
      return 'applied';
    }, { what: 'a batch', logger, random: () => 0, initialDelayMs: 10, maxDelayMs: 15, sleep: async (ms) => void waits.push(ms), onRetry: (attempt) => void retries.push(attempt) });
    expect({ result, calls, waits, retries }).toEqual({ result: 'applied', calls: 4, waits: [5, 8, 8], retries: [0, 1, 2] });
  });

  test('any other failure is thrown at once, and a stopping consumer stops retrying', async () => {
    await expect(retryOnConnectionLoss(async () => { throw pgError('23505', 'duplicate key'); }, { what: 'a batch', logger, sleep: async () => undefined })).rejects.toThrow('duplicate key');
    let stopping = false;
    const attempt = retryOnConnectionLoss(async () => { throw pgError('ECONNREFUSED'); }, { what: 'a batch', logger, giveUp: () => stopping, sleep: async () => void (stopping = true) });
    await expect(attempt).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
