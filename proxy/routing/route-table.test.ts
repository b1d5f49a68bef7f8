import { loadRouteTable, parseRouteTable } from './route-table';

const table = loadRouteTable();

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
      const match = table.match(method, path);
      expect([method, path, match?.route.context, match?.route.kind]).toEqual([method, path, context, kind]);
    }
  });

  test('retired-context-request-never-slips-to-legacy: matching is as lenient as the Express backends (case, trailing slash, HEAD, query)', () => {
    expect(table.match('GET', '/API/Users/7/Profile')?.route.key).toBe('profile.read');
    expect(table.match('GET', '/api/users/7/profile/')?.route.key).toBe('profile.read');
    expect(table.match('HEAD', '/api/users/7/profile')?.route.key).toBe('profile.read');
    expect(table.match('GET', '/api/users/7/profile?fields=bio')?.route.key).toBe('profile.read');
  });

  test('the user id comes from the path only when it is a positive integer', () => {
    expect(table.match('GET', '/api/users/42/account')?.userId).toBe('42');
    expect(table.match('GET', '/api/users/abc/account')).toMatchObject({ route: { key: 'account.read' }, userId: null });
    expect(table.match('GET', '/api/users/007/account')?.userId).toBeNull();
    expect(table.match('POST', '/api/users')?.userId).toBeNull();
  });

  test('unknown requests match nothing (and so go to legacy)', () => {
    expect(table.match('GET', '/api/users/7')).toBeNull();
    expect(table.match('PUT', '/api/users/7/profile')).toBeNull();
    expect(table.match('GET', '/api/users//profile')).toBeNull();
    expect(table.match('GET', '/healthz')).toBeNull();
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

  test('an unknown normalisation is refused', () => {
    const table = { routes: [{ key: 'p.read', method: 'GET', path: '/p/:id', context: 'profile', kind: 'read', userId: { from: 'path', param: 'id' }, shadow: { normalise: { name: 'soundex' } } }] };
    expect(() => parseRouteTable(table)).toThrow(/routes\.0\.shadow\.normalise\.name/);
  });
});
