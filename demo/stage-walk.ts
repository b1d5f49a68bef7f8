/**
 * Takes one context through every stage with the operators' own tools: each promotion is a call to the
 * admin API (the same guards an operator meets, never `force`), the verifier runs before `writes` as
 * `strangler verify <context>`, and a refused promotion is shown with its reasons, then retried after a
 * pause until its deadline.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Terminal } from './terminal';
import type { ContextName } from './write-ledger';

export interface GuardResult {
  guard: string;
  passed: boolean;
  reason: string;
  measured: Record<string, unknown>;
}

export interface ContextView {
  context: string;
  stage: string;
  canaryPercent: number;
  next: { stage: string; allowed: boolean; guards: GuardResult[] } | null;
}

/** The admin API, on one proxy instance or several (demo --chaos): an instance that is down hands the call to the next. */
export class AdminClient {
  private readonly baseUrls: readonly string[];
  private preferred = 0;

  constructor(baseUrls: string | readonly string[], private readonly token: string) {
    this.baseUrls = typeof baseUrls === 'string' ? [baseUrls] : baseUrls;
  }

  /** The instance the next call goes to first: the last one that answered. */
  get current(): string {
    return this.baseUrls[this.preferred]!;
  }

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    let res: Response | undefined;
    for (let tried = 0; !res; tried++) {
      const at = (this.preferred + tried) % this.baseUrls.length;
      try {
        res = await fetch(`${this.baseUrls[at]}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', 'x-strangler-actor': 'demo' },
          body: body === undefined ? undefined : JSON.stringify(body),
          // A promotion into or out of writes holds writes and drains a sync direction: seconds, not milliseconds.
          signal: AbortSignal.timeout(120_000),
        });
        this.preferred = at;
      } catch (error) {
        // The next instance when this one refused the connection (nothing was sent), or for a read. A change
        // whose connection died mid-call may have happened or not: it is not sent again here; the walk reads
        // the stage again before it asks once more (a promotion that did happen must not be repeated).
        const refused = (error as { cause?: { code?: unknown } }).cause?.code === 'ECONNREFUSED';
        const anotherMayTry = (error as { name?: unknown }).name === 'TypeError' && (refused || method === 'GET');
        if (!anotherMayTry || tried + 1 >= this.baseUrls.length) throw error;
      }
    }
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }

  async context(context: ContextName): Promise<ContextView> {
    const { status, body } = await this.call('GET', '/admin/contexts');
    if (status !== 200) throw new Error(`GET /admin/contexts answered ${status}`);
    const found = (body.contexts as ContextView[]).find((c) => c.context === context);
    if (!found) throw new Error(`the admin API does not list ${context}`);
    return found;
  }

  promote(context: ContextName, to: string, percent?: number) {
    return this.call('POST', `/admin/contexts/${context}/promote`, { to, reason: 'npm run demo', ...(percent === undefined ? {} : { percent }) });
  }

  canary(context: ContextName, percent: number) {
    return this.call('PUT', `/admin/contexts/${context}/canary`, { percent, reason: 'npm run demo' });
  }
}

export interface VerifyOutcome {
  exitCode: number;
  /** missing + extra + different per context, from `--json`. */
  drift: Record<string, number>;
  unsyncable: Record<string, number>;
  runId: number | null;
}

interface VerifyJson {
  runId?: number;
  contexts?: { context: string; counts: Record<string, number> }[];
}

/** `strangler verify [<context>] --json` as an operator runs it, with the demo's environment. */
export function runVerify(root: string, env: NodeJS.ProcessEnv, context?: ContextName): Promise<VerifyOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'strangler.js'), 'verify', ...(context ? [context] : []), '--json'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0 && code !== 1) {
        reject(new Error(`strangler verify failed (exit ${code}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
        return;
      }
      const report = JSON.parse(stdout) as VerifyJson;
      const drift: Record<string, number> = {};
      const unsyncable: Record<string, number> = {};
      for (const { context: name, counts } of report.contexts ?? []) {
        drift[name] = (counts.missing ?? 0) + (counts.extra ?? 0) + (counts.different ?? 0);
        unsyncable[name] = counts.unsyncable ?? 0;
      }
      resolve({ exitCode: code, drift, unsyncable, runId: report.runId ?? null });
    });
  });
}

export interface WalkSettings {
  /** How long each stage (and each canary percentage) is left to serve traffic before the next step. */
  dwellMs: number;
  canarySteps: readonly number[];
  /** How long a refused promotion is retried before the demo gives up. */
  promotionDeadlineMs: number;
  /** How long to wait for the shadow sample the guard needs. */
  shadowDeadlineMs: number;
}

export interface StageVisit {
  stage: string;
  enteredAfterMs: number;
}

export interface ContextWalk {
  context: ContextName;
  visits: StageVisit[];
  tookMs: number;
  refusals: number;
  verify: VerifyOutcome | null;
}

export interface WalkDeps {
  admin: AdminClient;
  terminal: Terminal;
  verify: (context: ContextName) => Promise<VerifyOutcome>;
  /** Resolves when the operator (--interactive) agrees to the promotion; at once otherwise. */
  confirm: (what: string) => Promise<void>;
  /** Rejects when the demo has failed meanwhile (a crashed service), so the walk stops waiting. */
  checkAlive: () => void;
  /**
   * Runs each operator step (a promotion with its retries, a canary raise, a verify run; `to` is the stage
   * promoted to, undefined for the others): demo --chaos runs its faults between steps, and its hand-over
   * faults inside the promotion they hit (chaos.ts). Runs the step as it is otherwise.
   */
  step?: <T>(context: ContextName, to: string | undefined, work: () => Promise<T>) => Promise<T>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function failedGuards(body: Record<string, unknown>): GuardResult[] {
  const guards = (body.error as { guards?: GuardResult[] } | undefined)?.guards ?? [];
  return guards.filter((g) => !g.passed);
}

/**
 * Walks the contexts in step: each stage is reached by every context, in the order given, before any goes
 * further. Signing up and erasing are identity's routes but create and delete the user in every context, so
 * a context whose reads or writes are on the other side from identity's writes sees a fresh user only once
 * a sync has carried it over (a 404 in between). In step, the three differ only for the seconds between
 * their promotions; identity goes first so that in that moment reads of the others still come from the
 * side that just created the user.
 */
export async function walkContexts(contexts: readonly ContextName[], settings: WalkSettings, deps: WalkDeps): Promise<ContextWalk[]> {
  const { admin, terminal } = deps;
  const started = Date.now();
  const walks = new Map<ContextName, ContextWalk>(contexts.map((context) => [context, { context, visits: [], tookMs: 0, refusals: 0, verify: null }]));
  const walkOf = (context: ContextName) => walks.get(context)!;
  const entered = (context: ContextName, stage: string) => walkOf(context).visits.push({ stage, enteredAfterMs: Date.now() - started });
  const all = contexts.join(', ');

  const dwell = async (what: string) => {
    const until = Date.now() + settings.dwellMs;
    while (Date.now() < until) {
      deps.checkAlive();
      await sleep(Math.min(500, until - Date.now()));
    }
    terminal.note(`${what}: ${(settings.dwellMs / 1000).toFixed(0)} s under traffic`);
  };

  const step = deps.step ?? (<T>(_context: ContextName, _to: string | undefined, work: () => Promise<T>) => work());
  const verify = (context: ContextName) => step(context, undefined, () => deps.verify(context));

  const promote = async (context: ContextName, to: string, percent?: number) => {
    await deps.confirm(`promote ${context} to ${to}${percent === undefined ? '' : ` at ${percent}%`}`);
    await step(context, to, () => promoteNow(context, to, percent));
  };
  const promoteNow = async (context: ContextName, to: string, percent?: number) => {
    const walk = walkOf(context);
    const deadline = Date.now() + settings.promotionDeadlineMs;
    for (;;) {
      deps.checkAlive();
      // Not `instanceof Error`: fetch's errors may come from another realm (undici under jest's vm).
      const answered = await admin.promote(context, to, percent).catch((error: unknown) => ({ lost: { message: String((error as { message?: unknown }).message ?? error) } }));
      if ('lost' in answered) {
        // No answer (the admin died mid-change, demo --chaos): done if the stage moved, asked again otherwise.
        walk.refusals += 1;
        terminal.note(`${context}: promotion to ${to} got no answer (${answered.lost.message}); reading the stage again`);
        if (Date.now() > deadline) throw new Error(`promoting ${context} to ${to}: no answer after ${settings.promotionDeadlineMs / 1000} s (${answered.lost.message})`);
        await sleep(1_000);
        const view = await admin.context(context);
        if (view.stage === to && (percent === undefined || view.canaryPercent === percent)) {
          entered(context, percent === undefined ? to : `${to} ${percent}%`);
          return;
        }
        continue;
      }
      const { status, body } = answered;
      if (status === 200) {
        const drained = (body as { drained?: unknown }).drained;
        terminal.note(`${context}: promoted to ${to}${percent === undefined ? '' : ` (${percent}%)`}${drained ? ', writes held while the losing sync drained' : ''}`);
        entered(context, percent === undefined ? to : `${to} ${percent}%`);
        return;
      }
      const error = (body.error ?? {}) as { code?: string; message?: string };
      if (!['ADMIN.GUARDS_FAILED', 'ADMIN.CHANGE_IN_PROGRESS', 'ADMIN.DRAIN_FAILED', 'ADMIN.DRAIN_TIMEOUT'].includes(error.code ?? '')) {
        throw new Error(`promoting ${context} to ${to} answered ${status} ${error.code ?? ''}: ${error.message ?? ''}`);
      }
      walk.refusals += 1;
      terminal.note(`${context}: promotion to ${to} refused (${error.code}): ${error.message ?? ''}`);
      const failed = failedGuards(body);
      for (const guard of failed) terminal.note(`    guard ${guard.guard}: ${guard.reason}`);
      if (Date.now() > deadline) throw new Error(`promoting ${context} to ${to} still refused after ${settings.promotionDeadlineMs / 1000} s`);
      await sleep(2_000);
      // A verify run that found drift (a row the sync was still applying) only clears with a new run.
      if (failed.some((g) => g.guard === 'verify-clean')) walk.verify = await verify(context);
    }
  };

  terminal.step(`${all}: legacy → shadow (reads served by legacy, mirrored to the user-service and compared)`);
  for (const context of contexts) await promote(context, 'shadow');

  // The guard into canary needs a minimum number of comparisons since the context entered shadow.
  for (const context of contexts) {
    const sample = terminal.progress(`${context} shadow comparisons`, 1);
    const shadowDeadline = Date.now() + settings.shadowDeadlineMs;
    for (;;) {
      deps.checkAlive();
      // A read that fails (the control plane restarting under demo --chaos) is asked again at the next tick.
      const view = await admin.context(context).catch(() => undefined);
      const measured = view?.next?.guards.find((g) => g.guard === 'shadow-mismatch-rate')?.measured ?? {};
      const have = Number(measured.sample ?? 0);
      const need = Number(measured.minSample ?? 1);
      sample.update(Math.min(have, need), need);
      if (have >= need) break;
      if (Date.now() > shadowDeadline) {
        sample.stop();
        throw new Error(`${context}: only ${have} of ${need} shadow comparisons after ${settings.shadowDeadlineMs / 1000} s`);
      }
      await sleep(1_000);
    }
    sample.stop();
  }

  const [first, ...raises] = settings.canarySteps;
  terminal.step(`${all}: shadow → canary at ${first}% (the user-service answers a sticky share of users)`);
  for (const context of contexts) await promote(context, 'canary', first);
  await dwell(`canary ${first}%`);
  for (const percent of raises) {
    for (const context of contexts) {
      await deps.confirm(`raise ${context}'s canary to ${percent}%`);
      const { status, body } = await step(context, undefined, () => admin.canary(context, percent));
      if (status !== 200) throw new Error(`setting ${context}'s canary to ${percent}% answered ${status}: ${JSON.stringify(body)}`);
      entered(context, `canary ${percent}%`);
    }
    terminal.note(`canary raised to ${percent}%`);
    await dwell(`canary ${percent}%`);
  }

  terminal.step(`${all}: canary → reads (every read from the user-service; writes still to legacy)`);
  for (const context of contexts) await promote(context, 'reads');
  await dwell('reads');

  terminal.step(`strangler verify, then ${all}: reads → writes (each: writes held, forward sync drained, ownership flips)`);
  for (const context of contexts) {
    const outcome = await verify(context);
    walkOf(context).verify = outcome;
    terminal.note(`verify ${context}: exit ${outcome.exitCode}, drifting rows ${outcome.drift[context] ?? 0}, unsyncable (legacy dirt, reported only) ${outcome.unsyncable[context] ?? 0}`);
  }
  for (const context of contexts) await promote(context, 'writes');
  await dwell('writes');

  terminal.step(`${all}: writes → retired (legacy's routes closed; the reverse sync keeps legacy's readers current)`);
  for (const context of contexts) await promote(context, 'retired');
  await dwell('retired');

  for (const walk of walks.values()) walk.tookMs = (walk.visits.at(-1)?.enteredAfterMs ?? 0) - (walk.visits[0]?.enteredAfterMs ?? 0);
  return [...walks.values()];
}
