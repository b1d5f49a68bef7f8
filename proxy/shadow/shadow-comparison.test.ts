import { compareResponses, redact } from './shadow-comparison';

import type { ShadowRules } from '../routing/route-table';

const account: ShadowRules = { ignore: [], normalise: { email: 'case-fold', createdAt: 'timestamp-ms', lastLoginAt: 'timestamp-ms' } };
const ok = (body: unknown) => ({ status: 200, body });

describe('shadow comparison', () => {
  test('key order never makes a difference', () => {
    expect(compareResponses(ok({ a: 1, b: { c: 2, d: 3 } }), ok({ b: { d: 3, c: 2 }, a: 1 }), { ignore: [], normalise: {} }).equal).toBe(true);
  });

  test('legacy-dirty-email-is-not-a-mismatch: an email differing only in case and surrounding spaces matches under case-fold', () => {
    const legacy = ok({ id: 7, email: '  Mixed.Case@Example.COM ', status: 'active', createdAt: '2020-01-02T03:04:05.000Z', lastLoginAt: null });
    const candidate = ok({ id: 7, email: 'mixed.case@example.com', status: 'active', createdAt: '2020-01-02T03:04:05Z', lastLoginAt: null });
    expect(compareResponses(legacy, candidate, account)).toEqual({ equal: true, differences: [] });
  });

  test('timestamps compare at the configured precision', () => {
    const rules = { ignore: [], normalise: { at: 'timestamp-s' as const } };
    expect(compareResponses(ok({ at: '2020-01-02T03:04:05.123Z' }), ok({ at: '2020-01-02T03:04:05.999Z' }), rules).equal).toBe(true);
    expect(compareResponses(ok({ at: '2020-01-02T03:04:05.123Z' }), ok({ at: '2020-01-02T03:04:06.000Z' }), rules).equal).toBe(false);
    const ms = { ignore: [], normalise: { at: 'timestamp-ms' as const } };
    expect(compareResponses(ok({ at: '2020-01-02T03:04:05.123Z' }), ok({ at: '2020-01-02T03:04:05.124Z' }), ms).equal).toBe(false);
  });

  test('ignored fields are skipped, others are not', () => {
    const rules = { ignore: ['updatedAt'], normalise: {} };
    expect(compareResponses(ok({ displayName: 'A', updatedAt: '2020' }), ok({ displayName: 'A', updatedAt: '2021' }), rules).equal).toBe(true);
    expect(compareResponses(ok({ displayName: 'A', updatedAt: '2020' }), ok({ displayName: 'B', updatedAt: '2020' }), rules).differences.map((d) => d.path)).toEqual(['displayName']);
  });

  test('a missing field, an extra field, a status and nested paths are all differences with their paths', () => {
    const outcome = compareResponses({ status: 200, body: { a: 1, n: { x: [1, 2] } } }, { status: 404, body: { b: 1, n: { x: [1, 3] } } }, { ignore: [], normalise: {} });
    expect(outcome.differences.map((d) => d.path)).toEqual(['$status', 'a', 'b', 'n.x.1']);
    expect(outcome.differences[0]).toEqual({ path: '$status', legacy: { type: 'number', value: 200 }, new: { type: 'number', value: 404 } });
  });

  test('pii-never-in-a-sample: differing emails, names and hashes keep only their type and length', () => {
    const outcome = compareResponses(ok({ email: 'alice@example.com', displayName: 'Alice Liddell', bio: 'secret' }), ok({ email: 'bob@example.com', displayName: 'Bob', bio: null }), {
      ignore: [],
      normalise: {},
    });
    const text = JSON.stringify(outcome.differences);
    for (const secret of ['alice', 'bob', 'Alice', 'Liddell', 'secret', 'example.com']) expect(text).not.toContain(secret);
    expect(outcome.differences).toEqual([
      { path: 'bio', legacy: { type: 'string', length: 6 }, new: { type: 'null' } },
      { path: 'displayName', legacy: { type: 'string', length: 13 }, new: { type: 'string', length: 3 } },
      { path: 'email', legacy: { type: 'string', length: 17 }, new: { type: 'string', length: 15 } },
    ]);
  });

  test('statuses and flags, which are never personal, are shown as they are', () => {
    expect(redact('status', 'suspended')).toEqual({ type: 'string', length: 9, value: 'suspended' });
    expect(redact('marketingEmails', true)).toEqual({ type: 'boolean', value: true });
    expect(redact('id', 12)).toEqual({ type: 'number' });
  });
});
