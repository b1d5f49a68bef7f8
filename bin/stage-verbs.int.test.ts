// The stage verbs end to end: the CLI's grammar and HTTP client against a live admin app on an ephemeral
// port over a real control plane (the cdc workers down, so guards that need them fail).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { closedPortUrl, startAdminHarness, TEST_TOKEN, type AdminHarness } from '../proxy/admin/test/admin-harness';
import { dataVerbs } from './data-verbs';
import { buildProgram, EXIT } from './program';
import { stageVerbs } from './stage-verbs';

let admin: AdminHarness;

beforeAll(async () => {
  admin = await startAdminHarness();
});

afterAll(async () => {
  await admin?.stop();
});

beforeEach(() => admin.resetControlPlane());

/** Runs one command line as `strangler` would, with its output and exit code. */
async function strangler(args: string[], env: NodeJS.ProcessEnv = { STRANGLER_ADMIN_URL: admin.baseUrl, STRANGLER_ADMIN_TOKEN: TEST_TOKEN, USER: 'olga' }) {
  const output = { out: '', err: '' };
  const write = { writeOut: (t: string) => void (output.out += t), writeErr: (t: string) => void (output.err += t) };
  let exitCode: number = EXIT.ok;
  const verbs = { ...dataVerbs({ env, stdout: write.writeOut }), ...stageVerbs({ env, stdout: write.writeOut, stderr: write.writeErr }) };
  await buildProgram(verbs, write, (code) => { exitCode = code; }).parseAsync(args, { from: 'user' });
  return { ...output, exitCode };
}

const stageOf = async (context: string) => (await admin.control.query('SELECT stage, canary_percent FROM control.context_stages WHERE context = $1', [context])).rows[0];

test('status shows every context, its stage and what blocks its next promotion', async () => {
  await admin.control.query("UPDATE control.context_stages SET stage = 'canary', canary_percent = 15 WHERE context = 'profile'");
  const human = await strangler(['status']);
  expect(human.exitCode).toBe(EXIT.ok);
  expect(human.out).toMatch(/^context\s+stage\s+canary\s+writes\s+sync\s+next/);
  expect(human.out).toMatch(/identity\s+legacy\s+-\s+legacy\s+forward \?\s+shadow ready/);
  expect(human.out).toMatch(/profile\s+canary\s+15%\s+legacy\s+forward \?\s+reads blocked/);
  expect(human.out).toMatch(/profile → reads: ✗ forward-sync-healthy: cdc workers unreachable/);
  const json = await strangler(['status', '--json']);
  expect(JSON.parse(json.out).contexts.map((c: any) => c.context)).toEqual(['identity', 'profile', 'preferences']);
});

test('promote moves one stage, audited under $USER; refused guards exit 1 and name each failure', async () => {
  const promoted = await strangler(['promote', 'identity', '--reason', 'start comparing']);
  expect(promoted).toMatchObject({ exitCode: EXIT.ok, err: '' });
  expect(promoted.out).toMatch(/identity: legacy → shadow\n {2}audit #\d+ by olga: start comparing/);
  expect(await stageOf('identity')).toMatchObject({ stage: 'shadow' });

  const refused = await strangler(['promote', 'identity', '--to', 'canary']);
  expect(refused.exitCode).toBe(EXIT.refused);
  expect(refused.err).toMatch(/refused, guards failed:\n {2}✗ shadow-mismatch-rate: only 0 shadow comparisons/);
  expect(refused.err).toMatch(/✗ forward-sync-backlog: cdc workers unreachable/);
  expect(await stageOf('identity')).toMatchObject({ stage: 'shadow' });

  const json = await strangler(['promote', 'identity', '--json']);
  expect(json.exitCode).toBe(EXIT.refused);
  expect(JSON.parse(json.out).error.code).toBe('ADMIN.GUARDS_FAILED');
});

test('--dry-run shows the change and the guards, changes nothing, and exits 1 when it would be refused', async () => {
  const allowed = await strangler(['promote', 'preferences', '--dry-run']);
  expect(allowed.exitCode).toBe(EXIT.ok);
  expect(allowed.out).toMatch(/dry run: preferences legacy → shadow would proceed/);
  await admin.control.query("UPDATE control.context_stages SET stage = 'reads' WHERE context = 'preferences'");
  const refused = await strangler(['promote', 'preferences', '--dry-run']);
  expect(refused.exitCode).toBe(EXIT.refused);
  expect(refused.out).toMatch(/dry run: preferences reads → writes would be refused\n {2}writes would be held and the forward sync drained before the flip\n {2}✗ reverse-sync-running/);
  expect(refused.out).toMatch(/✗ verify-clean: no verifier run covers this context/);
  expect(await stageOf('preferences')).toMatchObject({ stage: 'reads' });
  expect((await admin.control.query('SELECT * FROM control.audit_log')).rows).toEqual([]);
});

test('--force with a reason proceeds and says so; the canary verb and rollback follow', async () => {
  await admin.control.query("UPDATE control.context_stages SET stage = 'shadow' WHERE context = 'profile'");
  const forced = await strangler(['promote', 'profile', '--force', '--reason', 'cdc healthz firewalled', '--percent', '5']);
  expect(forced.exitCode).toBe(EXIT.ok);
  expect(forced.out).toMatch(/profile: shadow → canary 5% \(FORCED past failed guards\)/);

  const canary = await strangler(['canary', 'profile', '30']);
  expect(canary).toMatchObject({ exitCode: EXIT.ok });
  expect(canary.out).toMatch(/profile: canary 5% → canary 30%/);
  expect(await stageOf('profile')).toEqual({ stage: 'canary', canary_percent: 30 });

  const outside = await strangler(['canary', 'identity', '30']);
  expect(outside.exitCode).toBe(EXIT.failed);
  expect(outside.err).toMatch(/ADMIN.NOT_IN_CANARY/);

  const back = await strangler(['rollback', 'profile', '--to', 'legacy', '--reason', 'theme mismatches']);
  expect(back.exitCode).toBe(EXIT.ok);
  expect(back.out).toMatch(/profile: canary 30% → legacy/);
  const audit = (await admin.control.query('SELECT actor, action, forced FROM control.audit_log ORDER BY id')).rows;
  expect(audit).toEqual([
    { actor: 'olga', action: 'promote', forced: true },
    { actor: 'olga', action: 'canary', forced: false },
    { actor: 'olga', action: 'rollback', forced: false },
  ]);
});

test('a wrong or missing token, or an admin API that is down, exits 2 with the reason', async () => {
  const wrong = await strangler(['promote', 'identity'], { STRANGLER_ADMIN_URL: admin.baseUrl, STRANGLER_ADMIN_TOKEN: 'nope' });
  expect(wrong.exitCode).toBe(EXIT.failed);
  expect(wrong.err).toMatch(/ADMIN.UNAUTHORIZED: missing or wrong bearer token\n$/);
  const missing = await strangler(['status'], { STRANGLER_ADMIN_URL: admin.baseUrl });
  expect(missing.err).toMatch(/STRANGLER_ADMIN_TOKEN is not set/);
  const down = await strangler(['status', '--json'], { STRANGLER_ADMIN_URL: await closedPortUrl(), STRANGLER_ADMIN_TOKEN: TEST_TOKEN });
  expect(down.exitCode).toBe(EXIT.failed);
  expect(JSON.parse(down.out).error.code).toBe('CLI.ADMIN_UNREACHABLE');
  expect(down.err).toMatch(/cannot reach the admin API at http:\/\/127\.0\.0\.1:\d+/);
  expect(await stageOf('identity')).toMatchObject({ stage: 'legacy' });
});

test('npx strangler: the real executable runs the verbs and ends with their exit codes', async () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(__dirname, 'strangler.js'), ...args], { env: { ...process.env, STRANGLER_ADMIN_URL: admin.baseUrl, STRANGLER_ADMIN_TOKEN: TEST_TOKEN, USER: 'shell' } }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      );
    });
  const dry = await run(['promote', 'profile', '--dry-run', '--json']);
  expect(dry).toMatchObject({ code: 0 });
  expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, to: { stage: 'shadow' }, allowed: true });
  await admin.control.query("UPDATE control.context_stages SET stage = 'shadow' WHERE context = 'profile'");
  expect(await run(['promote', 'profile'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/guards failed/) });
  expect(await run(['rollback', '--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/Usage: strangler rollback \[options\] <context>/) });
  expect(await run(['promote', 'profile', '--force'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--force needs a --reason/) });
});
