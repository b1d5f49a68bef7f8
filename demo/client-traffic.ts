/**
 * Steady client traffic through the proxy for the whole walk: reads, changes, sign-ups, sign-ins and a few
 * erasures of random users at a fixed rate. Every acknowledged write goes into the ledger; a write held
 * during a promotion's drain is retried after Retry-After and counted apart; anything else unexpected is a
 * failure, kept with a few samples for the summary.
 */
import { changeBody, CONTEXT_OF, judge, pickOperation, retryAfterMs, type Mix, type Operation, type Verdict } from './traffic-mix';
import { RESOURCE_OF, type ContextName, type WriteLedger } from './write-ledger';

export interface KnownUser {
  id: number;
  email: string;
  password: string;
  active: boolean;
}

export interface TrafficSettings {
  /**
   * The proxy instances, each request to the next in turn. A request an instance refused to connect (never
   * sent: it is down) goes to the next one, as a client behind a load balancer would.
   */
  proxyUrls: readonly string[];
  ratePerSecond: number;
  maxInFlight: number;
  mix: Mix;
  /** Makes this run's emails unique, so a second run never meets the first one's. */
  runTag: string;
  random: () => number;
  /** How long a held write is retried before it counts as failed. */
  holdPatienceMs: number;
  /**
   * The fault (demo --chaos) a failed request is explained by, when it failed while one was injected and
   * recovered from (`chaos.ts`): it is counted against that fault, not against the migration.
   */
  explainFailure?: (startedAt: number, endedAt: number) => string | undefined;
}

export interface FailureSample {
  operation: Operation;
  request: string;
  status: number | string;
  code?: string;
}

export interface TrafficStats {
  requests: number;
  byContext: Record<ContextName, Record<Verdict, number>>;
  /** Held answers (each retry of a held write counts once). */
  held: number;
  /** Failed because of the migration: not explained by an injected fault. */
  failed: number;
  failures: FailureSample[];
  /** Requests that failed, and held answers, while a fault was injected, by fault (demo --chaos). */
  duringFaults: Record<string, { failed: number; held: number }>;
  /** Requests one proxy instance refused to connect, sent to another. */
  rerouted: number;
  signUps: number;
  erasures: number;
}

const emptyVerdicts = (): Record<Verdict, number> => ({ ok: 0, refused: 0, held: 0, failed: 0 });

export const emptyTrafficStats = (): TrafficStats => ({
  requests: 0,
  byContext: { identity: emptyVerdicts(), profile: emptyVerdicts(), preferences: emptyVerdicts() },
  held: 0,
  failed: 0,
  failures: [],
  duringFaults: {},
  rerouted: 0,
  signUps: 0,
  erasures: 0,
});

class UserPool {
  private readonly ids: number[] = [];
  private readonly users = new Map<number, KnownUser>();
  /** Users with a write in flight: one at a time per user, so answers arrive in commit order. */
  private readonly busy = new Set<number>();

  add(user: KnownUser): void {
    if (!this.users.has(user.id)) this.ids.push(user.id);
    this.users.set(user.id, user);
  }

  remove(id: number): void {
    this.users.delete(id);
    const at = this.ids.indexOf(id);
    if (at >= 0) this.ids.splice(at, 1);
  }

  get(id: number): KnownUser | undefined {
    return this.users.get(id);
  }

  /** Any user still there (reads may meet a user another client is writing). */
  anyone(random: () => number): KnownUser | undefined {
    if (this.ids.length === 0) return undefined;
    return this.users.get(this.ids[Math.floor(random() * this.ids.length)]!);
  }

  /** A user nobody is writing, taken until `release`; a few tries, then none (the write is skipped). */
  take(random: () => number): KnownUser | undefined {
    for (let attempt = 0; attempt < 8; attempt++) {
      const user = this.anyone(random);
      if (user && !this.busy.has(user.id)) {
        this.busy.add(user.id);
        return user;
      }
    }
    return undefined;
  }

  release(id: number): void {
    this.busy.delete(id);
  }

  get size(): number {
    return this.ids.length;
  }
}

interface Exchange {
  /** When the request (its first attempt) was sent and its answer came: what a fault's window is matched to. */
  startedAt: number;
  endedAt: number;
  status: number | string;
  code?: string;
  body?: Record<string, unknown>;
  retryAfter: string | null;
}

export class ClientTraffic {
  readonly stats: TrafficStats = emptyTrafficStats();
  private readonly pool = new UserPool();
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private issued = 0;
  private startedAt = 0;
  private serial = 0;

  constructor(private readonly settings: TrafficSettings, private readonly ledger: WriteLedger, users: readonly KnownUser[]) {
    for (const user of users) this.pool.add(user);
  }

  start(): void {
    this.startedAt = Date.now();
    this.issued = 0;
    this.timer = setInterval(() => this.tick(), 20);
  }

  /** Stops issuing and waits for every request in flight (held writes included) to finish. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private tick(): void {
    const due = Math.floor(((Date.now() - this.startedAt) / 1000) * this.settings.ratePerSecond) - this.issued;
    for (let i = 0; i < due; i++) {
      this.issued += 1;
      // Over the in-flight bound the request is skipped, not queued: a slow moment must not become a burst.
      if (this.inFlight.size >= this.settings.maxInFlight) continue;
      const running = this.runOne(pickOperation(this.settings.mix, this.settings.random)).finally(() => this.inFlight.delete(running));
      this.inFlight.add(running);
    }
  }

  private nextProxy = 0;

  /** The request to the next proxy instance; one that refuses the connection hands it to the following one. */
  private async fetchAny(path: string, init: RequestInit): Promise<Response> {
    const { proxyUrls } = this.settings;
    for (let tried = 1; ; tried++) {
      const url = proxyUrls[this.nextProxy++ % proxyUrls.length]!;
      try {
        return await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
      } catch (error) {
        // Refused: nothing was sent, so any request may go elsewhere. A reset or a timeout may have been acted on.
        if (tried >= proxyUrls.length || (error as { cause?: { code?: unknown } }).cause?.code !== 'ECONNREFUSED') throw error;
        this.stats.rerouted += 1;
      }
    }
  }

  private async send(method: string, path: string, body?: unknown): Promise<Exchange> {
    this.stats.requests += 1;
    const startedAt = Date.now();
    try {
      const res = await this.fetchAny(path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        parsed = undefined; // not JSON: judged by its status alone
      }
      const code = (parsed?.error as { code?: string } | undefined)?.code;
      return { startedAt, endedAt: Date.now(), status: res.status, code, body: parsed, retryAfter: res.headers.get('retry-after') };
    } catch (error) {
      return { startedAt, endedAt: Date.now(), status: error instanceof Error ? error.name : 'network error', retryAfter: null };
    }
  }

  /** Sends a write, retrying while the proxy holds the context's writes; returns the final answer. */
  private async write(operation: Operation, method: string, path: string, body?: unknown): Promise<Exchange> {
    const context = CONTEXT_OF[operation];
    const patience = Date.now() + this.settings.holdPatienceMs;
    for (let startedAt: number | undefined; ;) {
      const answer = await this.send(method, path, body);
      startedAt ??= answer.startedAt;
      if (typeof answer.status !== 'number' || judge(operation, { status: answer.status, errorCode: answer.code }) !== 'held' || Date.now() > patience) return { ...answer, startedAt };
      const fault = this.settings.explainFailure?.(answer.startedAt, answer.endedAt);
      if (fault !== undefined) this.duringFault(fault).held += 1;
      else {
        this.stats.held += 1;
        this.stats.byContext[context].held += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs(answer.retryAfter)));
    }
  }

  private duringFault(fault: string): { failed: number; held: number } {
    return (this.stats.duringFaults[fault] ??= { failed: 0, held: 0 });
  }

  private count(operation: Operation, request: string, answer: Exchange, accountActive = true): Verdict {
    const context = CONTEXT_OF[operation];
    const verdict = typeof answer.status === 'number' ? judge(operation, { status: answer.status, errorCode: answer.code }, accountActive) : 'failed';
    // A write still held after the patience ran out is a failure like any other.
    const final = verdict === 'held' ? 'failed' : verdict;
    const fault = final === 'failed' ? this.settings.explainFailure?.(answer.startedAt, answer.endedAt) : undefined;
    if (fault !== undefined) {
      this.duringFault(fault).failed += 1;
      return final;
    }
    this.stats.byContext[context][final] += 1;
    if (final === 'failed') {
      this.stats.failed += 1;
      if (this.stats.failures.length < 20) this.stats.failures.push({ operation, request, status: answer.status, code: answer.code });
    }
    return final;
  }

  private async runOne(operation: Operation): Promise<void> {
    const { random, runTag } = this.settings;
    const context = CONTEXT_OF[operation];
    if (operation.startsWith('read-')) {
      const user = this.pool.anyone(random);
      if (!user) return;
      const path = `/api/users/${user.id}/${RESOURCE_OF[context]}`;
      // A user erased while this read was in flight answers 404 rightly; only a user still there counts.
      const answer = await this.send('GET', path);
      if (answer.status === 404 && !this.pool.get(user.id)) return;
      this.count(operation, `GET ${path}`, answer);
      return;
    }
    if (operation === 'sign-up') {
      const n = (this.serial += 1);
      const email = `demo-${runTag}-signup-${n}@example.com`;
      const password = `demo-password-${n}`;
      const answer = await this.write(operation, 'POST', '/api/users', { email, password, displayName: `Demo sign-up ${n}` });
      if (this.count(operation, 'POST /api/users', answer) === 'ok' && answer.body) {
        const id = Number(answer.body.id);
        this.ledger.recordSignUp(id, answer.body);
        this.pool.add({ id, email, password, active: answer.body.status === 'active' });
        this.stats.signUps += 1;
      }
      return;
    }
    const user = this.pool.take(random);
    if (!user) return;
    try {
      if (operation === 'sign-in') {
        const answer = await this.write(operation, 'POST', '/api/sessions', { email: user.email, password: user.password });
        this.count(operation, `POST /api/sessions (user ${user.id})`, answer, user.active);
        return;
      }
      if (operation === 'erase') {
        const path = `/api/users/${user.id}`;
        // Out of the pool first: reads must not expect a user that is on its way out.
        this.pool.remove(user.id);
        const answer = await this.write(operation, 'DELETE', path);
        if (this.count(operation, `DELETE ${path}`, answer) === 'ok') {
          this.ledger.recordErasure(user.id);
          this.stats.erasures += 1;
        } else {
          this.ledger.recordUncertain(user.id, 'identity');
        }
        return;
      }
      const n = (this.serial += 1);
      const body = changeBody(context, n, runTag, random);
      const path = `/api/users/${user.id}/${RESOURCE_OF[context]}`;
      const answer = await this.write(operation, 'PATCH', path, body);
      const verdict = this.count(operation, `PATCH ${path}`, answer);
      if (verdict === 'ok' && answer.body) {
        this.ledger.recordChange(user.id, context, Object.keys(body), answer.body);
        if (typeof answer.body.email === 'string') user.email = body.email as string;
      } else if (verdict === 'failed') {
        // The write may or may not have committed: the client cannot know, so neither can the check.
        this.ledger.recordUncertain(user.id, context);
        // Nor which email or status signs this user in now: no more sign-ins, or their failure would be ours.
        if (context === 'identity') this.pool.remove(user.id);
      }
    } finally {
      this.pool.release(user.id);
    }
  }
}
