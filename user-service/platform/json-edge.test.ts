import { z } from 'zod';
import { isFailure, statusOf } from './failure';
import { parseBody, parseId, textField } from './json-edge';
import catalogue from '../../schemas/public-api/error-codes.json';

describe('parseId', () => {
  test.each(['1', '42', '1000000000000'])('accepts %s', (raw) => {
    expect(parseId(raw)).toBe(Number(raw));
  });

  test.each(['0', '-1', 'abc', '1.5', '1e3', '', '9007199254740993'])('id-that-cannot-name-a-user-refused: %s', (raw) => {
    const result = parseId(raw);
    expect(isFailure(result) && result.code).toBe('REQUEST.INVALID_ID');
  });
});

describe('parseBody', () => {
  const schema = z.strictObject({ email: textField(), displayName: textField().nullable().optional() });

  test('names every offending field: unknown, missing and mistyped', () => {
    const unknown = parseBody(schema, { email: 'a@b.c', admin: true });
    expect(isFailure(unknown) && unknown.message).toContain('unknown field "admin"');
    const missing = parseBody(schema, {});
    expect(isFailure(missing) && missing.message).toContain('email is required');
    const mistyped = parseBody(schema, { email: 5 });
    expect(isFailure(mistyped) && mistyped.message).toContain('email must be a string');
  });

  test('nul-character-never-stored: a NUL inside a string is a validation failure', () => {
    const result = parseBody(schema, { email: 'a\u0000@b.c' });
    expect(isFailure(result) && result.code).toBe('REQUEST.VALIDATION_FAILED');
  });

  test('a body that is not an object is a validation failure, not malformed JSON', () => {
    const result = parseBody(schema, 'text');
    expect(isFailure(result) && result.message).toBe('the body must be a JSON object');
  });
});

test('failure statuses come from the published catalogue', () => {
  expect(Object.keys(catalogue.codes).length).toBeGreaterThan(20);
  expect(statusOf('IDENTITY.EMAIL_TAKEN')).toBe(409);
  expect(statusOf('REQUEST.PRECONDITION_FAILED')).toBe(412);
  expect(statusOf('REQUEST.PAYLOAD_TOO_LARGE')).toBe(413);
  expect(statusOf('REQUEST.UNSUPPORTED_MEDIA_TYPE')).toBe(415);
});
