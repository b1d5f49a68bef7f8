import { z } from 'zod';
import { Failure } from './failure';
import { jsonText, parseBody } from './json-body';

const schema = z.strictObject({ email: jsonText(), displayName: jsonText().nullable().optional(), flag: z.boolean().optional() });

function failureMessage(body: unknown): string {
  const parsed = parseBody(schema, body);
  expect(parsed).toBeInstanceOf(Failure);
  expect((parsed as Failure).code).toBe('REQUEST.VALIDATION_FAILED');
  return (parsed as Failure).message;
}

describe('parseBody', () => {
  test('a valid body comes back typed and unchanged', () => {
    expect(parseBody(schema, { email: 'a@b.co', displayName: null })).toEqual({ email: 'a@b.co', displayName: null });
  });

  test('a missing field is named as required', () => {
    expect(failureMessage({})).toBe('email is required');
  });

  test('a mistyped field is named with the type it needs', () => {
    expect(failureMessage({ email: 5 })).toBe('email must be a string');
    expect(failureMessage({ email: 'a@b.co', flag: 'yes' })).toBe('flag must be a boolean');
  });

  test('null for a field that is not nullable is a type error, not a clear', () => {
    expect(failureMessage({ email: null })).toBe('email must be a string');
  });

  test('unknown fields are refused and named, so typos do not silently do nothing', () => {
    expect(failureMessage({ email: 'a@b.co', emial: 'x' })).toBe('unknown field "emial"');
  });

  test('a body that is not an object (missing, null, array, string) is refused', () => {
    for (const body of [undefined, null, [], 'text', 3]) expect(failureMessage(body)).toBe('the body must be a JSON object');
  });

  test('a NUL character, which PostgreSQL text cannot store, is refused', () => {
    expect(failureMessage({ email: 'a\u0000@b.co' })).toBe('email must not contain NUL characters');
  });

  test('every problem is reported, not just the first', () => {
    expect(failureMessage({ email: 1, extra: true })).toBe('email must be a string; unknown field "extra"');
  });
});
