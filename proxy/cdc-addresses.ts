// Where the cdc processes' API answers. Several cdc processes share the sync's partitions (cdc/README.md),
// and any of them can answer every call the proxy makes (drain, health, progress: each reads the shared
// consumer groups and databases, not its own partitions), so STRANGLER_CDC_URL may name several,
// comma-separated, and a call that cannot reach one goes to the next. A dead cdc process must not fail a
// write hand-over that a live one could drain.
import { z } from 'zod';

const address = z.url({ protocol: /^https?$/ });

/** STRANGLER_CDC_URL: one address or several, comma-separated; each must be an http(s) URL. */
export const cdcUrlSetting = z.string().superRefine((value, context) => {
  const parts = value.split(',').map((part) => part.trim());
  parts.forEach((part, index) => {
    if (!address.safeParse(part).success) context.addIssue({ code: 'custom', message: `address ${index + 1} of ${parts.length} (${JSON.stringify(part)}) is not an http(s) URL` });
  });
});

/** The setting's addresses, without trailing slashes. */
export function cdcAddresses(setting: string): string[] {
  return setting.split(',').map((part) => part.trim().replace(/\/+$/, '')).filter((part) => part.length > 0);
}

/**
 * Whether a failed fetch never got an answer from that process: refused, reset or closed mid-call (the
 * process died), as opposed to our own deadline (the call was slow, and another process would be as slow).
 * Duck-typed: fetch's errors may come from another realm (undici under jest's vm), where instanceof fails.
 */
export function isUnreachable(error: unknown): boolean {
  // undici rejects with a TypeError ("fetch failed", the socket error as its cause) when no answer came;
  // our AbortSignal.timeout rejects with a TimeoutError, and a bad answer is ours to throw as another error.
  return (error as { name?: unknown } | null)?.name === 'TypeError';
}

/**
 * The addresses in turn, starting with the last one that answered: `attempt` on each until one does not
 * throw an unreachable error. An HTTP answer of any status is an answer. The last error is thrown when none
 * can be reached.
 */
export class CdcAddresses {
  private readonly all: readonly string[];
  private preferred = 0;

  constructor(setting: string) {
    this.all = cdcAddresses(setting);
    if (this.all.length === 0) throw new Error('STRANGLER_CDC_URL names no address');
  }

  get addresses(): readonly string[] {
    return this.all;
  }

  async call<T>(attempt: (baseUrl: string) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let tried = 0; tried < this.all.length; tried++) {
      const index = (this.preferred + tried) % this.all.length;
      try {
        const answer = await attempt(this.all[index]!);
        this.preferred = index;
        return answer;
      } catch (error) {
        if (!isUnreachable(error)) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }
}
