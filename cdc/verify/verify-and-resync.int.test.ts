// The verifier and resync through the real parts: a sandbox's legacy and user_service databases, its own
// Debezium connector and the forward sync running (cdc/test/sync-sandbox.ts). Drift is planted on both
// sides, reported with the right kind and id, repaired with resync, and verified clean, also through the
// CLI as an operator runs it (`npx strangler verify`).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startCdcWorkers, type CdcWorkers } from '../cdc-workers';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../kafka/kafkajs-event-log';
import type { Context } from '../ownership/ownership-map';
import { setStage } from '../ownership/stage-store';
import { resync } from '../resync/resync';
import { startSyncSandbox, type SyncSandbox } from '../test/sync-sandbox';
import { isDrifting, type ContextDrift } from './drift';
import { verifyContexts, type VerifyReport } from './verify-contexts';
import { recordVerifyRun, registerVerifyDriftGauge } from './verify-runs';
import { until as untilWithin } from '../test/until';

// Incremental snapshots and the verifier's re-check take longer than one apply: 90 s, as before.
const until = <T>(what: string, probe: () => Promise<T | undefined>) => untilWithin(what, probe, { timeoutMs: 90_000 });

const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
const run = promisify(execFile);
const ALL: Context[] = ['identity', 'profile', 'preferences'];


const driftOf = (report: VerifyReport, context: Context): ContextDrift => report.contexts.find((c) => c.context === context)!;

describe('verify and resync: drift planted on either side is found by id and kind, repaired, and verified clean', () => {
  let sandbox: SyncSandbox;
  let legacy: Pool;
  let userService: Pool;
  let control: Pool;
  const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv('verify-resync-test'), logger);
  let workers: CdcWorkers;
  const ids: Record<'a' | 'b' | 'c' | 'd' | 'bad', number> = { a: 0, b: 0, c: 0, d: 0, bad: 0 };
  const EXTRA_ID = 900_000;

  const verify = (contexts: Context[] = ALL, beforeRecheck?: () => Promise<void>) =>
    verifyContexts({ legacy, userService, contexts, chunkSize: 2, ...(beforeRecheck ? { beforeRecheck } : {}) });
  const cliEnv = () => ({
    ...process.env,
    CDC_LEGACY_DATABASE_URL: sandbox.config.CDC_LEGACY_DATABASE_URL,
    CDC_USER_SERVICE_DATABASE_URL: sandbox.config.CDC_USER_SERVICE_DATABASE_URL,
    STRANGLER_CONTROL_DATABASE_URL: sandbox.config.STRANGLER_CONTROL_DATABASE_URL,
    LEGACY_DATABASE_URL: sandbox.config.LEGACY_DATABASE_URL,
  });
  /** `npx strangler ...` as an operator runs it; resolves with the exit code and output. */
  const strangler = async (...args: string[]) => {
    try {
      const { stdout } = await run('npx', ['strangler', ...args], { cwd: join(__dirname, '..', '..'), env: cliEnv() });
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  };
  const insertLegacyUser = async (columns: Record<string, unknown>) => {
    const names = Object.keys(columns);
    const { rows } = await legacy.query<{ usr_id: string }>(
      `INSERT INTO public.users (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING usr_id`,
      Object.values(columns),
    );
    return Number(rows[0]!.usr_id);
  };
  const has = async (table: string, id: number) => (await userService.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id])).rowCount === 1;

  beforeAll(async () => {
    sandbox = await startSyncSandbox();
    legacy = new Pool({ connectionString: sandbox.admin.legacy, max: 3 });
    userService = new Pool({ connectionString: sandbox.admin.userService, max: 3 });
    control = new Pool({ connectionString: sandbox.admin.control, max: 2 });
    workers = await startCdcWorkers({ config: sandbox.config, eventLog, logger, registry: new Registry(), forwardGroup: `${sandbox.name}-forward`, legacyUsersTopic: sandbox.usersTopic });

    for (const key of ['a', 'b', 'c', 'd'] as const) {
      ids[key] = await insertLegacyUser({
        email_addr: ` User.${key}@Example.com`, pwd_hash: 'x', acct_stat_cd: 'A', disp_nm: `User ${key}`, bio_txt: 'bio',
        pref_lang: 'de_DE', pref_tz: 'Europe/Berlin', email_optin_flg: 'N', theme_cd: 'LIGHT', created_ts: '2021-02-03 04:05:06.789012',
      });
    }
    // An account legacy holds and identity refuses (unknown status code): unsyncable, the dead letter's twin.
    ids.bad = await insertLegacyUser({ email_addr: 'bad@example.com', pwd_hash: 'x', acct_stat_cd: 'X', disp_nm: 'Bad status' });
    await until('every user in every context', async () => {
      for (const key of ['a', 'b', 'c', 'd'] as const) {
        for (const table of ['identity.accounts', 'profile.profiles', 'preferences.preferences']) if (!(await has(table, ids[key]))) return undefined;
      }
      return (await has('profile.profiles', ids.bad)) ? true : undefined;
    });
  });

  afterAll(async () => {
    await workers?.stop();
    await eventLog.close();
    await Promise.all([legacy?.end(), userService?.end(), control?.end()]);
    await sandbox?.stop();
  });

  test('a synced database is clean; the row the ACL rejects is reported as unsyncable, not as drift', async () => {
    const report = await verify();
    expect(report.contexts.map(isDrifting)).toEqual([false, false, false]);
    expect(driftOf(report, 'identity').ids.unsyncable).toEqual([ids.bad]);
    expect(report.legacyRows).toBe(5);
  });

  test('drift-in-flight-not-reported: a row that drifts on the pass but agrees again on the re-check is left out', async () => {
    await userService.query("UPDATE profile.profiles SET bio = 'mid-flight' WHERE id = $1", [ids.a]);
    const report = await verify(['profile'], async () => {
      await userService.query("UPDATE profile.profiles SET bio = 'bio' WHERE id = $1", [ids.a]);
    });
    expect(report.recheckedRows).toBe(1);
    expect(isDrifting(driftOf(report, 'profile'))).toBe(false);
  });

  test('planted drift is reported by kind and id, stored, exported as a gauge, and fails the CLI', async () => {
    // Behind the sync's back, in the contexts: a changed persona, a deleted settings row, a persona for no one.
    await userService.query("UPDATE profile.profiles SET display_name = 'Tampered' WHERE id = $1", [ids.a]);
    await userService.query('DELETE FROM preferences.preferences WHERE id = $1', [ids.b]);
    await userService.query("INSERT INTO profile.profiles (id, display_name, version, updated_at) VALUES ($1, 'Ghost', 1, now())", [EXTRA_ID]);
    // In legacy: a profile column written while the new service owned the profile's writes (so the forward
    // sync skipped it), then the stage rolled back without a catch-up: legacy now says something else.
    await setStage(control, 'profile', 'writes');
    await legacy.query("UPDATE public.users SET disp_nm = 'Written in legacy', acct_stat_cd = 'S' WHERE usr_id = $1", [ids.c]);
    await until('the forward sync to process the change (identity\'s half)', async () =>
      ((await userService.query('SELECT status FROM identity.accounts WHERE id = $1', [ids.c])).rows[0]?.status === 'suspended' ? true : undefined));
    await setStage(control, 'profile', 'legacy');

    const report = await verify();
    expect(driftOf(report, 'profile').ids).toEqual({ missing: [], extra: [EXTRA_ID], different: [ids.a, ids.c].sort((x, y) => x - y), unsyncable: [] });
    expect(driftOf(report, 'preferences').ids).toEqual({ missing: [ids.b], extra: [], different: [], unsyncable: [] });
    expect(driftOf(report, 'identity').counts).toEqual({ missing: 0, extra: 0, different: 0, unsyncable: 1 });

    await recordVerifyRun(control, report);
    const registry = new Registry();
    registerVerifyDriftGauge(registry, control, logger);
    const metrics = await registry.metrics();
    expect(metrics).toContain('strangler_verify_drift_rows{context="profile",kind="different"} 2');
    expect(metrics).toContain('strangler_verify_drift_rows{context="profile",kind="extra"} 1');
    expect(metrics).toContain('strangler_verify_drift_rows{context="preferences",kind="missing"} 1');
    expect(metrics).toContain('strangler_verify_drift_rows{context="identity",kind="unsyncable"} 1');

    const cli = await strangler('verify', '--recheck-delay', '0');
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`profile extra: ${EXTRA_ID}`);
    expect(cli.stdout).toContain(`preferences missing: ${ids.b}`);
    // Ids only: the report never carries an email or a name.
    expect(cli.stdout).not.toMatch(/example\.com|Tampered|Ghost|Written in legacy/i);
  });

  test('resync while legacy owns the writes: Debezium re-reads the rows, the extra persona is erased, the CLI verifies clean', async () => {
    const profile = await resync({ context: 'profile', ids: [ids.a, ids.c, EXTRA_ID], legacy, userService, control });
    expect(profile).toMatchObject({ writesOwner: 'legacy', erased: [EXTRA_ID], skipped: [] });
    expect(profile.writesOwner === 'legacy' && profile.signals.flatMap((s) => (s.ids === 'all' ? [] : [...s.ids]))).toEqual([ids.a, ids.c].sort((x, y) => x - y));
    const erasures = await userService.query("SELECT type FROM profile.outbox WHERE aggregateid = $1", [String(EXTRA_ID)]);
    expect(erasures.rows).toEqual([{ type: 'profile.ProfileErasureSyncedFromLegacy' }]);

    const cliResync = await strangler('resync', 'preferences', '--ids', String(ids.b));
    expect(cliResync.code).toBe(0);

    await until('the verifier to find every context clean', async () => {
      const report = await verify();
      return report.contexts.some(isDrifting) ? undefined : report;
    });
    const cli = await strangler('verify');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/clean/);
  });

  test('resync once the new service owns the writes: the context\'s state is written back over legacy\'s columns', async () => {
    await setStage(control, 'preferences', 'writes');
    try {
      // Legacy's columns drift (a write the reverse sync never made), the context is the truth now.
      await legacy.query("UPDATE public.users SET pref_lang = 'fr_FR', theme_cd = 'DARK' WHERE usr_id = $1", [ids.d]);
      const drifted = await verify(['preferences']);
      expect(driftOf(drifted, 'preferences').ids.different).toEqual([ids.d]);

      const result = await resync({ context: 'preferences', legacy, userService, control, chunkSize: 2 });
      expect(result).toMatchObject({ writesOwner: 'new', rewritten: [ids.d], inserted: [], refused: [], skipped: [] });
      const { rows } = await legacy.query('SELECT pref_lang, theme_cd FROM public.users WHERE usr_id = $1', [ids.d]);
      expect(rows[0]).toEqual({ pref_lang: 'de_DE', theme_cd: 'LIGHT' });
      expect(isDrifting(driftOf(await verify(['preferences']), 'preferences'))).toBe(false);
    } finally {
      await setStage(control, 'preferences', 'legacy');
    }
  });

  test('an account only the new service has gets its legacy row back, timestamps as UTC wall-clock time', async () => {
    await setStage(control, 'identity', 'writes');
    try {
      // Registered in the new service (ids from 10^12), its AccountRegistered never reached legacy.
      const id = 1_000_000_000_123;
      await userService.query(
        `INSERT INTO identity.accounts (id, email, password_hash, status, created_at, last_login_at, version, updated_at)
         VALUES ($1, 'fresh@example.com', 'hash', 'active', '2026-11-21T10:11:12.345Z', NULL, 1, now())`,
        [id],
      );
      expect(driftOf(await verify(['identity']), 'identity').ids.extra).toEqual([id]);

      const result = await resync({ context: 'identity', ids: [id], legacy, userService, control });
      expect(result).toMatchObject({ writesOwner: 'new', inserted: [id], rewritten: [], refused: [] });
      const { rows } = await legacy.query("SELECT email_addr, acct_stat_cd, to_char(created_ts, 'YYYY-MM-DD HH24:MI:SS.MS') AS created FROM public.users WHERE usr_id = $1", [id]);
      expect(rows[0]).toEqual({ email_addr: 'fresh@example.com', acct_stat_cd: 'A', created: '2026-11-21 10:11:12.345' });
      expect(isDrifting(driftOf(await verify(['identity']), 'identity'))).toBe(false);
    } finally {
      await setStage(control, 'identity', 'legacy');
    }
  });
});
