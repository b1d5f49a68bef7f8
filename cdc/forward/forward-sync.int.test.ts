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
const ADMIN_TOKEN = `test-${randomUUID()}`;


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
    sandbox = await startSyncSandbox({ STRANGLER_ADMIN_TOKEN: ADMIN_TOKEN });
    legacy = new Pool({ connectionString: sandbox.admin.legacy, max: 2 });
    userService = new Pool({ connectionString: sandbox.admin.userService, max: 2 });
    control = new Pool({ connectionString: sandbox.admin.control, max: 2 });
    workers = await startCdcWorkers({ config: sandbox.config, eventLog, logger, registry: new Registry(), forwardGroup: `${sandbox.name}-forward`, legacyUsersTopic: sandbox.usersTopic, forwardSlot: sandbox.slots.forward });
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
    // The capture topic is partitioned by user, so "after them" must mean after them in their own partitions: a later
    // change to each poison row rides the same partition as the event that was refused.
    await legacy.query("UPDATE public.users SET disp_nm = 'Changed after the poison', updated_ts = now() WHERE usr_id = ANY($1)", [[invalidEmail, unknownStatus]]);
    for (const id of [invalidEmail, unknownStatus]) {
      await until(`the change after the poison for ${id}`, async () => ((await row('profile.profiles', id))?.display_name === 'Changed after the poison' ? true : undefined));
    }
    expect(await row('identity.accounts', invalidEmail)).toBeUndefined();
    expect(await row('identity.accounts', unknownStatus)).toBeUndefined();
    // The parts each context can accept were applied all along: a persona does not need a valid email.
    expect(await row('profile.profiles', invalidEmail)).toMatchObject({ version: 2 });

    // Both poison rows were refused twice (the insert and the later change), each time by the contexts that cannot take it.
    const letters = await until('the dead letters', async () => {
      const found = [...(await deadLettersOf(invalidEmail)), ...(await deadLettersOf(unknownStatus))];
      return found.length >= 6 ? found : undefined;
    });
    expect(letters.map((l) => `${l.context} ${l.reason_code}`).sort()).toEqual([
      'identity FORWARD.INVALID_EMAIL',
      'identity FORWARD.INVALID_EMAIL',
      'identity FORWARD.UNKNOWN_STATUS_CODE',
      'identity FORWARD.UNKNOWN_STATUS_CODE',
      'preferences FORWARD.UNKNOWN_THEME_CODE',
      'preferences FORWARD.UNKNOWN_THEME_CODE',
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

  test('taken-email-refuses-only-that-row: a batch the table refuses is retried row by row, and only the refused row is dead-lettered', async () => {
    const tag = randomUUID().slice(0, 8);
    // An account signed up on the new side holds the email that legacy is about to give a user too: the
    // identity table's unique constraint refuses it, which no translation rule can see coming.
    const newSideId = 1_000_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
    await userService.query(
      "INSERT INTO identity.accounts (id, email, password_hash, status, created_at, version, updated_at) VALUES ($1, $2, 'x', 'active', now(), 1, now())",
      [newSideId, `taken.${tag}@example.com`],
    );
    // One legacy transaction, so the rows that share a capture partition reach the worker in one batch.
    const client = await legacy.connect();
    const ids: number[] = [];
    try {
      await client.query('BEGIN');
      for (const [email, name] of [[`first.${tag}@example.com`, 'First'], [` TAKEN.${tag}@Example.com`, 'Second'], [`third.${tag}@example.com`, 'Third']] as const) {
        const { rows } = await client.query<{ usr_id: string }>(
          "INSERT INTO public.users (email_addr, pwd_hash, acct_stat_cd, disp_nm) VALUES ($1, 'x', 'A', $2) RETURNING usr_id",
          [email, name],
        );
        ids.push(Number(rows[0]!.usr_id));
      }
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const [first, second, third] = ids as [number, number, number];

    // The three users may sit in different partitions, applied independently: wait for each one's outcome.
    await until('all three rows processed', async () =>
      ((await row('identity.accounts', first)) && (await row('identity.accounts', third)) && (await row('profile.profiles', second)) && (await deadLettersOf(second)).length > 0
        ? true : undefined));
    expect(await row('identity.accounts', first)).toMatchObject({ email: `first.${tag}@example.com` });
    expect(await row('identity.accounts', second)).toBeUndefined();
    // Only identity refused the second user: its persona is there.
    expect(await row('profile.profiles', second)).toMatchObject({ display_name: 'Second' });
    expect((await deadLettersOf(second)).map((l) => [l.context, l.reason_code])).toEqual([['identity', 'FORWARD.REJECTED_BY_SCHEMA']]);
    expect(await deadLettersOf(first)).toEqual([]);
    // The refused row announced nothing; the others announced exactly their one change.
    const accountEvents = (await userService.query('SELECT aggregateid FROM identity.outbox WHERE aggregateid = ANY($1)', [ids.map(String)])).rows.map((r) => Number(r.aggregateid));
    expect(accountEvents.sort()).toEqual([first, third].sort());
  });

  test('the forward position of a user says when legacy committed the newest change the sync has processed', async () => {
    const tag = randomUUID().slice(0, 8);
    const positionOf = async (id: number) => (await (await fetch(`http://127.0.0.1:${workers.port}/sync/forward/users/${id}`)).json()) as { sourceCommittedAt: string | null };
    const before = Date.now();
    const id = await insertLegacyUser({ email_addr: `position.${tag}@example.com`, pwd_hash: 'x', acct_stat_cd: 'A' });
    expect(await positionOf(id)).toMatchObject({ usrId: id });
    const position = await until('the position', async () => ((await positionOf(id)).sourceCommittedAt !== null ? positionOf(id) : undefined));
    expect(Date.parse(position.sourceCommittedAt!)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
    expect((await fetch(`http://127.0.0.1:${workers.port}/sync/forward/users/not-a-number`)).status).toBe(400);
  });

  test('drain-returns-only-when-applied: after a drain, a change committed before it is already in the contexts', async () => {
    const tag = randomUUID().slice(0, 8);
    const drain = (token?: string) =>
      fetch(`http://127.0.0.1:${workers.port}/sync/forward/drain`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ timeoutMs: 30_000 }),
      });
    expect((await drain()).status).toBe(401);
    expect((await drain('wrong-token')).status).toBe(401);

    const ids: number[] = [];
    for (let i = 0; i < 20; i++) ids.push(await insertLegacyUser({ email_addr: `drain.${i}.${tag}@example.com`, pwd_hash: 'x', acct_stat_cd: 'A' }));
    const response = await drain(ADMIN_TOKEN);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ direction: 'forward', drained: true });
    // No polling here: the drain itself is the wait.
    const applied = (await userService.query('SELECT count(*)::int AS n FROM identity.accounts WHERE id = ANY($1)', [ids])).rows[0].n;
    expect(applied).toBe(ids.length);
  });
});
