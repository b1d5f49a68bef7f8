/**
 * Polls `probe` until it yields a value, or fails after the deadline: how tests (and the bench) wait on
 * a condition, never on a fixed time. A probe may throw to fail at once (a consumer that crashed);
 * `diagnostics` adds what helps explain a timeout.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 60_000, everyMs = 100, diagnostics = () => '' }: { timeoutMs?: number; everyMs?: number; diagnostics?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      const detail = diagnostics();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `\n${detail}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
