import { startLegacyHarness, type LegacyHarness, expectFailure } from '../test/legacy-harness';

let legacy: LegacyHarness;
beforeAll(async () => {
  legacy = await startLegacyHarness();
});
afterAll(async () => {
  await legacy?.stop();
});


const settingsUser = () =>
  legacy.insertUser({ pref_lang: 'pt_BR', pref_tz: 'America/Sao_Paulo', email_optin_flg: 'N', theme_cd: 'SYS' });

describe('GET /api/users/:id/preferences', () => {
  test('maps POSIX locale, Y/N flag and theme code to the API vocabulary', async () => {
    const id = await settingsUser();
    const response = await legacy.request('GET', `/api/users/${id}/preferences`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id, locale: 'pt-BR', timeZone: 'America/Sao_Paulo', marketingEmails: false, theme: 'system' });
  });

  test('reads blank locales and null preferences (legacy dirt) as null', async () => {
    const blank = await legacy.insertUser({ pref_lang: '   ', pref_tz: 'UTC', email_optin_flg: 'Y', theme_cd: 'DARK' });
    const empty = await legacy.insertUser({ pref_lang: null, pref_tz: null, email_optin_flg: null, theme_cd: null });
    expect((await legacy.request('GET', `/api/users/${blank}/preferences`)).body).toEqual({
      id: blank, locale: null, timeZone: 'UTC', marketingEmails: true, theme: 'dark',
    });
    expect((await legacy.request('GET', `/api/users/${empty}/preferences`)).body).toEqual({
      id: empty, locale: null, timeZone: null, marketingEmails: null, theme: null,
    });
  });

  test('answers 404 PREFERENCES_NOT_FOUND for an unknown id and 400 INVALID_ID for a non-id', async () => {
    expectFailure(await legacy.request('GET', '/api/users/987654321/preferences'), 404, 'PREFERENCES.PREFERENCES_NOT_FOUND');
    expectFailure(await legacy.request('GET', '/api/users/1e9/preferences'), 400, 'REQUEST.INVALID_ID');
  });
});

describe('PATCH /api/users/:id/preferences', () => {
  test('stores the canonical locale in POSIX form, the flag, the theme code and the zone as sent', async () => {
    const id = await settingsUser();
    await legacy.pool.query(`update public.users set updated_ts = '2001-01-01' where usr_id = $1`, [id]);
    const response = await legacy.request('PATCH', `/api/users/${id}/preferences`, {
      json: { locale: 'zh-hant-tw', timeZone: 'Asia/Taipei', marketingEmails: true, theme: 'dark' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id, locale: 'zh-Hant-TW', timeZone: 'Asia/Taipei', marketingEmails: true, theme: 'dark' });
    const row = await legacy.userRow(id);
    expect(row).toMatchObject({ pref_lang: 'zh_Hant_TW', pref_tz: 'Asia/Taipei', email_optin_flg: 'Y', theme_cd: 'DARK' });
    expect((row?.updated_ts as Date).getUTCFullYear()).toBeGreaterThan(2001);
  });

  test('changes only the named preference', async () => {
    const id = await settingsUser();
    const response = await legacy.request('PATCH', `/api/users/${id}/preferences`, { json: { theme: 'light' } });
    expect(response.body).toEqual({ id, locale: 'pt-BR', timeZone: 'America/Sao_Paulo', marketingEmails: false, theme: 'light' });
  });

  test('accepts IANA links such as UTC and US/Eastern', async () => {
    const id = await settingsUser();
    for (const timeZone of ['UTC', 'US/Eastern', 'Asia/Kolkata']) {
      const response = await legacy.request('PATCH', `/api/users/${id}/preferences`, { json: { timeZone } });
      expect([response.status, response.body.timeZone]).toEqual([200, timeZone]);
    }
  });

  test('PATCH {} is a no-op that returns the current preferences and writes nothing', async () => {
    const id = await settingsUser();
    const before = await legacy.userRow(id);
    const response = await legacy.request('PATCH', `/api/users/${id}/preferences`, { json: {} });
    expect([response.status, response.body.locale]).toEqual([200, 'pt-BR']);
    expect(await legacy.userRow(id)).toEqual(before);
  });

  test.each([
    ['a POSIX locale', { locale: 'en_US' }, 400, 'PREFERENCES.INVALID_LOCALE'],
    ['a locale with an extension the column cannot hold', { locale: 'en-US-u-ca-buddhist' }, 400, 'PREFERENCES.INVALID_LOCALE'],
    ['an invented time zone', { timeZone: 'Mars/Olympus_Mons' }, 400, 'PREFERENCES.INVALID_TIME_ZONE'],
    ['an offset instead of a zone', { timeZone: '+02:00' }, 400, 'PREFERENCES.INVALID_TIME_ZONE'],
    ['an unknown theme', { theme: 'sepia' }, 400, 'PREFERENCES.INVALID_THEME'],
    ['a stored theme code instead of the API value', { theme: 'SYS' }, 400, 'PREFERENCES.INVALID_THEME'],
    ['a valid theme beside an invalid locale', { theme: 'dark', locale: 'nope_NOPE' }, 400, 'PREFERENCES.INVALID_LOCALE'],
    ['a string for marketingEmails', { marketingEmails: 'Y' }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['null for the locale', { locale: null }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown field', { language: 'en' }, 400, 'REQUEST.VALIDATION_FAILED'],
  ])('refuses %s and leaves the row unchanged', async (_, json, status, code) => {
    const id = await settingsUser();
    const before = await legacy.userRow(id);
    expectFailure(await legacy.request('PATCH', `/api/users/${id}/preferences`, { json }), status, code);
    expect(await legacy.userRow(id)).toEqual(before);
  });

  test('answers 404 PREFERENCES_NOT_FOUND for an unknown id', async () => {
    expectFailure(
      await legacy.request('PATCH', '/api/users/987654321/preferences', { json: { theme: 'dark' } }),
      404,
      'PREFERENCES.PREFERENCES_NOT_FOUND',
    );
  });
});
