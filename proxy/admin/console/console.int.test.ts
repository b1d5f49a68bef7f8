// The operator console driven in a real browser (Debian's Chromium through playwright-core) against the admin
// app over a throwaway control database, the cdc workers down (a closed port): the page asks for the token,
// a wrong one changes nothing, and its buttons go through the admin API and its guards.
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Pool } from 'pg';
import pino from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { startCdcWorkers, type CdcWorkers } from '../../../cdc/cdc-workers';
import { KafkajsEventLog, kafkaSettingsFromEnv } from '../../../cdc/kafka/kafkajs-event-log';
import { bothDirectionsOn, startSyncSandbox, type SyncSandbox } from '../../../cdc/test/sync-sandbox';
import { until } from '../../../cdc/test/until';
import { endPool } from '../../../migrations/test/throwaway-database';
import { startAdminHarness, TEST_TOKEN, type AdminHarness } from '../test/admin-harness';
import { CONSOLE_CONTENT_SECURITY_POLICY } from './console-assets';

const CHROMIUM = process.env.STRANGLER_CHROMIUM ?? '/usr/bin/chromium';
/** Where to keep the README's picture of the console (docs/console.png); unset: taken into a temporary file and dropped. */
const SCREENSHOT = process.env.STRANGLER_CONSOLE_SCREENSHOT;
const UI_TIMEOUT_MS = 15_000;

let admin: AdminHarness;
let browser: Browser;
let session: BrowserContext;
let page: Page;
/** Script errors and CSP violations the page reported; a console that breaks its own policy fails here. */
let pageProblems: string[];
let dialogs: string[];
/** Whether the operator answers "OK" to the console's confirmations. */
let confirming: boolean;

beforeAll(async () => {
  admin = await startAdminHarness();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
});

afterAll(async () => {
  await browser?.close();
  await admin?.stop();
});

beforeEach(async () => {
  await admin.control.query('TRUNCATE control.audit_log, control.shadow_comparisons, control.shadow_mismatches, control.verify_runs CASCADE');
  await admin.control.query("UPDATE control.context_stages SET stage = 'legacy', canary_percent = 0, version = 1, changed_at = now(), writes_held_since = NULL, writes_held_reason = NULL");
  session = await browser.newContext();
  session.setDefaultTimeout(UI_TIMEOUT_MS);
  page = await session.newPage();
  pageProblems = [];
  dialogs = [];
  confirming = true;
  page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
  // Answers of 401/409 are logged by Chromium as failed resource loads: expected; anything else is not.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageProblems.push(`console error: ${message.text()}`);
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void (confirming ? dialog.accept() : dialog.dismiss());
  });
});

afterEach(async () => {
  await session?.close();
  expect(pageProblems).toEqual([]);
});

const place = (context: string, stage: string, canaryPercent = 0) =>
  admin.control.query('UPDATE control.context_stages SET stage = $2, canary_percent = $3, version = version + 1, changed_at = now() WHERE context = $1', [context, stage, canaryPercent]);
const stagesInDatabase = async () =>
  Object.fromEntries((await admin.control.query<{ context: string; stage: string }>('SELECT context, stage FROM control.context_stages')).rows.map((row) => [row.context, row.stage]));
const auditRows = async () => (await admin.control.query('SELECT * FROM control.audit_log ORDER BY id')).rows;

const card = (context: string) => page.locator(`[data-context="${context}"]`);
const cardField = (context: string, name: string) => card(context).locator(`[data-field="${name}"]`);
const stageShown = (context: string, stage: string) => cardField(context, 'stage').filter({ hasText: new RegExp(`^${stage}$`) }).waitFor();

async function openConsole(token: string, actor = '', baseUrl = admin.baseUrl) {
  await page.goto(`${baseUrl}/console`);
  await page.locator('#token-form').waitFor();
  await page.fill('#token-input', token);
  if (actor !== '') await page.fill('#actor-input', actor);
  await page.click('#token-submit');
}

async function openConsoleAuthorised(actor = '', baseUrl = admin.baseUrl) {
  await openConsole(TEST_TOKEN, actor, baseUrl);
  await page.locator('#dashboard').waitFor();
  for (const context of ['identity', 'profile', 'preferences']) await cardField(context, 'stage').filter({ hasText: /\S/ }).waitFor();
}

describe('the page', () => {
  test('served-without-token-with-a-strict-policy-and-no-framing', async () => {
    for (const path of ['/', '/console', '/console/console.js', '/console/console-view.js', '/console/console.css']) {
      const response = await fetch(`${admin.baseUrl}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers.get('content-security-policy')).toBe(CONSOLE_CONTENT_SECURITY_POLICY);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('set-cookie')).toBeNull();
    }
    expect(CONSOLE_CONTENT_SECURITY_POLICY).toMatch(/script-src 'self'(;|$)/);
    expect(CONSOLE_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect((await fetch(`${admin.baseUrl}/console/console.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  test('page-holds-no-inline-script-and-no-token', async () => {
    const html = await (await fetch(`${admin.baseUrl}/console`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toContain(TEST_TOKEN);
  });

  test('only-the-console-files-are-reachable', async () => {
    for (const path of ['/console/console-assets.ts', '/console/console-view.d.ts', '/console/console.int.test.ts', '/console/..%2fadmin-app.ts', '/console/%2e%2e/admin-app.ts']) {
      const response = await fetch(`${admin.baseUrl}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(await response.text()).not.toContain('import ');
    }
  });
});

describe('the token', () => {
  test('asked-for-before-anything-is-shown', async () => {
    await page.goto(`${admin.baseUrl}/`);
    await page.locator('#token-input').waitFor();
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
  });

  test('wrong-token-is-told-unauthorized-and-changes-nothing', async () => {
    await openConsole('not-the-token');
    await page.locator('#auth-message').filter({ hasText: 'Unauthorized' }).waitFor();
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    expect(await page.locator('#token-form').isVisible()).toBe(true);
    expect(await stagesInDatabase()).toEqual({ identity: 'legacy', profile: 'legacy', preferences: 'legacy' });
    expect(await auditRows()).toEqual([]);
  });

  test('token-never-in-url-cookie-storage-or-dom', async () => {
    await openConsoleAuthorised();
    expect(page.url()).not.toContain(TEST_TOKEN);
    expect(await session.cookies()).toEqual([]);
    // A string: the test's own types have no DOM.
    const stored: string = await page.evaluate('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })');
    expect(stored).not.toContain(TEST_TOKEN);
    expect(await page.content()).not.toContain(TEST_TOKEN);
    expect(await page.inputValue('#token-input')).toBe('');
  });

  test('forgetting-the-token-hides-the-dashboard', async () => {
    await openConsoleAuthorised();
    await page.click('#sign-out');
    await page.locator('#token-form').waitFor();
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    expect(await page.locator('[data-context]').count()).toBe(0);
    // The same page, the token entered again: everything comes back.
    await page.fill('#token-input', TEST_TOKEN);
    await page.click('#token-submit');
    await cardField('preferences', 'stage').filter({ hasText: 'legacy' }).waitFor();
    expect(await page.locator('[data-context]').count()).toBe(3);
  });
});

describe('changes from the console go through the admin API', () => {
  test('promote-legacy-to-shadow-changes-the-stage-on-the-page-and-in-the-database-and-is-audited', async () => {
    await openConsoleAuthorised('ada');
    for (const context of ['identity', 'profile', 'preferences']) await stageShown(context, 'legacy');
    await cardField('profile', 'next-summary').filter({ hasText: 'promotion to shadow: no guards for this step' }).waitFor();

    await cardField('profile', 'reason').fill('start comparing');
    await card('profile').locator('[data-action="promote"]').click();

    await stageShown('profile', 'shadow');
    expect(dialogs).toEqual(['Promote profile from legacy to shadow?']);
    expect(await stagesInDatabase()).toEqual({ identity: 'legacy', profile: 'shadow', preferences: 'legacy' });
    const audit = await auditRows();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ context: 'profile', action: 'promote', from_stage: 'legacy', to_stage: 'shadow', actor: 'ada', reason: 'start comparing', forced: false });
    await cardField('profile', 'outcome-title').filter({ hasText: 'profile: promote legacy → shadow' }).waitFor();
    await page.locator('#audit tbody tr').filter({ hasText: 'promote legacy → shadow' }).filter({ hasText: 'ada' }).waitFor();
  });

  test('declined-confirmation-changes-nothing', async () => {
    confirming = false;
    await openConsoleAuthorised();
    await card('identity').locator('[data-action="promote"]').click();
    await until('the confirmation', () => (dialogs.length > 0 ? true : undefined), { timeoutMs: UI_TIMEOUT_MS });
    expect(await stagesInDatabase()).toEqual({ identity: 'legacy', profile: 'legacy', preferences: 'legacy' });
    expect(await auditRows()).toEqual([]);
  });

  test('refused-promotion-shows-each-failed-guard-reason-and-keeps-the-stage', async () => {
    await place('identity', 'shadow');
    await openConsoleAuthorised();
    await cardField('identity', 'next-summary').filter({ hasText: 'promotion to canary: 4 of 4 guards fail' }).waitFor();
    await card('identity').locator('[data-action="promote"]').click();

    const outcome = cardField('identity', 'outcome');
    await outcome.filter({ hasText: 'Refused: guards failed' }).waitFor();
    const lines = await cardField('identity', 'outcome-lines').locator('li').allTextContents();
    expect(lines.map((line) => line.split(':')[0])).toEqual(['✗ shadow-mismatch-rate', '✗ forward-sync-healthy', '✗ forward-sync-lag', '✗ forward-sync-backlog']);
    expect(lines[0]).toContain('only 0 shadow comparisons');
    expect(lines[1]).toContain('cdc workers unreachable');
    expect(await stagesInDatabase()).toMatchObject({ identity: 'shadow' });
    expect(await auditRows()).toEqual([]);
  });

  test('dry-run-lists-the-guards-and-changes-nothing', async () => {
    await place('identity', 'shadow');
    await openConsoleAuthorised();
    await card('identity').locator('[data-action="dry-run"]').click();
    await cardField('identity', 'outcome-title').filter({ hasText: 'Dry run: identity shadow → canary at 0% would be refused; nothing was changed' }).waitFor();
    expect(dialogs).toEqual([]);
    expect(await cardField('identity', 'outcome-lines').locator('li').count()).toBe(4);
    expect(await stagesInDatabase()).toMatchObject({ identity: 'shadow' });
    expect(await auditRows()).toEqual([]);
  });

  test('rollback-goes-to-the-chosen-stage-and-the-canary-percentage-is-set-in-canary', async () => {
    await place('preferences', 'reads', 10);
    await openConsoleAuthorised();
    await stageShown('preferences', 'reads');
    expect(await cardField('preferences', 'canary-control').isHidden()).toBe(true);
    expect(await cardField('preferences', 'rollback-to').locator('option').allTextContents()).toEqual(['canary', 'shadow', 'legacy']);

    await cardField('preferences', 'rollback-to').selectOption('canary');
    await card('preferences').locator('[data-action="rollback"]').click();
    await stageShown('preferences', 'canary');
    await cardField('preferences', 'canary-control').waitFor();

    await cardField('preferences', 'percent').fill('30');
    await card('preferences').locator('[data-action="canary"]').click();
    await cardField('preferences', 'canary').filter({ hasText: '30% of users' }).waitFor();
    const { rows } = await admin.control.query("SELECT stage, canary_percent FROM control.context_stages WHERE context = 'preferences'");
    expect(rows[0]).toEqual({ stage: 'canary', canary_percent: 30 });
    expect((await auditRows()).map((row) => `${row.action} ${row.from_stage}→${row.to_stage} ${row.from_canary_percent}→${row.to_canary_percent}`)).toEqual(['rollback reads→canary 10→0', 'canary canary→canary 0→30']);
    expect(dialogs).toEqual(['Roll preferences back from reads to canary?', "Serve preferences's reads from the new service for 30% of users?"]);
  });

  test('promotion-into-canary-sends-the-starting-percentage-typed', async () => {
    await place('identity', 'shadow');
    await openConsoleAuthorised();
    await cardField('identity', 'percent-label').filter({ hasText: 'Start canary at %' }).waitFor();
    expect(await card('identity').locator('[data-action="canary"]').isHidden()).toBe(true);
    await cardField('identity', 'percent').fill('7');
    await card('identity').locator('[data-action="dry-run"]').click();
    await cardField('identity', 'outcome-title').filter({ hasText: 'Dry run: identity shadow → canary at 7% would be refused' }).waitFor();
  });

  test('legacy-offers-no-rollback', async () => {
    await openConsoleAuthorised();
    await stageShown('identity', 'legacy');
    expect(await cardField('identity', 'rollback-control').isHidden()).toBe(true);
    expect(await cardField('identity', 'canary-control').isHidden()).toBe(true);
  });

  test('a-percentage-out-of-range-is-refused-in-the-page', async () => {
    await place('identity', 'canary', 5);
    await openConsoleAuthorised();
    await cardField('identity', 'canary-control').waitFor();
    await cardField('identity', 'percent').fill('150');
    await card('identity').locator('[data-action="canary"]').click();
    await cardField('identity', 'outcome-title').filter({ hasText: 'whole number from 0 to 100' }).waitFor();
    expect(await auditRows()).toEqual([]);
  });
});

describe('what the page shows', () => {
  test('mismatch-and-audit-text-is-rendered-as-text-never-as-markup', async () => {
    const markup = '<img src=x id=injected-image>';
    await admin.control.query('INSERT INTO control.shadow_mismatches (context, route, result, usr_id, differences) VALUES ($1, $2, $3, $4, $5)', [
      'profile',
      `GET /api/users/:id/profile ${markup}`,
      'mismatch',
      42,
      JSON.stringify([{ path: '$body.bio', legacy: '<script id=injected-script>1</script>', new: null }]),
    ]);
    await admin.request('POST', '/admin/contexts/identity/promote', { json: { reason: markup }, headers: { 'x-strangler-actor': '<b id=injected-bold>ops</b>' } });
    await openConsoleAuthorised();
    await page.locator('#mismatches tbody tr').filter({ hasText: markup }).waitFor();
    await page.locator('#audit tbody tr').filter({ hasText: markup }).waitFor();
    expect(await page.locator('#injected-image, #injected-script, #injected-bold').count()).toBe(0);
    expect(await page.locator('#mismatches tbody').textContent()).toContain('$body.bio: legacy "<script id=injected-script>1</script>", new null');
    expect(await page.locator('#audit tbody').textContent()).toContain('<b id=injected-bold>ops</b>');
  });

  test('cdc-down-is-said-on-the-page', async () => {
    await openConsoleAuthorised();
    await page.locator('#cdc-summary').filter({ hasText: 'cdc workers unreachable' }).waitFor();
    await cardField('identity', 'sync').filter({ hasText: 'cdc workers unreachable' }).waitFor();
  });

  test('a-change-made-elsewhere-appears-without-reloading', async () => {
    await openConsoleAuthorised();
    await stageShown('preferences', 'legacy');
    const changed = await admin.request('POST', '/admin/contexts/preferences/promote', { json: {} });
    expect(changed.status).toBe(200);
    await stageShown('preferences', 'shadow');
  });

  test('writes-held-are-flagged', async () => {
    await admin.control.query("UPDATE control.context_stages SET writes_held_since = now(), writes_held_reason = 'draining the forward sync' WHERE context = 'identity'");
    await openConsoleAuthorised();
    await cardField('identity', 'writes').filter({ hasText: 'HELD since' }).filter({ hasText: 'draining the forward sync' }).waitFor();
  });
});

// The README's picture: the console over real cdc workers on a sync sandbox, after a short walk made through
// the console itself (the shadow comparisons and mismatch samples are planted, as a proxy would write them).
describe('the console as the README shows it, over real cdc workers (STRANGLER_CONSOLE_SCREENSHOT keeps the picture)', () => {
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
  const eventLog = new KafkajsEventLog(kafkaSettingsFromEnv('console-screenshot'), logger);
  let sandbox: SyncSandbox;
  let workers: CdcWorkers;
  let shot: AdminHarness;
  let legacy: Pool;

  beforeAll(async () => {
    sandbox = await startSyncSandbox({ STRANGLER_ADMIN_TOKEN: TEST_TOKEN }, { captureOutboxes: true });
    workers = await startCdcWorkers({ config: sandbox.config, eventLog, logger, registry: new Registry(), ...bothDirectionsOn(sandbox) });
    shot = await startAdminHarness({ controlUrl: sandbox.admin.control, cdcUrl: `http://127.0.0.1:${workers.port}` });
    legacy = new Pool({ connectionString: sandbox.admin.legacy, max: 2 });
  });

  afterAll(async () => {
    await shot?.stop();
    await workers?.stop();
    await eventLog.close();
    if (legacy) await endPool(legacy);
    await sandbox?.stop();
  });

  const countComparisons = (context: string, result: string, count: number) =>
    shot.control.query(
      `INSERT INTO control.shadow_comparisons (context, result, minute, count) VALUES ($1, $2, date_trunc('minute', now()), $3)
       ON CONFLICT (context, result, minute) DO UPDATE SET count = shadow_comparisons.count + EXCLUDED.count`,
      [context, result, count],
    );
  const sampleMismatch = (context: string, route: string, usrId: number, differences: unknown[]) =>
    shot.control.query('INSERT INTO control.shadow_mismatches (context, route, result, usr_id, differences) VALUES ($1, $2, $3, $4, $5)', [context, route, 'mismatch', usrId, JSON.stringify(differences)]);
  const shotCard = (context: string) => page.locator(`[data-context="${context}"]`);

  test('console-with-a-context-in-canary-one-in-shadow-and-their-audit', async () => {
    for (let i = 0; i < 5; i++) {
      await legacy.query("INSERT INTO public.users (email_addr, pwd_hash, acct_stat_cd, disp_nm, pref_lang) VALUES ($1, 'x', 'A', $2, 'en_US')", [`reader${i}@example.com`, `Reader ${i}`]);
    }
    const cdcUrl = `http://127.0.0.1:${workers.port}`;
    await until(
      'the forward sync to apply the new rows and measure its lag and backlog',
      async () => {
        const report = (await (await fetch(`${cdcUrl}/healthz`)).json()) as { workers: { name: string; healthy: boolean; backlog: number | null; lastProgressAt: string | null }[] };
        const forward = report.workers.find((worker) => worker.name === 'forward');
        return forward?.healthy && forward.backlog === 0 && forward.lastProgressAt !== null ? forward : undefined;
      },
      { timeoutMs: 90_000, everyMs: 500 },
    );

    await page.setViewportSize({ width: 1360, height: 900 });
    await openConsoleAuthorised('ada', shot.baseUrl);
    const promote = async (context: string, reason: string, to: string) => {
      await shotCard(context).locator('[data-field="reason"]').fill(reason);
      await shotCard(context).locator('[data-action="promote"]').click();
      await shotCard(context).locator('[data-field="stage"]').filter({ hasText: new RegExp(`^${to}$`) }).waitFor();
    };
    await promote('identity', 'mirror account reads and compare', 'shadow');
    await promote('profile', 'mirror profile reads and compare', 'shadow');
    await countComparisons('identity', 'match', 1_240);
    await countComparisons('identity', 'mismatch', 3);
    await countComparisons('identity', 'lag', 12);
    await countComparisons('profile', 'match', 38);
    await countComparisons('profile', 'mismatch', 2);
    await sampleMismatch('identity', 'account.read', 1_004, [{ path: 'email', legacy: { type: 'string', length: 24 }, new: { type: 'string', length: 22 } }]);
    await sampleMismatch('profile', 'profile.read', 2_051, [{ path: 'bio', legacy: { type: 'string', length: 140 }, new: { type: 'string', length: 139 } }]);
    await sampleMismatch('profile', 'profile.read', 877, [{ path: '$status', legacy: { type: 'number', value: 200 }, new: { type: 'number', value: 404 } }]);

    await shotCard('identity').locator('[data-field="percent"]').fill('5');
    await promote('identity', '3 mismatches in 1,243 comparisons, all trailing-space emails', 'canary');
    await shotCard('identity').locator('[data-field="canary"]').filter({ hasText: '5% of users' }).waitFor();
    await shotCard('identity').locator('[data-field="percent"]').fill('10');
    await shotCard('identity').locator('[data-field="reason"]').fill('5% clean for an hour');
    await shotCard('identity').locator('[data-action="canary"]').click();
    await shotCard('identity').locator('[data-field="canary"]').filter({ hasText: '10% of users' }).waitFor();
    await shotCard('profile').locator('[data-action="dry-run"]').click();
    await shotCard('profile').locator('[data-field="outcome-title"]').filter({ hasText: 'Dry run' }).waitFor();
    await page.locator('#audit tbody tr').nth(3).waitFor();
    await page.locator('#mismatches tbody tr').nth(2).waitFor();

    const picture = SCREENSHOT ?? join(tmpdir(), `strangler-console-${process.pid}.png`);
    await mkdir(dirname(picture), { recursive: true });
    await page.screenshot({ path: picture, fullPage: true });
    expect((await stat(picture)).size).toBeGreaterThan(10_000);
    if (!SCREENSHOT) await rm(picture);
  });
});
