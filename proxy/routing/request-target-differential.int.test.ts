// The proxy's reading of a request-target against the backends' own routers (issue 10). Thousands of
// generated (method, target) pairs, each sent byte for byte over a raw socket (fetch and undici normalise
// URLs) to the real legacy app and the real user-service app, each wrapped in a probe that records which
// route their Express router chose and with which id. The proxy must never classify a target as another
// route, or another user, than the backends would; and through the real proxy, no write may reach a side
// that does not own it.
//
// Seeded: STRANGLER_FC_SEED=<n> replays a run, STRANGLER_FC_RUNS=<n> changes its size (3,000 by default).
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import { Pool } from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createLegacyApp } from '../../legacy/app';
import { parseUserId } from '../../legacy/http/user-id';
import { startLegacyHarness, TEST_BCRYPT_COST, type LegacyHarness } from '../../legacy/test/legacy-harness';
import { endPool } from '../../migrations/test/throwaway-database';
import { createUserServiceApp } from '../../user-service/app';
import { parseId } from '../../user-service/platform/json-edge';
import { startUserServiceHarness, type UserServiceHarness } from '../../user-service/test/user-service-harness';
import { until } from '../../cdc/test/until';
import { startControlPlane, startTestProxy, type ControlPlane, type TestProxy, syncNeverCaughtUp } from '../test/proxy-harness';
import { sendRaw, type RawAnswer } from '../test/raw-request';
import { CONTEXTS, writesOwnerOf, type Context, type Stage } from '../stages/stages';
import { readRequestTarget } from './request-target';
import { loadRouteTable } from './route-table';

const SEED = Number(process.env.STRANGLER_FC_SEED ?? 20_261_204);
const RUNS = Number(process.env.STRANGLER_FC_RUNS ?? 3_000);
const routes = loadRouteTable();
const silent = pino({ level: 'silent' });

// ---------------------------------------------------------------------------------------------------------
// The backends, probed

/** What one backend did with one request: refused by Node's parser, or answered, routed or not. */
type Seen = { readonly parsed: false } | { readonly parsed: true; readonly routePath: string | null; readonly context: string | null; readonly id: unknown };

interface ProbedBackend {
  readonly side: 'legacy' | 'new';
  readonly url: string;
  readonly port: number;
  /** Every request that reached the app, by its x-probe-id; its record is complete once the answer is out. */
  readonly seen: Map<string, Seen>;
  /** The user id as this backend parses one (legacy's parseUserId, the user-service's parseId). */
  readonly userIdOf: (raw: unknown) => string | null;
  stop(): Promise<void>;
}

const LEGACY_MODULES: Record<string, string | null> = { auth: 'identity', profile: 'profile', settings: 'preferences', reporting: 'legacy-only', http: null };

/**
 * The real app behind a tiny node:http server that notes, when the answer is finished, the route Express
 * matched (`req.route` and `req.params` survive until then in Express 5) and the context the route's first
 * handler named (legacy's `inModule`, the user-service's `inContext`): a route whose handlers ran.
 */
async function probe(side: ProbedBackend['side'], app: (req: IncomingMessage, res: ServerResponse) => void, contextOf: (locals: Record<string, unknown>) => string | null, userIdOf: ProbedBackend['userIdOf'], stop: () => Promise<void>): Promise<ProbedBackend> {
  const seen = new Map<string, Seen>();
  const server: Server = http.createServer((req, res) => {
    const probeId = String(req.headers['x-probe-id']);
    seen.set(probeId, { parsed: true, routePath: null, context: null, id: undefined });
    res.once('finish', () => {
      const request = req as IncomingMessage & { route?: { path?: string }; params?: Record<string, unknown> };
      const context = contextOf((res as ServerResponse & { locals?: Record<string, unknown> }).locals ?? {});
      // A route only counts when its own handlers ran: Express leaves `req.route` set on a HEAD that matched
      // a path whose route has no GET, then falls through to the 404.
      seen.set(probeId, { parsed: true, routePath: context !== null ? (request.route?.path ?? null) : null, context, id: request.params?.id });
    });
    app(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    side,
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    userIdOf,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stop();
    },
  };
}

async function probedLegacy(harness: LegacyHarness): Promise<ProbedBackend> {
  const app = createLegacyApp({ pool: harness.pool, logger: silent, registry: new Registry(), bcryptCost: TEST_BCRYPT_COST });
  const userIdOf = (raw: unknown) => {
    const id = parseUserId(raw);
    return typeof id === 'number' ? String(id) : null;
  };
  return probe('legacy', app, (locals) => LEGACY_MODULES[String(locals.legacyModule)] ?? null, userIdOf, () => harness.stop());
}

async function probedUserService(harness: UserServiceHarness): Promise<ProbedBackend> {
  // The harness's own app listens unused; this one shares its database, as the service's login role.
  const serviceUrl = new URL(String(harness.admin.options.connectionString));
  serviceUrl.username = 'strangler_user_service';
  const pool = new Pool({ connectionString: serviceUrl.toString(), max: 4 });
  const app = createUserServiceApp({ pool, logger: silent, registry: new Registry(), bcryptCost: TEST_BCRYPT_COST });
  const userIdOf = (raw: unknown) => {
    const id = parseId(raw);
    return typeof id === 'number' ? String(id) : null;
  };
  const contextOf = (locals: Record<string, unknown>) => (typeof locals.context === 'string' ? locals.context : null);
  return probe('new', app, contextOf, userIdOf, async () => {
    await endPool(pool);
    await harness.stop();
  });
}

/** The contract route a backend served a request by (null for none), and the user it parsed from the path. */
interface Truth {
  readonly parsed: boolean;
  readonly key: string | null;
  readonly userId: string | null;
  readonly answer: RawAnswer;
}

let probes = 0;
async function truthOf(backend: ProbedBackend, method: string, target: string): Promise<Truth> {
  const probeId = `direct-${++probes}`;
  const answer = await sendRaw(backend.port, method, target, { 'x-probe-id': probeId });
  const seen = backend.seen.get(probeId) ?? { parsed: false };
  backend.seen.delete(probeId);
  if (!seen.parsed) return { parsed: false, key: null, userId: null, answer };
  const effective = method === 'HEAD' ? 'GET' : method;
  const route = seen.routePath === null ? undefined : routes.routes.find((r) => r.path === seen.routePath && r.method === effective);
  // The route table's paths are the backends' own route strings; the context their handlers named must agree.
  if (route && route.context !== seen.context) throw new Error(`${backend.side} served ${method} ${target} by ${seen.routePath} in ${seen.context}, the table says ${route.context}`);
  const userId = route?.userId?.from === 'path' ? backend.userIdOf(seen.id) : null;
  return { parsed: true, key: route?.key ?? null, userId, answer };
}

/** Both backends' truth, checked to agree with each other (legacy-only routes are legacy's alone), and each one's answer. */
async function backendsTruth(legacy: ProbedBackend, fresh: ProbedBackend, method: string, target: string): Promise<Truth & { readonly answers: Record<ProbedBackend['side'], RawAnswer> }> {
  const [l, n] = await Promise.all([truthOf(legacy, method, target), truthOf(fresh, method, target)]);
  expect({ parsed: n.parsed }).toEqual({ parsed: l.parsed });
  const legacyOnly = l.key !== null && routes.routes.find((r) => r.key === l.key)?.context === 'legacy-only';
  expect({ key: n.key, userId: n.userId }).toEqual(legacyOnly ? { key: null, userId: null } : { key: l.key, userId: l.userId });
  return { ...l, answers: { legacy: l.answer, new: n.answer } };
}

// ---------------------------------------------------------------------------------------------------------
// The request-targets

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Every contract route's path, and near misses around them. */
const pathArbitrary = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...new Set(routes.routes.map((r) => r.path))) },
  { weight: 1, arbitrary: fc.constantFrom('/', '/healthz', '/metrics', '/api', '/api/users/:id/profile/x', '/api/users/:id/avatar', '/api/reports', '/api/sessions/current', '/somewhere/else') },
);

const idArbitrary = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 10_000_000 }).map(String) },
  { weight: 2, arbitrary: fc.stringMatching(/^0{0,3}[0-9]{1,20}$/) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('0', '00', '011', '007', '0000000000000000000011', '9007199254740991', '9007199254740992', '9007199254740993', '123456789012345678', '1e3', '0x1f', '-1', '+1', '1.0', 'abc', 'me', '%31%31', '%31', '1%2F1', '1%2f1', '%E2%82%AC', '1%3B', '1%20'),
  },
);

const SEGMENT_INSERTS = ['.', '..', '', '%2e', '%2E%2e', '.%2E', 'x', 'profile', 'account', 'users', 'API'];
const CHAR_INSERTS = ['\\', '%5C', '%5c', '%2F', '%2f', '%', '%4', '%G1', '%FF', '%C3', '%C3%A9', '%3B', '%20', '%25', '%00', ';', ';v=1', "'", '!', '~', '-', '.', ':', '@', '$', '{', '|', '"', '[', '^', '`', '%41', '%61', '%7E', '%2D', '%5F', '%30', '\u00e9'];

const mutationArbitrary = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('case' as const), at: fc.nat(), mask: fc.nat() }) },
  fc.record({ op: fc.constant('encode' as const), at: fc.nat(), pos: fc.nat(), lower: fc.boolean() }),
  fc.record({ op: fc.constant('insert-segment' as const), at: fc.nat(), value: fc.constantFrom(...SEGMENT_INSERTS) }),
  fc.record({ op: fc.constant('insert-char' as const), at: fc.nat(), pos: fc.nat(), value: fc.constantFrom(...CHAR_INSERTS) }),
  fc.record({ op: fc.constant('drop-segment' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('drop-char' as const), at: fc.nat(), pos: fc.nat() }),
);
type Mutation = typeof mutationArbitrary extends fc.Arbitrary<infer M> ? M : never;

function mutate(segments: string[], mutation: Mutation): string[] {
  if (segments.length === 0 && mutation.op !== 'insert-segment') return segments;
  const at = mutation.at % Math.max(segments.length, 1);
  const segment = segments[at] ?? '';
  const next = [...segments];
  switch (mutation.op) {
    case 'case':
      next[at] = [...segment].map((c, i) => ((mutation.mask >> i % 30) & 1 ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join('');
      break;
    case 'encode': {
      if (segment.length === 0) break;
      const pos = mutation.pos % segment.length;
      const hex = segment.charCodeAt(pos).toString(16).padStart(2, '0');
      next[at] = `${segment.slice(0, pos)}%${mutation.lower ? hex.toLowerCase() : hex.toUpperCase()}${segment.slice(pos + 1)}`;
      break;
    }
    case 'insert-segment':
      next.splice(mutation.at % (segments.length + 1), 0, mutation.value);
      break;
    case 'insert-char': {
      const pos = mutation.pos % (segment.length + 1);
      next[at] = `${segment.slice(0, pos)}${mutation.value}${segment.slice(pos)}`;
      break;
    }
    case 'drop-segment':
      next.splice(at, 1);
      break;
    case 'drop-char': {
      if (segment.length === 0) break;
      const pos = mutation.pos % segment.length;
      next[at] = segment.slice(0, pos) + segment.slice(pos + 1);
      break;
    }
  }
  return next;
}

const authorityArbitrary = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('127.0.0.1:8080', 'localhost', 'proxy.example', 'API.Example.COM:443', '[::1]:8080', '10.0.0.1') },
  { weight: 1, arbitrary: fc.constantFrom('u@h', 'u:p@h', 'h:99999', 'h:0', 'h:', 'h:8a', '', '-h', 'h_x', 'h.', 'h..x', 'a'.repeat(64), '[zz]', 'h%2Ex', 'h!x') },
);

interface Generated {
  readonly method: (typeof METHODS)[number];
  readonly target: string;
}

/** Mostly a route's own method on its own path (GET's also as HEAD), else any method on any path. */
const methodAndPath = fc.oneof(
  { weight: 3, arbitrary: fc.record({ route: fc.constantFrom(...routes.routes), head: fc.boolean() }).map(({ route, head }) => ({ method: head && route.method === 'GET' ? ('HEAD' as const) : route.method, path: route.path })) },
  { weight: 2, arbitrary: fc.record({ method: fc.constantFrom(...METHODS), path: pathArbitrary }) },
);

const generatedArbitrary: fc.Arbitrary<Generated> = fc
  .record({
    methodAndPath,
    id: idArbitrary,
    mutations: fc.oneof({ weight: 1, arbitrary: fc.constant([] as Mutation[]) }, { weight: 1, arbitrary: fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }) }),
    trailing: fc.constantFrom('', '', '', '', '/', '//'),
    query: fc.constantFrom('', '', '', '', '', '?', '?x=1', '?q=%41', '?a=b&c=%2F..;x', '?x#y'),
    fragment: fc.constantFrom('', '', '', '', '', '', '', '', '#', '#frag'),
    form: fc.oneof(
      { weight: 3, arbitrary: fc.constant({ kind: 'origin' as const }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('absolute' as const), scheme: fc.constantFrom('http', 'http', 'https', 'HTTP', 'Https', 'ftp', 'ws'), authority: authorityArbitrary, emptyPath: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('odd' as const), target: fc.constantFrom('*', 'h:80', 'http:/api/users/1/profile', 'mailto:x', 'api/users/1/profile', 'http://') }) },
    ),
  })
  .map(({ methodAndPath: { method, path }, id, mutations, trailing, query, fragment, form }) => {
    if (form.kind === 'odd') return { method, target: form.target };
    const segments = mutations.reduce(mutate, path.replace(':id', id).split('/').slice(1));
    const joined = `/${segments.join('/')}${segments.length > 0 ? trailing : ''}`;
    const originForm = `${joined}${query}${fragment}`;
    if (form.kind === 'origin') return { method, target: originForm };
    return { method, target: `${form.scheme}://${form.authority}${form.emptyPath ? `${query}${fragment}` : originForm}` };
  });

const parameters = (runs: number): fc.Parameters<[Generated]> => ({ seed: SEED, numRuns: runs, endOnFailure: false, verbose: 1 });

// ---------------------------------------------------------------------------------------------------------

describe('request-target differential: the proxy reads every target as the backends route it', () => {
  let legacy: ProbedBackend;
  let fresh: ProbedBackend;

  beforeAll(async () => {
    // eslint-disable-next-line no-console
    console.info(`request-target differential: seed ${SEED} (STRANGLER_FC_SEED), ${RUNS} runs (STRANGLER_FC_RUNS)`);
    legacy = await probedLegacy(await startLegacyHarness());
    fresh = await probedUserService(await startUserServiceHarness());
  });

  afterAll(async () => {
    await Promise.all([legacy?.stop(), fresh?.stop()]);
  });

  test('the proxy never classifies a target as a route, or a user, other than both backends do', async () => {
    const tally = { parserRefused: 0, proxyRefused: 0, proxyRefusedRouted: 0, routed: 0, routedAbsolute: 0, unmatchedInContext: 0, unmatched: 0 };
    await fc.assert(
      fc.asyncProperty(generatedArbitrary, async ({ method, target }) => {
        const truth = await backendsTruth(legacy, fresh, method, target);
        // Node's parser refused it before any handler; the proxy runs the same parser (checked through it below).
        if (!truth.parsed) return void tally.parserRefused++;
        const reading = readRequestTarget(routes, method, target);
        if (reading.outcome === 'refused') {
          tally.proxyRefused++;
          if (truth.key !== null) tally.proxyRefusedRouted++;
          return;
        }
        expect({ key: reading.match?.route.key ?? null, userId: reading.match?.userId ?? null }).toEqual({ key: truth.key, userId: truth.userId });
        if (reading.match) {
          tally.routed++;
          if (reading.target.form === 'absolute') tally.routedAbsolute++;
        } else if (reading.space !== null) tally.unmatchedInContext++;
        else tally.unmatched++;
      }),
      parameters(RUNS),
    );
    // eslint-disable-next-line no-console
    console.info(`request-target differential: ${JSON.stringify(tally)}`);
    // The generator must reach every outcome, or the property proves little.
    for (const [outcome, count] of Object.entries(tally)) expect([outcome, count > 0]).toEqual([outcome, true]);
  });

  test('canonical contract targets, with any valid id, are never refused and name the route and user the backends do', async () => {
    const canonical = fc.record({ route: fc.constantFrom(...routes.routes), id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }).map(({ route, id }) => ({ method: route.method, target: route.path.replace(':id', String(id)) }));
    await fc.assert(
      fc.asyncProperty(canonical, async ({ method, target }) => {
        const reading = readRequestTarget(routes, method, target);
        expect(reading.outcome).toBe('classified');
        const truth = await backendsTruth(legacy, fresh, method, target);
        if (reading.outcome === 'classified') expect({ key: reading.match?.route.key ?? null, userId: reading.match?.userId ?? null }).toEqual({ key: truth.key, userId: truth.userId });
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 10) },
    );
  });

  describe('through the real proxy', () => {
    let control: ControlPlane;
    let proxy: TestProxy;

    beforeAll(async () => {
      control = await startControlPlane();
      proxy = await startTestProxy({
        legacyUrl: legacy.url,
        newServiceUrl: fresh.url,
        control: control.pool,
        progress: syncNeverCaughtUp,
        existence: { legacyHasUser: async () => true },
      });
    });

    afterAll(async () => {
      await proxy?.stop();
      await control?.stop();
    });

    const enter = async (stages: Record<Context, Stage>) => {
      for (const context of CONTEXTS) await control.setStage(context, stages[context], { canaryPercent: stages[context] === 'canary' ? 50 : 0 });
      await until('the proxy on the new stages', () => (proxy.health().contexts.every((c) => c.stage === stages[c.context]) ? true : undefined), { timeoutMs: 5_000, everyMs: 20 });
    };

    let sent = 0;
    test.each([
      { identity: 'canary', profile: 'writes', preferences: 'retired' },
      { identity: 'retired', profile: 'reads', preferences: 'shadow' },
    ] as Record<Context, Stage>[])('every write reaches only the side that owns its context\'s writes, a refused one neither side (%o)', async (stages) => {
      await enter(stages);
      await fc.assert(
        fc.asyncProperty(generatedArbitrary, async ({ method, target }) => {
          const truth = await backendsTruth(legacy, fresh, method, target);
          const probeId = `proxied-${++sent}`;
          const answer = await sendRaw(proxy.port, method, target, { 'x-probe-id': probeId });
          const reached = [legacy, fresh].filter((backend) => backend.seen.delete(probeId)).map((backend) => backend.side);
          if (method === 'GET' || method === 'HEAD') return;
          const reading = truth.parsed ? readRequestTarget(routes, method, target) : undefined;
          if (reading === undefined || reading.outcome === 'refused') {
            expect({ reached, status: answer.status, code: answer.code }).toEqual({ reached: [], status: 400, code: reading ? 'PROXY.INVALID_TARGET' : null });
            return;
          }
          // The backends' own routing names the context; a target they do not route is the proxy's path space's.
          const routed = truth.key === null ? undefined : routes.routes.find((r) => r.key === truth.key);
          const context = routed?.context ?? reading.space ?? 'none';
          const owner = context === 'none' || context === 'legacy-only' ? 'legacy' : writesOwnerOf(stages[context]);
          // And the client gets the owner's own answer to the target, as if it had asked the owner directly.
          expect({ reached, status: answer.status }).toEqual({ reached: [owner], status: truth.answers[owner].status });
        }),
        parameters(Math.ceil(RUNS / 2)),
      );
    });
  });
});
