import { startLegacyHarness, type LegacyHarness, expectFailure } from '../test/legacy-harness';

let legacy: LegacyHarness;
beforeAll(async () => {
  legacy = await startLegacyHarness();
});
afterAll(async () => {
  await legacy?.stop();
});


async function profileUser(): Promise<number> {
  const id = await legacy.insertUser({ disp_nm: 'Ada', bio_txt: 'Analyst.', avatar_url: 'https://example.com/ada.png' });
  await legacy.pool.query(`update public.users set updated_ts = '2010-12-10 01:02:03.456' where usr_id = $1`, [id]);
  return id;
}

describe('GET /api/users/:id/profile', () => {
  test('returns the profile straight from users, updatedAt in UTC', async () => {
    const id = await profileUser();
    const response = await legacy.request('GET', `/api/users/${id}/profile`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id,
      displayName: 'Ada',
      bio: 'Analyst.',
      avatarUrl: 'https://example.com/ada.png',
      updatedAt: '2010-12-10T01:02:03.456Z',
    });
  });

  test('answers 404 PROFILE_NOT_FOUND for an unknown id and 400 INVALID_ID for a non-id', async () => {
    expectFailure(await legacy.request('GET', '/api/users/987654321/profile'), 404, 'PROFILE.PROFILE_NOT_FOUND');
    expectFailure(await legacy.request('GET', '/api/users/x1/profile'), 400, 'REQUEST.INVALID_ID');
  });
});

describe('PATCH /api/users/:id/profile', () => {
  test('sets the named fields, leaves the others and writes updated_ts', async () => {
    const id = await profileUser();
    const response = await legacy.request('PATCH', `/api/users/${id}/profile`, { json: { displayName: 'Countess', bio: '数学者 🧮' } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id, displayName: 'Countess', bio: '数学者 🧮', avatarUrl: 'https://example.com/ada.png' });
    expect(Date.parse(response.body.updatedAt)).toBeGreaterThan(Date.parse('2020-01-01'));
    expect(await legacy.userRow(id)).toMatchObject({ disp_nm: 'Countess', bio_txt: '数学者 🧮', avatar_url: 'https://example.com/ada.png' });
  });

  test('null clears a field', async () => {
    const id = await profileUser();
    const response = await legacy.request('PATCH', `/api/users/${id}/profile`, { json: { displayName: null, bio: null, avatarUrl: null } });
    expect(response.body).toMatchObject({ displayName: null, bio: null, avatarUrl: null });
    expect(await legacy.userRow(id)).toMatchObject({ disp_nm: null, bio_txt: null, avatar_url: null });
  });

  test('takes a 20000-character bio of multi-byte characters, which varchar-style counting must not refuse', async () => {
    const id = await profileUser();
    const bio = '字'.repeat(20_000);
    const response = await legacy.request('PATCH', `/api/users/${id}/profile`, { json: { bio } });
    expect(response.status).toBe(200);
    expect((await legacy.userRow(id))?.bio_txt).toBe(bio);
  });

  test('PATCH {} is a no-op that returns the current profile and writes nothing', async () => {
    const id = await profileUser();
    const before = await legacy.userRow(id);
    const response = await legacy.request('PATCH', `/api/users/${id}/profile`, { json: {} });
    expect([response.status, response.body.updatedAt]).toEqual([200, '2010-12-10T01:02:03.456Z']);
    expect(await legacy.userRow(id)).toEqual(before);
  });

  test.each([
    ['a 101-character display name', { displayName: 'n'.repeat(101) }, 400, 'PROFILE.DISPLAY_NAME_TOO_LONG'],
    ['a 20001-character bio', { bio: 'b'.repeat(20_001) }, 400, 'PROFILE.BIO_TOO_LONG'],
    ['a non-http avatar URL', { avatarUrl: 'ftp://example.com/a.png' }, 400, 'PROFILE.INVALID_AVATAR_URL'],
    ['an avatar URL over 500 characters', { avatarUrl: `https://example.com/${'a'.repeat(481)}` }, 400, 'PROFILE.INVALID_AVATAR_URL'],
    ['a valid field beside an invalid one', { displayName: 'Fine', avatarUrl: 'not a url' }, 400, 'PROFILE.INVALID_AVATAR_URL'],
    ['a mistyped display name', { displayName: 42 }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown field', { nickname: 'Ada' }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a NUL character', { bio: 'nul\u0000byte' }, 400, 'REQUEST.VALIDATION_FAILED'],
  ])('refuses %s and leaves the row unchanged', async (_, json, status, code) => {
    const id = await profileUser();
    const before = await legacy.userRow(id);
    expectFailure(await legacy.request('PATCH', `/api/users/${id}/profile`, { json }), status, code);
    expect(await legacy.userRow(id)).toEqual(before);
  });

  test('answers 404 PROFILE_NOT_FOUND for an unknown id', async () => {
    expectFailure(await legacy.request('PATCH', '/api/users/987654321/profile', { json: { bio: 'x' } }), 404, 'PROFILE.PROFILE_NOT_FOUND');
  });
});
