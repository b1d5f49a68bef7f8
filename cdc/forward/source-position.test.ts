import { SourcePosition, SourceUnavailable, type WalPositionSource } from './source-position';

/** A legacy pool whose queries the test answers one by one, with one clock for arrivals and starts. */
class ScriptedLegacy implements WalPositionSource {
  tick = 0;
  readonly queries: { startedAt: number; text: string; timeoutMs: number; answer(lsn: string): void; fail(error: Error): void; settled: boolean }[] = [];
  inFlight = 0;
  maxInFlight = 0;

  query(config: { text: string; query_timeout: number }): Promise<{ rows: { lsn: string }[] }> {
    return new Promise((resolve, reject) => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const query = {
        startedAt: ++this.tick,
        text: config.text,
        timeoutMs: config.query_timeout,
        settled: false,
        answer: (lsn: string) => settle(() => resolve({ rows: [{ lsn }] })),
        fail: (error: Error) => settle(() => reject(error)),
      };
      const settle = (how: () => void) => {
        if (query.settled) return;
        query.settled = true;
        this.inFlight--;
        how();
      };
      this.queries.push(query);
    });
  }

  pending() {
    return this.queries.filter((q) => !q.settled);
  }
}

/** Lets the coalescer's promise chains run (a settled query starts the next one a few microtasks later). */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('SourcePosition: coalesced, but never answered by a query that began before the caller', () => {
  test('write-answered-by-earlier-query-never: callers arriving during a query get the next one', async () => {
    const legacy = new ScriptedLegacy();
    const position = new SourcePosition(legacy, 1_000);
    const answers: Record<string, bigint> = {};
    const ask = (who: string) => position.now().then((lsn) => { answers[who] = lsn; });

    const a = ask('a');
    expect(legacy.queries).toHaveLength(1);
    expect(legacy.queries[0]!.text).toBe('SELECT pg_current_wal_lsn()::text AS lsn');
    expect(legacy.queries[0]!.timeoutMs).toBe(1_000);
    // b and c arrive while the first query is under way: it may have read the WAL before their writes committed.
    const b = ask('b');
    const c = ask('c');
    await flush();
    expect(legacy.queries).toHaveLength(1);

    legacy.queries[0]!.answer('0/10');
    await a;
    await flush();
    expect(answers).toEqual({ a: 0x10n });
    // One query for both of them, begun after they arrived.
    expect(legacy.queries).toHaveLength(2);
    const d = ask('d');
    await flush();
    expect(legacy.queries).toHaveLength(2);

    legacy.queries[1]!.answer('0/20');
    await Promise.all([b, c]);
    await flush();
    expect(answers).toEqual({ a: 0x10n, b: 0x20n, c: 0x20n });
    expect(answers.d).toBeUndefined();
    expect(legacy.queries).toHaveLength(3);
    legacy.queries[2]!.answer('1/0');
    await d;
    expect(answers.d).toBe(1n << 32n);
    expect(legacy.maxInFlight).toBe(1);

    // Nothing under way: the next caller starts a query at once.
    const e = position.now();
    expect(legacy.queries).toHaveLength(4);
    legacy.queries[3]!.answer('1/1');
    expect(await e).toBe((1n << 32n) + 1n);
  });

  test('every caller is answered by a query that started after it arrived, under any interleaving', async () => {
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let round = 0; round < 50; round++) {
      const legacy = new ScriptedLegacy();
      const position = new SourcePosition(legacy, 1_000);
      const callers: { arrivedAt: number; answeredBy?: number; failed?: boolean }[] = [];
      const calls: Promise<void>[] = [];
      for (let step = 0; step < 40; step++) {
        if (random() < 0.6) {
          const caller: (typeof callers)[number] = { arrivedAt: ++legacy.tick };
          callers.push(caller);
          // Each query answers with its own start tick as the position, so the answer names its query.
          calls.push(position.now().then((lsn) => { caller.answeredBy = Number(lsn); }, () => { caller.failed = true; }));
        } else {
          const query = legacy.pending()[0];
          if (query) {
            if (random() < 0.1) query.fail(new Error('connection reset'));
            else query.answer(`0/${query.startedAt.toString(16)}`);
          }
        }
        await flush();
      }
      for (let guard = 0; legacy.pending().length > 0 && guard < 100; guard++) {
        const query = legacy.pending()[0]!;
        query.answer(`0/${query.startedAt.toString(16)}`);
        await flush();
      }
      await Promise.all(calls);
      expect(legacy.maxInFlight).toBeLessThanOrEqual(1);
      for (const caller of callers) {
        if (caller.failed) continue;
        expect(caller.answeredBy).toBeGreaterThan(caller.arrivedAt);
      }
      // Coalesced: fewer queries than callers whenever callers overlapped.
      expect(legacy.queries.length).toBeLessThanOrEqual(callers.length);
    }
  });

  test('legacy-down-answers-source-unavailable: a failed query fails only its own callers, the next one still runs', async () => {
    const legacy = new ScriptedLegacy();
    const position = new SourcePosition(legacy, 1_000);
    const first = position.now();
    const second = position.now();
    legacy.queries[0]!.fail(new Error('connect ECONNREFUSED 127.0.0.1:55432'));
    await expect(first).rejects.toBeInstanceOf(SourceUnavailable);
    await expect(first).rejects.toThrow(/could not be read: connect ECONNREFUSED/);
    await flush();
    legacy.queries[1]!.answer('0/42');
    expect(await second).toBe(0x42n);
  });

  test('legacy-hung-answers-within-the-timeout: a query that never returns fails after the timeout and frees the next', async () => {
    const legacy = new ScriptedLegacy();
    const position = new SourcePosition(legacy, 30);
    const started = Date.now();
    const hung = position.now();
    const waiting = position.now();
    await expect(hung).rejects.toThrow(/not read within 30 ms/);
    expect(Date.now() - started).toBeLessThan(1_000);
    await flush();
    expect(legacy.queries).toHaveLength(2);
    legacy.queries[1]!.answer('0/43');
    expect(await waiting).toBe(0x43n);
  });

  test('a position PostgreSQL cannot have printed is not a position', async () => {
    const legacy = new ScriptedLegacy();
    const position = new SourcePosition(legacy, 1_000);
    const answer = position.now();
    legacy.queries[0]!.answer('not-an-lsn');
    await expect(answer).rejects.toBeInstanceOf(SourceUnavailable);
  });
});
