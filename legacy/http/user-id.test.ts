import { Failure } from './failure';
import { parseUserId } from './user-id';

describe('parseUserId', () => {
  test.each(['1', '42', '007', String(Number.MAX_SAFE_INTEGER)])('accepts the positive integer %p', (raw) => {
    expect(parseUserId(raw)).toBe(Number(raw));
  });

  test.each(['0', '-1', '1.5', '1e3', 'abc', '', ' 1', '+1', '0x10', '9007199254740993', '99999999999999999999999'])(
    'refuses %p instead of querying with it',
    (raw) => {
      const parsed = parseUserId(raw);
      expect(parsed).toBeInstanceOf(Failure);
      expect((parsed as Failure).code).toBe('REQUEST.INVALID_ID');
    },
  );

  test('a repeated path parameter (an array) is refused rather than coerced', () => {
    expect(parseUserId(['1', '2'])).toBeInstanceOf(Failure);
  });
});
