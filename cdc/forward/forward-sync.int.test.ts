// Forward sync through the real parts: legacy writes to public.users, Debezium, Kafka, the forward
// worker, and the three contexts' tables and outboxes in user_service (each test file on its own
// throwaway databases and connector: see cdc/test/sync-sandbox.ts).
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startCdcWorkers, type CdcWorkers } from '../cdc-workers';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../kafka/kafkajs-event-log';
import { setStage } from '../ownership/stage-store';
import { startSyncSandbox, type SyncSandbox } from '../test/sync-sandbox';
import { until } from '../test/until';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });


describe('forward sync: legacy rows become the contexts\' state while legacy owns their writes', () => {
  let sandbox: SyncSandbox;
  let legacy: Pool;
  let userService: Pool;
  let control: Pool;
  const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv('forward-sync-test'), logger);
  let workers: CdcWorkers;

  const insertLegacyUser = async (columns: Record<string, unknown>) => {
    const names = Object.keys(columns);
    const { rows } = await legacy.query<{ usr_id: string }>(
      `INSERT INTO public.users (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING usr_id`,
      Object.values(columns),
    );
    return Number(rows[0]!.usr_id);
  };
  const row = async (table: string, id: number) => (await userService.query(`SELECT * FROM ${table} WHERE id = $1`, [id])).rows[0] as Record<string, any> | undefined;
  const deadLettersOf = async (id: number) =>
    (await control.query<{ context: string; reason_code: string; reason: string }>('SELECT context, reason_code, reason FROM control.dead_letters WHERE usr_id = $1 ORDER BY id', [id])).rows;

  beforeAll(async () => {
    sandbox = await startSyncSandbox();
    legacy = new Pool({ connectionString: sandbox.admin.legacy, max: 2 });
    userService = new Pool({ connectionString: sandbox.admin.userService, max: 2 });
    control = new Pool({ connectionString: sandbox.admin.control, max: 2 });
    workers = await startCdcWorkers({ config: sandbox.config, eventLog, logger, registry: new Registry(), forwardGroup: `${sandbox.name}-forward`, legacyUsersTopic: sandbox.usersTopic });
  });

  afterAll(async () => {
    await workers?.stop();
    await eventLog.close();
    await Promise.all([legacy?.end(), userService?.end(), control?.end()]);
    await sandbox?.stop();
  });

  test('a dirty but valid legacy row arrives normalised in all three contexts, then follows updates and the delete', async () => {
    const tag = randomUUID().slice(0, 8);
    const id = await insertLegacyUser({
      email_addr: `  Mixed.Case.${tag}@Example.COM `,
      pwd_hash: '$2b$10$abcdefghijklmnopqrstuuJ1cWcTxJ6MZoZzoTtn7pD8Uvq8cXX9S',
      acct_stat_cd: 'S',
      disp_nm: 'Legacy Lin',
      pref_lang: 'pt_BR',
      pref_tz: 'America/Sao_Paulo',
      email_optin_flg: 'Y',
      theme_cd: 'SYS',
      created_ts: '2020-01-02 03:04:05',
    });

    const account = await until('the account', () => row('identity.accounts', id));
    expect(account).toMatchObject({ email: `mixed.case.${tag}@example.com`, status: 'suspended', version: 1 });
    expect(account.created_at.toISOString()).toBe('2020-01-02T03:04:05.000Z');
    expect(await until('the profile', () => row('profile.profiles', id))).toMatchObject({ display_name: 'Legacy Lin', version: 1 });
    expect(await until('the preferences', () => row('preferences.preferences', id))).toMatchObject({
      locale: 'pt-BR', time_zone: 'America/Sao_Paulo', marketing_emails: true, theme: 'system', version: 1,
    });

    await legacy.query("UPDATE public.users SET disp_nm = 'Lin, renamed', updated_ts = now() WHERE usr_id = $1", [id]);
    await until('the renamed profile', async () => ((await row('profile.profiles', id))?.version === 2 ? true : undefined));
    expect(await row('profile.profiles', id)).toMatchObject({ display_name: 'Lin, renamed' });
    // Identity and preferences did not change, so they neither move their version nor announce anything.
    expect((await row('identity.accounts', id))?.version).toBe(1);
    expect((await row('preferences.preferences', id))?.version).toBe(1);
    const profileEvents = (await userService.query('SELECT type, payload FROM profile.outbox WHERE aggregateid = $1 ORDER BY seq', [String(id)])).rows;
    expect(profileEvents.map((e) => [e.type, e.payload.version])).toEqual([['profile.ProfileSyncedFromLegacy', 1], ['profile.ProfileSyncedFromLegacy', 2]]);

    await legacy.query('DELETE FROM public.users WHERE usr_id = $1', [id]);
    await until('the erasure in all three contexts', async () => {
      const left = await Promise.all(['identity.accounts', 'profile.profiles', 'preferences.preferences'].map((t) => row(t, id)));
      return left.every((r) => r === undefined) ? true : undefined;
    });
    expect(await deadLettersOf(id)).toEqual([]);
  });

  test('a row the model cannot accept is dead-lettered with its reason, per context, and the pipeline goes on', async () => {
    const tag = randomUUID().slice(0, 8);
    const invalidEmail = await insertLegacyUser({ email_addr: `no-at-sign-${tag}.example.com`, pwd_hash: 'x', acct_stat_cd: 'A', disp_nm: 'Still a persona' });
    const unknownStatus = await insertLegacyUser({ email_addr: `status.${tag}@example.com`, pwd_hash: 'x', acct_stat_cd: 'X', theme_cd: 'NEON' });
    const afterThem = await insertLegacyUser({ email_addr: `after.${tag}@example.com`, pwd_hash: 'x', acct_stat_cd: 'A' });

    await until('the row after the poison ones', () => row('identity.accounts', afterThem));
    expect(await row('identity.accounts', invalidEmail)).toBeUndefined();
    expect(await row('identity.accounts', unknownStatus)).toBeUndefined();
    // The parts each context can accept are applied: a persona does not need a valid email.
    expect(await row('profile.profiles', invalidEmail)).toMatchObject({ display_name: 'Still a persona' });

    const letters = await until('the dead letters', async () => {
      const found = [...(await deadLettersOf(invalidEmail)), ...(await deadLettersOf(unknownStatus))];
      return found.length >= 3 ? found : undefined;
    });
    expect(letters.map((l) => [l.context, l.reason_code])).toEqual([
      ['identity', 'FORWARD.INVALID_EMAIL'],
      ['identity', 'FORWARD.UNKNOWN_STATUS_CODE'],
      ['preferences', expect.stringMatching(/^FORWARD\./)],
    ]);
    // Reasons are for operators' logs and dashboards: they never carry the email.
    for (const letter of letters) expect(letter.reason).not.toContain(tag);

    const metrics = await (await fetch(`http://127.0.0.1:${workers.port}/metrics`)).text();
    expect(metrics).toMatch(/strangler_cdc_dead_letters_total\{direction="forward"\} [1-9]/);
    expect(metrics).toMatch(/strangler_cdc_events_total\{direction="forward",context="identity",outcome="applied"\} [1-9]/);
    expect(metrics).toMatch(/strangler_cdc_lag_seconds_count\{direction="forward"\} [1-9]/);
    const health = await fetch(`http://127.0.0.1:${workers.port}/healthz`);
    expect(health.status).toBe(200);
  });

  test('nothing is applied to a context whose writes the new service owns', async () => {
    const tag = randomUUID().slice(0, 8);
    const id = await insertLegacyUser({ email_addr: `owned.${tag}@example.com`, pwd_hash: 'x', acct_stat_cd: 'A', disp_nm: 'Before' });
    await until('the profile', () => row('profile.profiles', id));
    await setStage(control, 'profile', 'writes');
    try {
      await legacy.query("UPDATE public.users SET disp_nm = 'Written in legacy after the flip', acct_stat_cd = 'S' WHERE usr_id = $1", [id]);
      // Identity is still legacy's: its part of the same row change is applied, which also shows the event was processed.
      await until('the suspension', async () => ((await row('identity.accounts', id))?.status === 'suspended' ? true : undefined));
      expect(await row('profile.profiles', id)).toMatchObject({ display_name: 'Before', version: 1 });
    } finally {
      await setStage(control, 'profile', 'legacy');
    }
  });
});
