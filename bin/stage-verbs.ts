// `strangler status | promote | rollback | canary`: the proxy's admin API over HTTP (STRANGLER_ADMIN_URL,
// STRANGLER_ADMIN_TOKEN), and how its answers are printed for a person or, with --json, for a script.
import { EXIT, type CanaryRequest, type PromoteRequest, type RollbackRequest, type StageVerbs, type StatusRequest } from './program';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8081';

interface Io {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

type Answer = { readonly status: number; readonly body: any } | { readonly unreachable: string };

interface Guard {
  guard: string;
  passed: boolean;
  reason: string;
}

const mark = (guard: Guard) => `${guard.passed ? '✓' : '✗'} ${guard.guard}: ${guard.reason}`;
const position = (p: { stage: string; canaryPercent: number }) => (p.stage === 'canary' ? `canary ${p.canaryPercent}%` : p.stage);

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

export function renderStatus(body: any): string {
  const rows = [['context', 'stage', 'canary', 'writes', 'sync', 'next']];
  const notes: string[] = [];
  for (const c of body.contexts) {
    const held = c.writesHeld ? `HELD (${c.writesOwner})` : c.writesOwner;
    const sync = c.sync.reachable === false ? `${c.sync.direction} ?` : `${c.sync.direction} ${c.sync.healthy ? 'ok' : 'UNHEALTHY'}${c.sync.backlog === null || c.sync.backlog === undefined ? '' : `, backlog ${c.sync.backlog}`}`;
    const next = c.next === null ? '-' : `${c.next.stage} ${c.next.allowed ? 'ready' : 'blocked'}`;
    rows.push([c.context, c.stage, c.stage === 'canary' ? `${c.canaryPercent}%` : '-', held, sync, next]);
    if (c.writesHeld) notes.push(`${c.context}: writes held since ${c.writesHeld.since}: ${c.writesHeld.reason}`);
    for (const guard of c.next?.guards ?? []) if (!guard.passed) notes.push(`${c.context} → ${c.next.stage}: ${mark(guard)}`);
  }
  const cdc = body.cdc?.reachable === false ? [`cdc workers unreachable: ${body.cdc.reason}`] : [];
  // The proxy instances and their leases: a hand-over waits for every live one to confirm its hold.
  const instances = (body.instances ?? []) as { instanceId: string; host: string; pid: number; state: string; renewedAt: string; leaseExpiresAt: string; confirmedVersions: Record<string, number> }[];
  const fleet = instances.length === 0 ? ['no proxy instance registered'] : table([
    ['instance', 'host', 'pid', 'lease', 'renewed', 'expires', 'confirmed'],
    ...instances.map((i) => [i.instanceId, i.host, String(i.pid), i.state, i.renewedAt, i.leaseExpiresAt, Object.entries(i.confirmedVersions).map(([c, v]) => `${c}@${v}`).join(' ') || '-']),
  ]);
  return `${[...table(rows), ...cdc, ...notes, '', ...fleet].join('\n')}\n`;
}

export function renderChange(body: any): string {
  const out: string[] = [];
  if (body.dryRun) {
    out.push(`dry run: ${body.context} ${position(body.from)} → ${position(body.to)} ${body.allowed ? (body.forced ? 'would proceed, forced past failed guards' : 'would proceed') : 'would be refused'}`);
    if (body.drains) out.push(`  writes would be held and the ${body.drains} sync drained before the flip`);
  } else if (body.audit === null) {
    out.push(`${body.context}: already ${position(body.to)}; nothing changed`);
  } else {
    out.push(`${body.context}: ${position(body.from)} → ${position(body.to)}${body.forced ? ' (FORCED past failed guards)' : ''}`);
    if (body.drained) out.push(`  ${body.drained.direction} sync drained in ${body.drained.tookMs} ms before the writes changed hands`);
    out.push(`  audit #${body.audit.id} by ${body.audit.actor}${body.audit.reason ? `: ${body.audit.reason}` : ''}`);
  }
  for (const guard of body.guards ?? []) out.push(`  ${mark(guard)}`);
  return `${out.join('\n')}\n`;
}

export function stageVerbs({ env, stdout, stderr, fetch: fetchImpl = fetch }: Io): StageVerbs {
  const baseUrl = (env.STRANGLER_ADMIN_URL || DEFAULT_ADMIN_URL).replace(/\/+$/, '');
  const token = env.STRANGLER_ADMIN_TOKEN;
  const actor = env.USER || env.LOGNAME;

  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
    let response: Response;
    try {
      response = await fetchImpl(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(actor ? { 'x-strangler-actor': actor } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      return { unreachable: `cannot reach the admin API at ${baseUrl}: ${(error as Error).message}${cause ? ` (${cause})` : ''}` };
    }
    const text = await response.text();
    try {
      return { status: response.status, body: text === '' ? {} : JSON.parse(text) };
    } catch {
      return { unreachable: `the admin API at ${baseUrl} answered ${response.status} with something other than JSON` };
    }
  }

  /** Prints an answer and says how the process ends: 0 done, 1 refused by guards, 2 anything else. */
  function finish(answer: Answer, json: boolean, render: (body: any) => string): number {
    if ('unreachable' in answer) {
      if (json) stdout(`${JSON.stringify({ error: { code: 'CLI.ADMIN_UNREACHABLE', message: answer.unreachable } }, null, 2)}\n`);
      stderr(`strangler: ${answer.unreachable}\n`);
      return EXIT.failed;
    }
    const refusedByGuards = answer.status === 409 && answer.body?.error?.code === 'ADMIN.GUARDS_FAILED';
    if (json) stdout(`${JSON.stringify(answer.body, null, 2)}\n`);
    if (answer.status >= 200 && answer.status < 300) {
      if (!json) stdout(render(answer.body));
      return answer.body?.dryRun && !answer.body.allowed ? EXIT.refused : EXIT.ok;
    }
    const error = answer.body?.error ?? { code: `HTTP ${answer.status}`, message: 'no error body' };
    if (!json) {
      if (refusedByGuards) {
        stderr(`strangler: refused, guards failed:\n${(error.guards as Guard[]).filter((g) => !g.passed).map((g) => `  ${mark(g)}\n`).join('')}`);
      } else {
        const hint = answer.status === 401 && !token ? ' (STRANGLER_ADMIN_TOKEN is not set)' : '';
        stderr(`strangler: ${error.code}: ${error.message}${hint}\n`);
      }
    }
    return refusedByGuards ? EXIT.refused : EXIT.failed;
  }

  const contextPath = (context: string, verb: string) => `/admin/contexts/${encodeURIComponent(context)}/${verb}`;

  return {
    async status({ json }: StatusRequest) {
      return finish(await call('GET', '/admin/contexts'), json, renderStatus);
    },
    async promote({ context, json, ...request }: PromoteRequest) {
      return finish(await call('POST', contextPath(context, 'promote'), request), json, renderChange);
    },
    async rollback({ context, json, ...request }: RollbackRequest) {
      return finish(await call('POST', contextPath(context, 'rollback'), request), json, renderChange);
    },
    async canary({ context, json, ...request }: CanaryRequest) {
      return finish(await call('PUT', contextPath(context, 'canary'), request), json, renderChange);
    },
  };
}
