// Each form the differential test (request-target-differential.int.test.ts) or a reading of the backends'
// routing found, pinned down as a regression test named after the failure it prevents.
import { loadRouteTable } from './route-table';
import { INVALID_TARGET, readRequestTarget } from './request-target';

const table = loadRouteTable();
const read = (method: string, url: string) => readRequestTarget(table, method, url);
/** The route key and user id a request names, or `refused`. */
const routed = (method: string, url: string) => {
  const reading = read(method, url);
  if (reading.outcome === 'refused') return 'refused';
  return { key: reading.match?.route.key ?? null, userId: reading.match?.userId ?? null, space: reading.space };
};
const refusalOf = (url: string, method = 'PATCH') => {
  const reading = read(method, url);
  return reading.outcome === 'refused' ? reading.refusal : undefined;
};

describe('request-target: one meaning for every form', () => {
  test('absolute-form-write-reaches-its-owner: a forward-proxy client\'s absolute-form is classified and forwarded as its origin-form', () => {
    expect(read('PATCH', 'http://proxy.example/api/users/11/profile?x=1')).toEqual({
      outcome: 'classified',
      target: { form: 'absolute', originForm: '/api/users/11/profile?x=1', authority: 'proxy.example', segments: ['api', 'users', '11', 'profile'] },
      match: { route: expect.objectContaining({ key: 'profile.change' }), userId: '11' },
      space: null,
    });
    expect(routed('PATCH', 'HTTPS://Proxy.Example:8443/api/users/11/preferences')).toEqual({ key: 'preferences.change', userId: '11', space: null });
    expect(routed('GET', 'http://127.0.0.1:8080/api/users/11/account')).toEqual({ key: 'account.read', userId: '11', space: null });
    expect(routed('DELETE', 'http://[::1]:8080/api/users/11')).toEqual({ key: 'users.erase', userId: '11', space: null });
    // An empty path is "/".
    expect(read('GET', 'http://h')).toMatchObject({ outcome: 'classified', target: { originForm: '/', segments: [] }, match: null, space: null });
    expect(read('GET', 'http://h?q=1')).toMatchObject({ outcome: 'classified', target: { originForm: '/?q=1', segments: [] } });
  });

  test('absolute-form-authority-is-checked-strictly: userinfo, odd hosts and ports are refused, not guessed at', () => {
    for (const url of [
      'http://user@h/api/users/11/profile',
      'http://user:secret@h/api/users/11/profile',
      'http://h:99999/api/users/11/profile',
      'http://h:0/api/users/11/profile',
      'http://h:/api/users/11/profile',
      'http://h:8a/api/users/11/profile',
      'http:///api/users/11/profile',
      'http://-h/api/users/11/profile',
      'http://h_x/api/users/11/profile',
      'http://h./api/users/11/profile',
      'http://h..x/api/users/11/profile',
      `http://${'a'.repeat(64)}/api/users/11/profile`,
      'http://[zz]/api/users/11/profile',
      'http://h%2Ex/api/users/11/profile',
      'http:/api/users/11/profile',
    ]) {
      expect([url, refusalOf(url)?.code]).toEqual([url, INVALID_TARGET]);
    }
  });

  test('other-scheme-never-routed: only http and https (any case) are absolute-forms the proxy serves', () => {
    for (const url of ['ftp://h/api/users/11/profile', 'ws://h/api/users/11/profile', 'mailto:someone', 'h:8080']) expect(refusalOf(url)?.message).toBeDefined();
  });

  test('fragment-never-falls-through-to-legacy: Express drops a fragment, so the proxy refuses it rather than misread it', () => {
    expect(refusalOf('/api/users/11/profile#x')).toEqual({ code: INVALID_TARGET, message: 'the request-target contains a fragment (#)' });
    expect(refusalOf('/api/users/11/profile?a=1#x')?.code).toBe(INVALID_TARGET);
    expect(refusalOf('http://h/api/users/11/profile#')?.code).toBe(INVALID_TARGET);
  });

  test('leading-zero-id-pins-its-user: 011 is user 11 to the backends, so it is user 11 to the proxy', () => {
    expect(routed('PATCH', '/api/users/011/preferences')).toEqual({ key: 'preferences.change', userId: '11', space: null });
    expect(routed('GET', '/api/users/00000000000000000000011/profile')).toEqual({ key: 'profile.read', userId: '11', space: null });
    expect(routed('GET', '/api/users/000/profile')).toEqual({ key: 'profile.read', userId: null, space: null });
  });

  test('id-past-2^53-names-nobody: the backends refuse an id that is not a safe integer, so no pin or bucket is taken for it', () => {
    expect(routed('GET', '/api/users/9007199254740991/profile')).toMatchObject({ userId: '9007199254740991' });
    expect(routed('GET', '/api/users/9007199254740992/profile')).toMatchObject({ key: 'profile.read', userId: null });
    expect(routed('GET', '/api/users/123456789012345678/profile')).toMatchObject({ key: 'profile.read', userId: null });
  });

  test('invalid-id-keeps-its-route: a segment that is no id still names the route (the backend answers 400 REQUEST.INVALID_ID)', () => {
    for (const id of ['abc', '-1', '1.0', '1e3', '0x1f', "1'", '1%20', '%3B1', '1:2', '@']) {
      expect([id, routed('PATCH', `/api/users/${id}/profile`)]).toEqual([id, { key: 'profile.change', userId: null, space: null }]);
    }
  });

  test('percent-encoded-id-never-slips-past-the-table: encoded unreserved characters (%31, %75, %2D, %7E) are refused', () => {
    for (const url of ['/api/users/%31%31/profile', '/api/%75sers/11/profile', '/api/users/11/PROFIL%45', '/api/reports/users%2Dby-status', '/api/users/11/%7Eprofile', '/api/users/11/profile%2e']) {
      expect([url, refusalOf(url)?.message]).toEqual([url, expect.stringMatching(/percent-encodes/)]);
    }
  });

  test('dot-segment-never-reaches-a-backend: . and .. (plain or encoded) are refused, not resolved', () => {
    for (const url of ['/api/users/11/../11/profile', '/api/./users/11/profile', '/api/users/11/profile/..', '/api/users/11/%2e%2e/profile', '/api/users/11/.%2E/profile']) {
      expect([url, refusalOf(url)?.code]).toEqual([url, INVALID_TARGET]);
    }
    // Dots inside a segment are ordinary characters.
    expect(routed('GET', '/api/users/1.1/profile')).toMatchObject({ key: 'profile.read', userId: null });
  });

  test('repeated-slash-refused, one-trailing-slash-served: as Express 5\'s non-strict routing, and no further', () => {
    expect(routed('PATCH', '/api/users/11/profile/')).toEqual({ key: 'profile.change', userId: '11', space: null });
    expect(routed('POST', '/api/users/')).toEqual({ key: 'users.sign-up', userId: null, space: null });
    for (const url of ['//api/users/11/profile', '/api//users/11/profile', '/api/users/11/profile//', '/api/users//profile', '//']) {
      expect([url, refusalOf(url)?.message]).toEqual([url, 'the path has an empty segment (a repeated slash)']);
    }
  });

  test('path-parameter-refused: ; means a parameter to some servers and a character to Express', () => {
    expect(refusalOf('/api/users/11;v=1/profile')?.message).toBe('the path has a parameter (;)');
    expect(refusalOf('/api/users/11/profile;jsessionid=x')?.message).toBe('the path has a parameter (;)');
  });

  test('backslash-refused: url.parse turns \\ into / (Express does, behind a #), a plain reader does not', () => {
    expect(refusalOf('/api\\users/11/profile')?.message).toBe('the path has a backslash');
    expect(refusalOf('/api/users/11%5Cprofile')?.message).toMatch(/encoded backslash/);
    expect(refusalOf('/api/users/11%5cprofile')?.message).toMatch(/encoded backslash/);
  });

  test('encoded-slash-refused: %2F is one segment to Express\'s matcher and two to a decoding server', () => {
    expect(refusalOf('/api/users/1%2F1/profile')?.message).toMatch(/encoded slash/);
    expect(refusalOf('/api%2fusers/11/profile')?.message).toMatch(/encoded slash/);
  });

  test('malformed-percent-encoding-refused: a broken escape or one that is not UTF-8 has no meaning to classify', () => {
    for (const url of ['/api/users/%/profile', '/api/users/1%4/profile', '/api/users/%G1/profile', '/api/users/%FF/profile', '/api/users/%C3/profile', '/api/users/11%']) {
      expect([url, refusalOf(url)?.message]).toEqual([url, expect.stringMatching(/malformed percent-encoding|not UTF-8/)]);
    }
    // A well-formed escape of a character that has no plain form in a path is data.
    expect(routed('GET', '/api/users/%C3%A9/profile')).toMatchObject({ key: 'profile.read', userId: null });
  });

  test('asterisk-form-refused: OPTIONS * (or any method with *) is answered by the proxy', () => {
    expect(refusalOf('*', 'OPTIONS')).toEqual({ code: INVALID_TARGET, message: 'asterisk-form (OPTIONS *) is not served' });
    expect(refusalOf('*', 'GET')?.code).toBe(INVALID_TARGET);
  });

  test('stray-byte-refused: raw non-ASCII, spaces and control bytes (Node refuses them first; the module alone does too)', () => {
    for (const url of ['/api/users/\u00e9/profile', '/api/users/1 1/profile', '/api/users/11/profile\u0000', '/api/users/11/profile?x=\u007f']) expect(refusalOf(url)?.code).toBe(INVALID_TARGET);
    for (const char of ['{', '}', '|', '"', '<', '>', '^', '`', '[', ']']) expect([char, refusalOf(`/api/users/1${char}/profile`)?.code]).toEqual([char, INVALID_TARGET]);
  });

  test('literals are compared case-insensitively and HEAD is served by GET routes, as Express does', () => {
    expect(routed('GET', '/API/Users/11/PROFILE')).toEqual({ key: 'profile.read', userId: '11', space: null });
    expect(routed('HEAD', '/api/users/11/preferences')).toEqual({ key: 'preferences.read', userId: '11', space: null });
    expect(routed('HEAD', '/api/users/11')).toEqual({ key: null, userId: null, space: 'identity' });
  });

  test('the query is kept as received and never classified', () => {
    expect(read('GET', '/api/users/11/profile?q=%41%2F..;x\\y')).toMatchObject({ outcome: 'classified', target: { originForm: '/api/users/11/profile?q=%41%2F..;x\\y' }, match: { userId: '11' } });
  });

  test('unmatched-write-in-a-context-is-that-context\'s: a request no route matches is named by the path space it lies in', () => {
    expect(routed('PUT', '/api/users/11/profile')).toEqual({ key: null, userId: null, space: 'profile' });
    expect(routed('GET', '/api/users/11/profile/x')).toEqual({ key: null, userId: null, space: 'profile' });
    expect(routed('POST', '/api/users/11')).toEqual({ key: null, userId: null, space: 'identity' });
    expect(routed('OPTIONS', '/api/users/11/preferences')).toEqual({ key: null, userId: null, space: 'preferences' });
    expect(routed('POST', '/api/reports/users-by-status')).toEqual({ key: null, userId: null, space: 'legacy-only' });
    expect(routed('GET', '/somewhere/else')).toEqual({ key: null, userId: null, space: null });
  });

  test('canonical contract targets are never refused', () => {
    for (const [method, path] of [
      ['POST', '/api/users'], ['POST', '/api/sessions'], ['GET', '/api/users/1/account'], ['PATCH', '/api/users/1/account'], ['DELETE', '/api/users/1'],
      ['GET', '/api/users/1/profile'], ['PATCH', '/api/users/1/profile'], ['GET', '/api/users/1/preferences'], ['PATCH', '/api/users/1/preferences'],
      ['GET', '/api/reports/users-by-status'],
    ] as const) {
      expect([method, path, read(method, path).outcome]).toEqual([method, path, 'classified']);
    }
  });
});
