import type { Request } from 'express';
import { acceptedVersions, etagOf, preconditionFailure } from './versioning';

const withIfMatch = (value?: string) => ({ headers: value === undefined ? {} : { 'if-match': value } }) as unknown as Request;

describe('If-Match', () => {
  test('no header or * means an unconditional write', () => {
    expect(acceptedVersions(withIfMatch())).toBeUndefined();
    expect(acceptedVersions(withIfMatch(' * '))).toBeUndefined();
  });

  test('a list of strong tags accepts each of their versions', () => {
    expect(acceptedVersions(withIfMatch('"3", "7"'))).toEqual([3, 7]);
  });

  test('weak-etag-never-satisfies-if-match: weak and malformed tags match nothing (RFC 9110 strong comparison)', () => {
    expect(acceptedVersions(withIfMatch('W/"3"'))).toEqual([]);
    expect(acceptedVersions(withIfMatch('3'))).toEqual([]);
    expect(preconditionFailure([], 3)?.code).toBe('REQUEST.PRECONDITION_FAILED');
  });

  test('stale-etag-refused: a version other than the current one fails with 412 and names the current ETag', () => {
    const failure = preconditionFailure([2], 3);
    expect(failure?.code).toBe('REQUEST.PRECONDITION_FAILED');
    expect(failure?.message).toContain(etagOf(3));
    expect(preconditionFailure([2, 3], 3)).toBeUndefined();
    expect(preconditionFailure(undefined, 3)).toBeUndefined();
  });
});
