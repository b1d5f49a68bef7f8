import { canonicalUserId, isUserId, loadRouteTable, parseRouteTable } from './route-table';
import { readRequestTarget } from './request-target';

const table = loadRouteTable();
/** The route a request-target names, through request-target.ts as the client port reads it. */
const matchOf = (method: string, url: string) => {
  const reading = readRequestTarget(table, method, url);
  if (reading.outcome === 'refused') throw new Error(`${url} refused: ${reading.refusal.message}`);
  return reading.match;
};
const spaceOf = (url: string) => {
  const reading = readRequestTarget(table, 'PUT', url);
  return reading.outcome === 'classified' ? reading.space : 'refused';
};

describe('route table', () => {
  test('every public route of the contract is in the shipped table, with its context and kind', () => {
    const contract: [string, string, string, string][] = [
      ['POST', '/api/users', 'identity', 'write'],
      ['POST', '/api/sessions', 'identity', 'write'],
      ['GET', '/api/users/7/account', 'identity', 'read'],
      ['PATCH', '/api/users/7/account', 'identity', 'write'],
      ['DELETE', '/api/users/7', 'identity', 'write'],
      ['GET', '/api/users/7/profile', 'profile', 'read'],
      ['PATCH', '/api/users/7/profile', 'profile', 'write'],
      ['GET', '/api/users/7/preferences', 'preferences', 'read'],
      ['PATCH', '/api/users/7/preferences', 'preferences', 'write'],
      ['GET', '/api/reports/users-by-status', 'legacy-only', 'read'],
    ];
    for (const [method, path, context, kind] of contract) {
      const match = matchOf(method, path);
      expect([method, path, match?.route.context, match?.route.kind]).toEqual([method, path, context, kind]);
    }
  });

  test('retired-context-request-never-slips-to-legacy: matching is as lenient as the Express backends (case, trailing slash, HEAD, query)', () => {
    expect(matchOf('GET', '/API/Users/7/Profile')?.route.key).toBe('profile.read');
    expect(matchOf('GET', '/api/users/7/profile/')?.route.key).toBe('profile.read');
    expect(matchOf('HEAD', '/api/users/7/profile')?.route.key).toBe('profile.read');
    expect(matchOf('GET', '/api/users/7/profile?fields=bio')?.route.key).toBe('profile.read');
  });

  test('the user id comes from the path as the backends parse it: digits, a safe integer above 0, in decimal', () => {
    expect(matchOf('GET', '/api/users/42/account')?.userId).toBe('42');
    expect(matchOf('GET', '/api/users/abc/account')).toMatchObject({ route: { key: 'account.read' }, userId: null });
    expect(matchOf('GET', '/api/users/007/account')?.userId).toBe('7');
    expect(matchOf('GET', '/api/users/0/account')).toMatchObject({ route: { key: 'account.read' }, userId: null });
    expect(matchOf('GET', '/api/users/9007199254740991/account')?.userId).toBe('9007199254740991');
    expect(matchOf('GET', '/api/users/9007199254740992/account')?.userId).toBeNull();
    expect(matchOf('GET', '/api/users/1%2B1/account')?.userId).toBeNull();
    expect(matchOf('POST', '/api/users')?.userId).toBeNull();
  });

  test('ids read from answers are users exactly when the backends would parse them as one, in canonical form', () => {
    expect([isUserId('11'), isUserId('011'), isUserId('0'), isUserId('9007199254740991'), isUserId('9007199254740992'), isUserId('123456789012345678'), isUserId('1e3')]).toEqual([true, false, false, true, false, false, false]);
    expect([canonicalUserId('011'), canonicalUserId('00'), canonicalUserId('+1'), canonicalUserId(' 1')]).toEqual(['11', null, null, null]);
  });

  test('unknown requests match no route', () => {
    expect(matchOf('GET', '/api/users/7')).toBeNull();
    expect(matchOf('PUT', '/api/users/7/profile')).toBeNull();
    expect(matchOf('GET', '/healthz')).toBeNull();
  });

  test('an unmatched request belongs to the path space of the longest route path that prefixes it, whatever its method', () => {
    expect(spaceOf('/api/users/7/profile')).toBe('profile');
    expect(spaceOf('/api/users/7/profile/x/y')).toBe('profile');
    expect(spaceOf('/API/USERS/7/PREFERENCES/')).toBe('preferences');
    expect(spaceOf('/api/users/7')).toBe('identity');
    expect(spaceOf('/api/users/7/avatar')).toBe('identity');
    expect(spaceOf('/api/users')).toBe('identity');
    expect(spaceOf('/api/sessions/current')).toBe('identity');
    expect(spaceOf('/api/reports/users-by-status/2026')).toBe('legacy-only');
    expect(spaceOf('/api/reports')).toBeNull();
    expect(spaceOf('/api')).toBeNull();
    expect(spaceOf('/')).toBeNull();
    expect(spaceOf('/healthz')).toBeNull();
  });

  test('of two route paths as long that both prefix a request, the one with a literal where the other has a parameter names its space', () => {
    const read = { method: 'GET', kind: 'read' };
    const tied = parseRouteTable({
      routes: [
        { ...read, key: 'a.read', path: '/api/:id/things', context: 'profile', userId: { from: 'path', param: 'id' } },
        { ...read, key: 'b.read', path: '/api/me/:id', context: 'preferences', userId: { from: 'path', param: 'id' } },
      ],
    });
    const reading = readRequestTarget(tied, 'PUT', '/api/me/things');
    expect(reading).toMatchObject({ outcome: 'classified', match: null, space: 'preferences' });
  });

  test('a broken table is refused at start with every problem named', () => {
    const bad = {
      routes: [
        { key: 'a.read', method: 'GET', path: '/api/a/:id', context: 'identity', kind: 'read', userId: { from: 'path', param: 'userId' } },
        { key: 'a.read', method: 'GET', path: '/api/b/:id', context: 'nowhere', kind: 'read' },
        { key: 'a.write', method: 'PATCH', path: '/api/a/:id', context: 'identity', kind: 'write', shadow: { ignore: [], normalise: {} } },
      ],
    };
    let message = '';
    try {
      parseRouteTable(bad, 'test table');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('test table is invalid');
    expect(message).toContain('routes.0.userId.param: /api/a/:id has no parameter :userId');
    expect(message).toMatch(/routes\.1\.context/);
    expect(message).toContain('routes.2.shadow: writes are never mirrored');
  });

  test('two routes for one request, or one key twice, are refused', () => {
    const read = { method: 'GET', context: 'profile', kind: 'read' };
    const twins = {
      routes: [
        { ...read, key: 'a.read', path: '/api/a/:id', userId: { from: 'path', param: 'id' } },
        { ...read, key: 'a.twin', path: '/API/A/:other', userId: { from: 'path', param: 'other' } },
        { ...read, key: 'a.read', path: '/api/b/:id', userId: { from: 'path', param: 'id' } },
      ],
    };
    expect(() => parseRouteTable(twins)).toThrow(/routes\.1\.path: GET \/API\/A\/:other is already routed by a\.read[\s\S]*routes\.2\.key: duplicate route key a\.read/);
  });

  test('a route with a dot segment, which no request may carry, is refused', () => {
    const dotted = { routes: [{ key: 'p.read', method: 'GET', path: '/api/../p/:id', context: 'profile', kind: 'read', userId: { from: 'path', param: 'id' } }] };
    expect(() => parseRouteTable(dotted)).toThrow(/routes\.0\.path: \/api\/\.\.\/p\/:id has a dot segment/);
  });

  test('an unknown normalisation is refused', () => {
    const table = { routes: [{ key: 'p.read', method: 'GET', path: '/p/:id', context: 'profile', kind: 'read', userId: { from: 'path', param: 'id' }, shadow: { normalise: { name: 'soundex' } } }] };
    expect(() => parseRouteTable(table)).toThrow(/routes\.0\.shadow\.normalise\.name/);
  });
});
