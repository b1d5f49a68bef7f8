import { publishedEventCheck } from '../../schemas/events/event-schemas';
import { isFailure } from '../platform/failure';
import type { ContextSql } from '../platform/unit-of-work';
import { checkProfileChange, createProfile, erasureOf, reviseProfile, type Profile } from './domain/profile';
import type { ProfileEvent } from './domain/profile-events';
import { recordProfileEvent } from './profiles.repository';

const checkEvent = publishedEventCheck();

/** What recordProfileEvent writes into profile.outbox's payload column. */
async function recordedEnvelope(event: ProfileEvent): Promise<Record<string, unknown>> {
  const written: unknown[][] = [];
  const sql: ContextSql = { query: async (_text, params = []) => { written.push(params); return []; } };
  await recordProfileEvent(sql, event);
  const payload = written[0]?.find((param) => typeof param === 'string' && param.startsWith('{'));
  return JSON.parse(payload as string);
}

const at = new Date('2026-11-21T12:00:00.000Z');

function revised(profile: Profile, request: Parameters<typeof checkProfileChange>[0]) {
  const change = checkProfileChange(request);
  if (isFailure(change)) throw new Error(change.message);
  const revision = reviseProfile(profile, change, at);
  if (!revision) throw new Error('expected a change');
  return revision;
}

describe('no profile event leaves the context off its published schema', () => {
  const created = createProfile(1_000_000_000_001, null, at);
  if (isFailure(created)) throw new Error(created.message);

  test('ProfileCreated, with and without a display name', async () => {
    const named = createProfile(3, '😀'.repeat(100), at);
    if (isFailure(named)) throw new Error(named.message);
    for (const event of [created.event, named.event]) expect(checkEvent(await recordedEnvelope(event))).toEqual([]);
  });

  test('ProfileUpdated at the edges of every rule', async () => {
    const revision = revised(created.profile, { displayName: '😀'.repeat(100), bio: '🧮'.repeat(20_000), avatarUrl: `HTTPS://example.com/${'a'.repeat(480)}` });
    expect(checkEvent(await recordedEnvelope(revision.event))).toEqual([]);
    const cleared = revised(revision.profile, { displayName: null, bio: null, avatarUrl: null });
    expect(checkEvent(await recordedEnvelope(cleared.event))).toEqual([]);
  });

  test('ProfileErased', async () => {
    expect(checkEvent(await recordedEnvelope(erasureOf(created.profile, at)))).toEqual([]);
  });

  test('the schemas do catch an event that breaks them', async () => {
    const envelope = await recordedEnvelope(created.event);
    expect(checkEvent({ ...envelope, version: 2 })).not.toEqual([]);
    expect(checkEvent({ ...envelope, data: { ...(envelope.data as object), email: 'a@b.c' } })).not.toEqual([]);
    expect(checkEvent({ ...envelope, occurredAt: 'yesterday' })).not.toEqual([]);
  });
});
