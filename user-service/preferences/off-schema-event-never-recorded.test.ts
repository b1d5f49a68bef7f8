import { publishedEventCheck } from '../../schemas/events/event-schemas';
import { isFailure } from '../platform/failure';
import type { ContextSql } from '../platform/unit-of-work';
import { changePreferences, checkPreferencesChange, createPreferences, erasureOf, type Preferences, type PreferencesRequest } from './domain/preferences';
import type { PreferencesEvent } from './domain/preferences-events';
import { recordPreferencesEvent } from './preferences.repository';

const checkEvent = publishedEventCheck();

/** What recordPreferencesEvent writes into preferences.outbox's payload column. */
async function recordedEnvelope(event: PreferencesEvent): Promise<Record<string, unknown>> {
  const written: unknown[][] = [];
  const sql: ContextSql = { query: async (_text, params = []) => { written.push(params); return []; } };
  await recordPreferencesEvent(sql, event);
  const payload = written[0]?.find((param) => typeof param === 'string' && param.startsWith('{'));
  return JSON.parse(payload as string);
}

const at = new Date('2026-11-21T12:00:00.000Z');

function changed(preferences: Preferences, request: PreferencesRequest) {
  const change = checkPreferencesChange(request);
  if (isFailure(change)) throw new Error(change.message);
  const revision = changePreferences(preferences, change, at);
  if (!revision) throw new Error('expected a change');
  return revision;
}

describe('no preferences event leaves the context off its published schema', () => {
  const created = createPreferences(1_000_000_000_001, at);

  test('PreferencesCreated', async () => {
    expect(checkEvent(await recordedEnvelope(created.event))).toEqual([]);
  });

  test.each([
    { locale: 'zh-hant-tw' }, { locale: 'es-419' }, { locale: 'iw-IL' }, { timeZone: 'Etc/GMT+5' }, { timeZone: 'US/Eastern' },
    { marketingEmails: true }, { marketingEmails: false }, { theme: 'system' },
  ])('PreferencesChanged with %p', async (request) => {
    expect(checkEvent(await recordedEnvelope(changed(created.preferences, request).event))).toEqual([]);
  });

  test('PreferencesErased', async () => {
    expect(checkEvent(await recordedEnvelope(erasureOf(created.preferences, at)))).toEqual([]);
  });

  test('the schemas do catch an event that breaks them', async () => {
    const envelope = await recordedEnvelope(changed(created.preferences, { locale: 'en-us' }).event);
    const data = envelope.data as object;
    expect(checkEvent({ ...envelope, data: { ...data, locale: 'en_US' } })).not.toEqual([]);
    expect(checkEvent({ ...envelope, data: { ...data, theme: 'SYS' } })).not.toEqual([]);
    expect(checkEvent({ ...envelope, version: 1 })).not.toEqual([]);
    expect(checkEvent({ ...envelope, eventId: 'not-a-uuid' })).not.toEqual([]);
  });
});
