import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';

/** Why a request did not get a whole answer from its upstream; the client sees 504 for `timeout`, 502 otherwise. */
export type UpstreamFailure = 'timeout' | 'unreachable' | 'reset';

/** A copy of an answer's body as it streams to the client; `end` runs before the client's response is ended. */
export interface BodyTap {
  data(chunk: Buffer): void;
  end(): void;
}

/**
 * An answer the client may see only once `release` has resolved (a read-your-writes pin that every proxy
 * instance must be able to see first). The answer is kept whole, up to `limit` bytes, and given to `release`;
 * a larger one is released with null as soon as it passes the limit, then streamed. Status and headers are
 * kept too: with a Content-Length, a client has the whole answer before the response is ended.
 */
export interface HeldAnswer {
  readonly limit: number;
  release(body: Buffer | null): Promise<void>;
}

const isHeld = (answer: BodyTap | HeldAnswer | undefined): answer is HeldAnswer => answer !== undefined && 'release' in answer;

/**
 * What the caller does at each step of an exchange, made once and shared by every request: `T` is the
 * caller's own record of one request, handed back to each call (no closures to build per request on this path).
 */
export interface ForwardHooks<T> {
  /** The request is leaving for the upstream now. */
  sent(state: T): void;
  /** The upstream's status line and headers are in; a tap returned here sees the whole body, a held answer keeps it. */
  answered(state: T, status: number): BodyTap | HeldAnswer | undefined;
  /**
   * No answer, or a broken one. `headersSent` tells whether the client's response had begun: then the
   * caller must cut the connection, because a status already sent cannot be taken back.
   */
  failed(state: T, reason: UpstreamFailure, error: Error, headersSent: boolean): void;
  /** The proxy's own code threw while handling the answer; the upstream request has been aborted. */
  faulted(state: T, error: unknown): void;
  /** The client's response is closed, answered in full or not (`res.writableEnded` tells). */
  closed(state: T): void;
}

export interface UpstreamOptions {
  /** Keep-alive connections to this upstream at most. */
  readonly connections: number;
  /**
   * A connection refused is a failure at once; an upstream silent for this long (connecting, before or between
   * answer chunks) is a timeout. undici checks its timers on a coarse tick (about half a second), so a timeout
   * fires up to that much later.
   */
  readonly timeoutMs: number;
}

// Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection, never forwarded; `expect` is answered by
// node:http itself (100-continue) and undici refuses it; `host` is sent as the client gave it (for an
// absolute-form request, the client port has put the target's authority there: RFC 9112 §3.2.2).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'expect']);

/** The reason an exchange is aborted when its client left; made once, since an abort without one builds a DOMException (and its stack) per call. */
const CLIENT_LEFT = Object.freeze(new Error('the client closed its connection'));

/**
 * One backend of the client port: forwards a request with its body streamed and writes the answer to the
 * client chunk by chunk as it arrives.
 *
 * undici's dispatcher, not http-proxy-middleware, on this path: node:http's client (which http-proxy uses)
 * costs the proxy more CPU per request than everything else it does, and the proxy's own CPU is what limits
 * its throughput (bench/proxy/README.md). The handler interface lets the answer go straight from the
 * upstream socket to the client's response, without a stream object and a pipeline per request. A write is
 * never retried: undici's pool retries nothing unless asked to, and nothing here asks.
 */
export class Upstream {
  private readonly pool: Pool;

  constructor(
    origin: string,
    options: UpstreamOptions,
  ) {
    this.pool = new Pool(origin, {
      connections: options.connections,
      pipelining: 1,
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  /**
   * Takes charge of a client's exchange from now on (its 'close' included); the request leaves when `send` is
   * called, which may be later (a request waiting for the reverse sync) or never (a client that left first).
   */
  exchange<T>(req: IncomingMessage, res: ServerResponse, state: T, hooks: ForwardHooks<T>): UpstreamExchange<T> {
    return new UpstreamExchange(this.pool, req, res, state, hooks);
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

/** One request's trip through the pool, as undici's dispatch handler. */
export class UpstreamExchange<T> implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private clientLeft = false;
  private tap: BodyTap | undefined;
  /** While an answer is held: its head and the body so far. */
  private held: { answer: HeldAnswer; status: number; headers: Record<string, string | string[]>; chunks: Buffer[]; size: number; releasing: boolean; ended: boolean } | undefined;
  private fault = false;

  constructor(
    private readonly pool: Pool,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly state: T,
    private readonly hooks: ForwardHooks<T>,
  ) {
    res.once('close', this.onClose);
  }

  send(): void {
    if (this.clientLeft) return;
    const req = this.req;
    const path = req.url ?? '/';
    // The client port has rewritten an absolute-form target to the origin-form it classified
    // (routing/request-target.ts); any other form here is a bug of ours and is never forwarded as received.
    if (!path.startsWith('/')) return this.hooks.faulted(this.state, new Error(`the request-target ${path} is not origin-form; not forwarded`));
    this.hooks.sent(this.state);
    this.pool.dispatch({ method: req.method ?? 'GET', path, headers: requestHeaders(req), body: hasBody(req) ? req : null }, this);
  }

  // A client that leaves before its answer is complete takes the upstream request with it.
  private readonly onClose = () => {
    if (!this.res.writableEnded) {
      this.clientLeft = true;
      this.controller?.abort(CLIENT_LEFT);
    }
    this.hooks.closed(this.state);
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientLeft) controller.abort(CLIENT_LEFT);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx answers are between node:http and the client; the final one follows.
    if (statusCode < 200) return;
    if (this.clientLeft) return controller.abort(CLIENT_LEFT);
    this.guard(controller, () => {
      const answer = this.hooks.answered(this.state, statusCode);
      if (isHeld(answer)) {
        this.held = { answer, status: statusCode, headers: endToEnd(headers), chunks: [], size: 0, releasing: false, ended: false };
        return;
      }
      this.tap = answer;
      this.res.writeHead(statusCode, endToEnd(headers));
    });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const held = this.held;
    if (held) {
      held.chunks.push(chunk);
      held.size += chunk.length;
      if (held.size > held.answer.limit && !held.releasing) {
        // Too large to keep: released without its body, then streamed from here on.
        controller.pause();
        this.releaseHeld(controller, null);
      }
      return;
    }
    this.guard(controller, () => {
      this.tap?.data(chunk);
      // A slow client slows its upstream read down instead of filling the proxy's memory.
      if (!this.res.write(chunk)) {
        controller.pause();
        this.res.once('drain', () => controller.resume());
      }
    });
  }

  onResponseEnd(controller: Dispatcher.DispatchController): void {
    const held = this.held;
    if (held) {
      held.ended = true;
      if (!held.releasing) this.releaseHeld(controller, Buffer.concat(held.chunks, held.size));
      return;
    }
    this.guard(controller, () => {
      this.tap?.end();
      this.res.end();
    });
  }

  /** Lets a held answer out once its release has resolved: head, what was kept, and the end if it came. */
  private releaseHeld(controller: Dispatcher.DispatchController, body: Buffer | null): void {
    const held = this.held!;
    held.releasing = true;
    held.answer.release(body).then(() => {
      this.held = undefined;
      // The client left, or the upstream failed and the client was answered meanwhile.
      if (this.res.destroyed || this.res.headersSent) return;
      this.guard(controller, () => {
        this.res.writeHead(held.status, held.headers);
        for (const chunk of held.chunks) this.res.write(chunk);
        if (held.ended) this.res.end();
        else controller.resume();
      });
    }, (error: unknown) => {
      this.fault = true;
      this.hooks.faulted(this.state, error);
    });
  }

  /** An exception in here would surface inside undici's socket handling, where nothing answers the client. */
  private guard(controller: Dispatcher.DispatchController, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.fault = true;
      controller.abort(error as Error);
      this.hooks.faulted(this.state, error);
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    // A client that left (mid-upload or mid-answer) is not the upstream's failure; its socket may be gone
    // before its response's 'close' has run.
    const client = this.res.socket;
    if (this.fault || this.clientLeft || error === CLIENT_LEFT || client === null || client.destroyed) return;
    this.hooks.failed(this.state, failureOf(error), error, this.res.headersSent);
  }
}

function failureOf(error: Error & { code?: string }): UpstreamFailure {
  switch (error.code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'timeout';
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unreachable';
    default:
      return 'reset';
  }
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The client's headers minus the hop-by-hop ones, plus where the request came from (X-Forwarded-*). */
function requestHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const headers = endToEnd(req.headers);
  const peer = req.socket.remoteAddress ?? '';
  const previous = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = previous ? `${Array.isArray(previous) ? previous.join(', ') : previous}, ${peer}` : peer;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= String(req.socket.localPort ?? '');
  if (req.headers.host !== undefined) headers['x-forwarded-host'] ??= req.headers.host;
  return headers;
}

/** The headers meant for the far end: without the hop-by-hop ones, nor those the `Connection` header names. */
function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  const named = connectionTokens(headers.connection);
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name)) continue;
    kept[name] = value;
  }
  return kept;
}

/** Headers a `Connection` header names are hop-by-hop too. */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const tokens = (Array.isArray(value) ? value.join(',') : value).split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive');
  return tokens.length === 0 ? undefined : new Set(tokens);
}
