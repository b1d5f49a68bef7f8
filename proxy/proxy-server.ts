import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { hostname } from 'node:os';
import type { AddressInfo, Socket } from 'node:net';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Upstream, type BodyTap, type ForwardHooks, type HeldAnswer, type UpstreamFailure } from './forwarding/upstream';
import { CdcClient, type ForwardSyncProgress, type LegacyExistence } from './cdc-client';
import { HeldWrites } from './handover/held-writes';
import { InFlightWrites } from './handover/in-flight-writes';
import { createProxyMetrics, observeStages, type ProxyMetrics } from './proxy-metrics';
import { ExistenceGate } from './read-your-writes/existence-gate';
import { SharedPins } from './read-your-writes/shared-pins';
import { WriterPins } from './read-your-writes/writer-pins';
import { decideBackend, readsMayOutrunWrites, type Backend, type Decision } from './routing/backend-decision';
import { INVALID_TARGET, isSafeMethod, readRequestTarget, type TargetRefusal } from './routing/request-target';
import { isUserId, loadRouteTable, type MatchedRoute, type RouteTable } from './routing/route-table';
import { parseJson, ShadowMirror } from './shadow/shadow-mirror';
import { StageState, type StageStateReport } from './stages/stage-state';
import { CONTEXTS, writesOwnerOf, type Context, type ContextStage, type Stage, type StageTable } from './stages/stages';

export interface ProxyOptions {
  readonly host: string;
  /** 0 for an ephemeral port. */
  readonly port: number;
  readonly legacyUrl: string;
  readonly newServiceUrl: string;
  /** The control plane (database `strangler`): stages, shadow comparisons and mismatch samples. */
  readonly control: Pool;
  /** The cdc workers' HTTP API (legacy's WAL position and the forward sync's progress for read-your-writes); or `progress` directly. */
  readonly cdcUrl?: string;
  readonly progress?: ForwardSyncProgress;
  /** Whether legacy has a user's row yet; cdc's API by default (see read-your-writes/existence-gate.ts). */
  readonly existence?: LegacyExistence;
  /** How long a request bound for legacy waits for the reverse sync after a sign-up or erasure on the new side. */
  readonly existenceWaitMs?: number;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly clock?: () => Date;
  readonly routeTable?: RouteTable;
  /** A connection refused is 502 at once; an upstream silent for this long is 504. */
  readonly upstreamTimeoutMs?: number;
  readonly upstreamMaxSockets?: number;
  readonly stagePollMs?: number;
  readonly shadow?: Partial<{ maxInFlight: number; timeoutMs: number; lagRechecks: number; lagRecheckDelayMs: number; flushEveryMs: number; samplesKept: number }>;
  readonly pins?: Partial<{ maxPins: number; recheckMs: number; sweepEveryMs: number }>;
  /**
   * This instance's lease in control.proxy_instances: how long a renewal holds (a hand-over waits that long
   * for an instance that went silent). Writes start only within the lease less the upstream timeout.
   */
  readonly leaseMs?: number;
  /** Writes arriving during a hand-over are kept, at most this many per context, for at most this long. */
  readonly hold?: Partial<{ maxWrites: number; maxHoldMs: number }>;
}

export const DEFAULT_LEASE_MS = 10_000;

export interface ProxyHealth {
  /**
   * `degraded` while the stage store cannot be read or the lease has lapsed: the instance still serves
   * reads, on the last stages it read, and refuses writes once its lease's write horizon has passed.
   */
  readonly status: 'ok' | 'degraded';
  readonly stateStore: StageStateReport;
  readonly contexts: readonly { context: Context; stage: Stage; canaryPercent: number; version: number; writesHeld: boolean; heldWrites: number; writesInFlight: number }[];
  readonly pinnedUsers: number;
}

export interface RunningProxy {
  readonly port: number;
  health(): ProxyHealth;
  stop(): Promise<void>;
}

/** What the proxy learned about one request, read back by the proxy events and the metrics. */
interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly context: Context | 'legacy-only' | 'none';
  readonly routeKey: string;
  readonly backend: Backend;
  readonly match: MatchedRoute | null;
  readonly startedAt: bigint;
  readonly mirror: boolean;
  /** A write sent to legacy while the new service may serve (some) reads: its writer is pinned once it is answered. */
  readonly pinsWriter: boolean;
  upstreamSentAt: bigint;
  /** For a context's write: the stage version it was forwarded under, until its answer is over. */
  readonly writeVersion: number | null;
}

/** What the route table makes of one request; a write kept through a hand-over is decided again from it. */
interface Classified {
  readonly match: MatchedRoute | null;
  readonly context: Context | 'legacy-only' | 'none';
  readonly routeKey: string;
  readonly kind: 'read' | 'write';
  readonly userId: string | null;
}

/** Bodies of sign-up and sign-in answers are small; a larger one is not searched for the user id. */
const RESPONSE_ID_LIMIT = 64 * 1024;
/** A shadowed read's answer larger than this is not compared. */
const SHADOW_BODY_LIMIT = 1024 * 1024;

/**
 * The client port: a bare node:http server whose handler picks a side per request from the route table and
 * the context's stage, and hands the request to that side's `Upstream` (an undici pool of keep-alive
 * connections). No Express and no body parser on this path: bodies stream through untouched, and Express
 * alone cost more than the whole 2 ms budget (see proxy/README.md).
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const { logger, control } = options;
  const clock = options.clock ?? (() => new Date());
  const routes = options.routeTable ?? loadRouteTable();
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 5_000;
  const stagePollMs = options.stagePollMs ?? 250;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  // The write horizon must leave room for a few renewals, or one slow poll would refuse writes.
  if (leaseMs - upstreamTimeoutMs < 4 * stagePollMs) {
    throw new Error(`the lease (${leaseMs} ms) must exceed the upstream timeout (${upstreamTimeoutMs} ms) by at least four stage polls (${4 * stagePollMs} ms)`);
  }
  const inFlight = new InFlightWrites();
  const cdc = new CdcClient(options.cdcUrl ?? 'http://127.0.0.1:8084');
  const progress = options.progress ?? cdc;
  // Read-your-writes facts every instance sees (control.writer_pins, control.existence_gates).
  const shared = new SharedPins(control);
  const existenceGate = new ExistenceGate({
    existence: options.existence ?? cdc,
    shared,
    logger: logger.child({ component: 'existence-gate' }),
    pollMs: options.pins?.recheckMs ?? 50,
    maxWaitMs: options.existenceWaitMs ?? 3_000,
    maxUsers: options.pins?.maxPins ?? 100_000,
  });

  let pins: WriterPins | undefined;
  let stages: StageState | undefined;
  let held: HeldWrites | undefined;
  const metrics: ProxyMetrics = createProxyMetrics(options.registry, {
    stateStore: () => stages?.report() ?? { reachable: false, ageMs: null },
    pinnedUsers: () => pins?.size ?? 0,
    heldWrites: () => held?.sizes() ?? new Map(),
    leaseWritable: () => stages?.writable() ?? false,
  });
  const heldWrites = new HeldWrites({
    maxWrites: options.hold?.maxWrites ?? 1_000,
    maxHoldMs: options.hold?.maxHoldMs ?? 10_000,
    onLeft: (context, heldMs, outcome) => metrics.writeHold.observe({ context, outcome }, heldMs / 1000),
  });
  held = heldWrites;
  pins = new WriterPins({
    progress,
    shared,
    logger: logger.child({ component: 'read-your-writes' }),
    maxPins: options.pins?.maxPins ?? 100_000,
    recheckMs: options.pins?.recheckMs ?? 50,
    onEvicted: () => metrics.pinsEvicted.inc(),
    onUnshared: () => metrics.pinsUnshared.inc(),
  });
  const writerPins = pins;

  // Pins matter while some context's reads can be served by the new service with legacy owning its writes;
  // they are taken from the moment a context is one promotion away (shadow), so a promotion finds them.
  let pinningWrites = false;
  let sweepingPins = false;
  // Users come and go with identity's writes; the gate matters while they are on the new service and some
  // context still sends requests to legacy.
  let gatingExistence = false;
  const onStages = (table: StageTable) => {
    observeStages(metrics, table);
    gatingExistence = writesOwnerOf(table.identity.stage) === 'new' && CONTEXTS.some((c) => writesOwnerOf(table[c].stage) === 'legacy');
    if (!gatingExistence) void existenceGate.clear();
    pinningWrites = CONTEXTS.some((c) => table[c].stage === 'shadow' || readsMayOutrunWrites(table[c].stage));
    sweepingPins = CONTEXTS.some((c) => readsMayOutrunWrites(table[c].stage));
    if (CONTEXTS.every((c) => table[c].stage === 'writes' || table[c].stage === 'retired')) void writerPins.clear();
    // A hold lifted: the writes kept through it go on, each decided again on the stage now in force.
    for (const c of CONTEXTS) if (table[c].writesHeldSince === null) heldWrites.release(c);
  };
  stages = new StageState({
    control,
    logger: logger.child({ component: 'stages' }),
    clock,
    pollMs: stagePollMs,
    readTimeoutMs: 1_000,
    onChange: onStages,
    lease: {
      identity: { host: hostname(), pid: process.pid },
      leaseMs,
      writeHorizonMs: leaseMs - upstreamTimeoutMs,
      confirmedVersions: () => inFlight.confirmedVersions(stages?.latest()),
    },
  });
  const stageState = stages;
  try {
    await stageState.start();
  } catch (error) {
    // Leave the registry as it was, so a caller may try again once the control plane answers.
    for (const metric of Object.values(metrics)) {
      const name = (metric as { name?: unknown }).name;
      if (typeof name === 'string') options.registry.removeSingleMetric(name);
    }
    throw error;
  }

  let sweep: Promise<void> | undefined;
  const sweepTimer = setInterval(() => {
    if (!sweepingPins || sweep) return;
    sweep = writerPins.sweep().finally(() => {
      sweep = undefined;
    });
  }, options.pins?.sweepEveryMs ?? 1_000);
  sweepTimer.unref();

  const maxSockets = options.upstreamMaxSockets ?? 256;
  const upstreams: Record<Backend, Upstream> = {
    legacy: new Upstream(options.legacyUrl, { connections: maxSockets, timeoutMs: upstreamTimeoutMs }),
    new: new Upstream(options.newServiceUrl, { connections: maxSockets, timeoutMs: upstreamTimeoutMs }),
  };
  // The mirror's own sockets: shadow traffic never queues for a connection a client's request waits for.
  const agentOptions: http.AgentOptions = { keepAlive: true, maxSockets: 32, maxFreeSockets: 32, scheduling: 'lifo' };
  const shadowAgents = { legacy: new http.Agent(agentOptions), new: new http.Agent(agentOptions) };
  const shadow = new ShadowMirror({
    legacyUrl: options.legacyUrl,
    newServiceUrl: options.newServiceUrl,
    legacyAgent: shadowAgents.legacy,
    newAgent: shadowAgents.new,
    control,
    logger: logger.child({ component: 'shadow' }),
    metrics,
    clock,
    maxInFlight: options.shadow?.maxInFlight ?? 64,
    timeoutMs: options.shadow?.timeoutMs ?? 2_000,
    lagRechecks: options.shadow?.lagRechecks ?? 3,
    lagRecheckDelayMs: options.shadow?.lagRecheckDelayMs ?? 500,
    flushEveryMs: options.shadow?.flushEveryMs ?? 5_000,
    samplesKept: options.shadow?.samplesKept ?? 200,
  });
  shadow.start();

  const sendJson = (res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) => {
    const body = JSON.stringify({ error: { code, message } });
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };

  /** A bug of ours: the client gets a plain 500 (or a cut connection once its answer has begun), the log the details. */
  const answerOwnFault = (res: ServerResponse, error: unknown, where: string | undefined) => {
    logger.error({ err: error, where }, 'the proxy failed on a request');
    if (!res.headersSent) sendJson(res, 500, 'PROXY.INTERNAL', 'the proxy failed; details are in its log');
    else res.destroy();
  };

  /**
   * At most one look at the answer per exchange: a write sent to legacy (its answer is held until its writer's
   * pin is in the control plane), a sign-up or erasure answered by the new service (held until its user's gate
   * is), or a mirrored GET (a copy to compare); never two at once.
   */
  const onUpstreamResponse = (exchange: Exchange, status: number): BodyTap | HeldAnswer | undefined => {
    const req = exchange.req;
    metrics.upstreamDuration.observe({ context: exchange.context, backend: exchange.backend }, Number(process.hrtime.bigint() - exchange.upstreamSentAt) / 1e9);
    const route = exchange.match?.route;
    // A 4xx changed nothing: nobody to pin or gate.
    const changedSomething = !(status >= 400 && status < 500);
    if (exchange.pinsWriter && route?.userId && changedSomething) {
      const named = route.userId;
      // Legacy answered, so it committed: the WAL position taken from now on is at or past the write.
      return {
        limit: RESPONSE_ID_LIMIT,
        release: async (body: Buffer | null) => {
          const userId = named.from === 'path' ? (exchange.match?.userId ?? null) : userIdIn(body, named.field);
          if (userId !== null) await writerPins.pinAfterWrite(userId);
        },
      };
    }
    if (gatingExistence && exchange.backend === 'new' && route?.context === 'identity' && route.kind === 'write') {
      // A sign-up (201, the id in the answer) or an erasure (204, the id in the path) made on the new side.
      const erased = req.method === 'DELETE' && status === 204 && exchange.match?.userId;
      const signedUp = req.method === 'POST' && status === 201 && route.userId?.from === 'response';
      if (!erased && !signedUp) return undefined;
      return {
        limit: RESPONSE_ID_LIMIT,
        release: async (body: Buffer | null) => {
          if (erased) return existenceGate.expect(exchange.match!.userId!, false);
          const userId = route.userId?.from === 'response' ? userIdIn(body, route.userId.field) : null;
          if (userId !== null) await existenceGate.expect(userId, true);
        },
      };
    }
    if (exchange.mirror && route && exchange.context !== 'none' && exchange.context !== 'legacy-only') {
      const context = exchange.context;
      const path = req.url ?? '/';
      const headers = req.headers;
      const userId = exchange.match?.userId ?? null;
      return bodyTap(SHADOW_BODY_LIMIT, (body) => {
        if (body === null) return void metrics.shadowDropped.inc({ context, reason: 'too-large' });
        // The comparison is off the client's path: parsing and the mirrored request wait until its answer is out.
        setImmediate(() => shadow.mirror(context, route, userId, path, headers, { status, body: parseJson(body) }));
      });
    }
    return undefined;
  };

  const onUpstreamError = (exchange: Exchange, reason: UpstreamFailure, error: Error, headersSent: boolean) => {
    const res = exchange.res;
    metrics.upstreamFailures.inc({ context: exchange.context, backend: exchange.backend, reason });
    // A write that may have reached legacy before the failure pins its writer all the same (not awaited: the
    // client gets an error, and read-your-writes is promised for acknowledged writes).
    if (exchange.pinsWriter && exchange.match?.userId && exchange.match.route.userId?.from === 'path') void writerPins.pinAfterWrite(exchange.match.userId);
    logger.warn({ err: error, route: exchange.routeKey, backend: exchange.backend, reason }, 'upstream failed');
    // Mid-body failure: the status is gone, so the client must see a broken response, not a complete one.
    if (headersSent) return void res.destroy();
    const side = exchange.backend === 'new' ? 'the user-service' : 'legacy';
    if (reason === 'timeout') sendJson(res, 504, 'PROXY.UPSTREAM_TIMEOUT', `${side} did not answer within ${upstreamTimeoutMs} ms`);
    else if (reason === 'unreachable') sendJson(res, 502, 'PROXY.UPSTREAM_UNREACHABLE', `${side} refused the connection`);
    else sendJson(res, 502, 'PROXY.UPSTREAM_RESET', `${side} closed the connection before answering`);
  };

  const record = (exchange: Exchange) => {
    if (exchange.writeVersion !== null) inFlight.end(exchange.context, exchange.writeVersion);
    const labels = { context: exchange.context, backend: exchange.backend };
    metrics.requestDuration.observe(labels, Number(process.hrtime.bigint() - exchange.startedAt) / 1e9);
    // Ended means the proxy finished its answer (whether the last bytes still sat in the socket's buffer at
    // close or not); a response cut by either side was never ended.
    const res = exchange.res;
    metrics.requests.add(exchange.context, exchange.routeKey, exchange.backend, res.writableEnded ? String(res.statusCode) : 'aborted');
  };

  const hooks: ForwardHooks<Exchange> = {
    sent: (exchange) => {
      exchange.upstreamSentAt = process.hrtime.bigint();
    },
    answered: onUpstreamResponse,
    failed: onUpstreamError,
    faulted: (exchange, error) => answerOwnFault(exchange.res, error, exchange.routeKey),
    closed: record,
  };

  /** A 503 the proxy answers itself (a write it may not forward now), counted like any answer. */
  const refuseWrite = (req: IncomingMessage, res: ServerResponse, c: Classified, startedAt: bigint, code: string, message: string) => {
    metrics.requests.add(c.context, c.routeKey, 'proxy', '503');
    metrics.requestDuration.observe({ context: c.context, backend: 'proxy' }, Number(process.hrtime.bigint() - startedAt) / 1e9);
    // The body is not wanted; reading it lets the connection be reused.
    req.resume();
    sendJson(res, 503, code, message, { 'retry-after': '1' });
  };

  /** A request-target the proxy cannot classify safely (routing/request-target.ts): a 400 that reaches neither side. */
  const refuseTarget = (req: IncomingMessage, res: ServerResponse, refusal: TargetRefusal, startedAt: bigint) => {
    metrics.requests.add('none', 'invalid-target', 'proxy', '400');
    metrics.requestDuration.observe({ context: 'none', backend: 'proxy' }, Number(process.hrtime.bigint() - startedAt) / 1e9);
    req.resume();
    sendJson(res, 400, refusal.code, refusal.message);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const startedAt = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    const reading = readRequestTarget(routes, method, req.url ?? '/');
    if (reading.outcome === 'refused') return refuseTarget(req, res, reading.refusal, startedAt);
    const { target, match, space } = reading;
    // Every later pass (the upstream, the shadow mirror) sees the target as it was classified: origin-form,
    // and for absolute-form the Host it names (RFC 9112 §3.2.2: a proxy replaces the received Host with it).
    req.url = target.originForm;
    if (target.authority !== null) req.headers.host = target.authority;
    const route = match?.route;
    const classified: Classified = {
      match,
      // Unmatched but in a context's path space: that context's, sent where its writes go (decideBackend).
      context: route?.context ?? space ?? 'none',
      routeKey: route?.key ?? 'unmatched',
      kind: route?.kind ?? (isSafeMethod(method) ? 'read' : 'write'),
      userId: match?.userId ?? null,
    };
    dispatch(req, res, classified, startedAt, 0);
  };

  /**
   * Decides the side for a classified request and sends it there. A write that meets a hold is kept and
   * comes back here once the hold is lifted (`waitedMs` then says how long it has waited already).
   */
  const dispatch = (req: IncomingMessage, res: ServerResponse, c: Classified, startedAt: bigint, waitedMs: number) => {
    const { context, match, userId } = c;
    const stage = context === 'none' || context === 'legacy-only' ? undefined : stageState.current(context);
    const decision = decideBackend({ stage, kind: c.kind, userId, pinned: false, unmatched: match === null });
    // A read the new side would serve while legacy owns the writes: a user who wrote through any instance
    // and whose write the forward sync has not applied yet reads from legacy.
    if (decision.action === 'forward' && decision.backend === 'new' && c.kind === 'read' && userId !== null && stage !== undefined && readsMayOutrunWrites(stage.stage)) {
      writerPins.isPinned(userId).then((pinned) => {
        // The client may have left while the pin was looked up.
        if (res.destroyed) return;
        const chosen = pinned ? decideBackend({ stage, kind: c.kind, userId, pinned, unmatched: false }) : decision;
        if (chosen.action === 'forward') forward(req, res, c, startedAt, chosen, stage);
      }).catch((error: unknown) => answerOwnFault(res, error, c.routeKey));
      return;
    }
    if (decision.action === 'hold-write') return holdWrite(req, res, c, startedAt, waitedMs);
    forward(req, res, c, startedAt, decision, stage);
  };

  /** A write that met a hold: kept until the hold is lifted, then decided again. */
  const holdWrite = (req: IncomingMessage, res: ServerResponse, c: Classified, startedAt: bigint, waitedMs: number) => {
    const { context } = c;
    if (waitedMs === 0) metrics.heldWrites.inc({ context });
    const kept = heldWrites.hold(context, {
      waitedMs,
      resume: (waited) => {
        try {
          dispatch(req, res, c, startedAt, waited);
        } catch (error) {
          answerOwnFault(res, error, c.routeKey);
        }
      },
      expire: () => refuseWrite(req, res, c, startedAt, 'PROXY.WRITES_HELD', `${context} writes are held while its stage changes; retry shortly`),
      gone: (forget) => res.once('close', forget),
    });
    if (!kept) refuseWrite(req, res, c, startedAt, 'PROXY.WRITES_HELD', `${context} writes are held while its stage changes and too many are waiting; retry shortly`);
  };

  const forward = (req: IncomingMessage, res: ServerResponse, c: Classified, startedAt: bigint, decision: Extract<Decision, { action: 'forward' }>, stage: ContextStage | undefined) => {
    const { context, match, userId } = c;
    // Fail closed: an instance whose lease has lapsed may be acting on stages a hand-over has since changed.
    const isWrite = stage !== undefined && c.kind === 'write';
    if (isWrite && !stageState.writable()) {
      metrics.fencedWrites.inc({ context });
      return refuseWrite(req, res, c, startedAt, 'PROXY.LEASE_LAPSED', 'this proxy instance has lost touch with the control plane and forwards no writes until it has read it again; retry shortly');
    }

    const exchange: Exchange = {
      req,
      res,
      context,
      routeKey: c.routeKey,
      backend: decision.backend,
      match,
      startedAt,
      // HEAD has no body to compare; only GET is mirrored.
      mirror: decision.mirror && req.method === 'GET',
      pinsWriter: decision.pinsWriter && pinningWrites,
      upstreamSentAt: startedAt,
      writeVersion: isWrite ? stage.version : null,
    };
    if (exchange.writeVersion !== null) inFlight.begin(context, exchange.writeVersion);
    const upstreamExchange = upstreams[decision.backend].exchange(req, res, exchange, hooks);
    // Only a user the new service has just created or erased waits, and only for legacy.
    if (decision.backend === 'legacy' && userId !== null && gatingExistence) {
      void existenceGate.gateOf(userId).then(async (wanted) => {
        if (wanted !== undefined) metrics.existenceWaits.inc({ context, outcome: await existenceGate.waitFor(userId, wanted) });
        upstreamExchange.send();
      });
      return;
    }
    upstreamExchange.send();
  };

  const server = http.createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      answerOwnFault(res, error, req.url);
    }
  });
  // node:http hands CONNECT (authority-form) to 'connect' listeners and, without one, just drops the socket.
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    const res = new http.ServerResponse(req);
    res.assignSocket(socket);
    res.shouldKeepAlive = false;
    socket.on('error', (error) => logger.debug({ err: error }, 'a CONNECT client left before its answer'));
    res.once('finish', () => {
      res.detachSocket(socket);
      socket.end();
    });
    refuseTarget(req, res, { code: INVALID_TARGET, message: 'CONNECT (authority-form) is not served: this proxy opens no tunnels' }, process.hrtime.bigint());
  });
  // Clients' keep-alive connections outlive upstreams' idle timeouts by default (Node: 5 s); keep ours a bit longer.
  server.keepAliveTimeout = 65_000;
  server.listen(options.port, options.host);
  await once(server, 'listening');

  const health = (): ProxyHealth => {
    const report = stageState.report();
    const table = stageState.all();
    const kept = heldWrites.sizes();
    return {
      status: report.reachable && report.lease.writable ? 'ok' : 'degraded',
      stateStore: report,
      contexts: CONTEXTS.map((c) => ({
        context: c,
        stage: table[c].stage,
        canaryPercent: table[c].canaryPercent,
        version: table[c].version,
        writesHeld: table[c].writesHeldSince !== null,
        heldWrites: kept.get(c) ?? 0,
        writesInFlight: inFlight.count(c),
      })),
      pinnedUsers: writerPins.size,
    };
  };

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    clearInterval(sweepTimer);
    // Kept writes are answered (503, retryable) rather than left to the forced close below.
    heldWrites.expireAll();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // In-flight requests finish; a client's idle keep-alive connection must not keep stop() waiting.
    const forced = setTimeout(() => server.closeAllConnections(), upstreamTimeoutMs + 1_000);
    await closed;
    clearTimeout(forced);
    await stageState.stop();
    await sweep;
    await shadow.stop();
    for (const agent of Object.values(shadowAgents)) agent.destroy();
    await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
  };

  return {
    port: (server.address() as AddressInfo).port,
    health,
    stop: () => (stopping ??= stop()),
  };
}

/** A copy of an answer's whole body for `done`, or null when it is larger than `limit`. */
function bodyTap(limit: number, done: (body: Buffer | null) => void): BodyTap {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    data(chunk) {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    },
    end() {
      done(size <= limit ? Buffer.concat(chunks, size) : null);
    },
  };
}

/** The user id an answer names at `field` (sign-up, sign-in), if it is one the route table would take. */
function userIdIn(body: Buffer | null, field: string): string | null {
  if (body === null) return null;
  const value = fieldOf(parseJson(body), field);
  const id = typeof value === 'number' ? String(value) : value;
  return typeof id === 'string' && isUserId(id) ? id : null;
}

function fieldOf(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
