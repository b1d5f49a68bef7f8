// The user-service serves a context's writes only while the control plane says it owns them: a proxy
// instance acting on stale stages cannot get a write kept on the side that does not own it.
import { Pool } from 'pg';
import pino from 'pino';
import { runMigrationSet } from '../../migrations/migrate';
import { migrationSets } from '../../migrations/migration-sets';
import { dropDatabase, endPool, throwawayDatabaseUrl } from '../../migrations/test/throwaway-database';
import { expectFailure, startUserServiceHarness, type UserServiceHarness } from '../test/user-service-harness';
import { WriteOwnership } from './write-ownership';

describe('writes of contexts the user-service does not own', () => {
  const controlUrl = throwawayDatabaseUrl('user_service_ownership_it');
  let control: Pool;
  let service: UserServiceHarness;

  beforeAll(async () => {
    await runMigrationSet(migrationSets.control, controlUrl);
    control = new Pool({ connectionString: controlUrl, max: 2 });
    // A positive answer cached for an hour: what must never be cached is a refusal.
    service = await startUserServiceHarness({ writeOwnership: (registry) => new WriteOwnership({ control, logger: pino({ level: 'silent' }), registry, cacheMs: 3_600_000 }) });
  });

  afterAll(async () => {
    await service?.stop();
    if (control) await endPool(control);
    await dropDatabase(controlUrl);
  });

  const place = (context: string, stage: string, held = false) =>
    control.query('UPDATE control.context_stages SET stage = $2, version = version + 1, writes_held_since = CASE WHEN $3 THEN now() END WHERE context = $1', [context, stage, held]);
  const refusals = async (context: string, reason: string) =>
    ((await service.registry.getSingleMetric('user_service_writes_refused_total')!.get()).values.find((v) => v.labels.context === context && v.labels.reason === reason)?.value ?? 0);

  test('stale-instance-write-refused-by-the-new-side: a write for a context still owned by legacy changes nothing', async () => {
    const signUp = await service.request('POST', '/api/users', { json: { email: 'early@example.com', password: 'password1' } });
    expectFailure(signUp, 503, 'MIGRATION.WRITES_NOT_OWNED');
    expect(signUp.headers.get('retry-after')).toBe('1');
    expect((await service.admin.query('SELECT count(*)::int AS n FROM identity.accounts')).rows[0].n).toBe(0);
    expect(await refusals('identity', 'not-owner')).toBe(1);
  });

  test('the flip is honoured the moment it commits, and a context keeps its own owner', async () => {
    await place('identity', 'writes');
    const signUp = await service.request('POST', '/api/users', { json: { email: 'owner@example.com', password: 'password1' } });
    expect(signUp.status).toBe(201);
    const id = signUp.body.id as number;
    // Profile is still legacy's: its writes are refused, its reads served.
    expectFailure(await service.request('PATCH', `/api/users/${id}/profile`, { json: { displayName: 'Too Early' } }), 503, 'MIGRATION.WRITES_NOT_OWNED');
    expect((await service.request('GET', `/api/users/${id}/profile`)).status).toBe(200);
    await place('profile', 'retired');
    expect((await service.request('PATCH', `/api/users/${id}/profile`, { json: { displayName: 'In Time' } })).status).toBe(200);
  });

  test('a write hold changes nothing: a write forwarded before the proxies confirmed it finishes on its owner', async () => {
    await place('preferences', 'writes', true);
    const signUp = await service.request('POST', '/api/users', { json: { email: 'held@example.com', password: 'password1' } });
    const id = signUp.body.id as number;
    expect((await service.request('PATCH', `/api/users/${id}/preferences`, { json: { theme: 'dark' } })).status).toBe(200);
  });
});
