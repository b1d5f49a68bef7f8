// The cdc workers as the control plane sees them: their /healthz (for the guards) and their drain
// endpoints (for the write flips), over HTTP only, since the proxy shares no code with cdc/.
import { z } from 'zod';
import { CdcAddresses } from '../cdc-addresses';
import type { SyncFacts } from './promotion-guards';
import type { SyncDirection } from './stage-transitions';

const healthBody = z.object({
  status: z.string(),
  workers: z.array(
    z.object({
      name: z.string(),
      state: z.string(),
      healthy: z.boolean(),
      backlog: z.number().nullable(),
      lastLagSeconds: z.number().nullable().optional(),
      reason: z.string().optional(),
    }),
  ),
});

// Duck-typed: fetch's errors may come from another realm (undici under jest's vm), where instanceof fails.
const messageOf = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string' ? (value as { message: string }).message : undefined;
function describe(error: unknown): string {
  const cause = messageOf((error as { cause?: unknown } | null)?.cause);
  return `${messageOf(error) ?? String(error)}${cause ? `: ${cause}` : ''}`;
}

/**
 * Never throws: an unreachable or garbled cdc is a fact the guards report, not an error of the API.
 * `cdcUrl` is STRANGLER_CDC_URL: the first cdc process that answers reports (cdc-addresses.ts).
 */
export async function fetchSyncFacts(cdcUrl: string, timeoutMs: number): Promise<SyncFacts> {
  let response: Response;
  let answered = cdcUrl;
  try {
    response = await new CdcAddresses(cdcUrl).call((base) => {
      answered = base;
      return fetch(`${base}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    });
  } catch (error) {
    return { reachable: false, reason: `GET ${answered}/healthz failed: ${describe(error)}` };
  }
  // 503 is an unhealthy report with the same body; each worker's state is what the guards read.
  const parsed = healthBody.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) return { reachable: false, reason: `GET ${answered}/healthz answered ${response.status} without a worker report` };
  return { reachable: true, workers: parsed.data.workers };
}

export type DrainOutcome =
  | { readonly drained: true; readonly direction: SyncDirection; readonly sourceLsn: string | null; readonly tookMs: number }
  | { readonly drained: false; readonly timedOut: boolean; readonly reason: string };

/**
 * Asks the losing direction to apply everything its source had committed when the call arrived. A cdc
 * that cannot be reached, refuses, or answers anything but 200 has not drained. `cdcUrl` is
 * STRANGLER_CDC_URL: a cdc process that dies mid-drain (the call reset) hands the drain to the next one,
 * which starts it again from the source's position then (a later one: writes are held, so nothing is missed).
 */
export async function drainSync(cdcUrl: string, direction: SyncDirection, token: string, timeoutMs: number): Promise<DrainOutcome> {
  let url = `${cdcUrl}/sync/${direction}/drain`;
  let response: Response;
  try {
    response = await new CdcAddresses(cdcUrl).call((base) => {
      url = `${base}/sync/${direction}/drain`;
      return fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ timeoutMs }),
        // The cdc bounds the drain itself; this bounds a cdc that stopped answering.
        signal: AbortSignal.timeout(timeoutMs + 5_000),
      });
    });
  } catch (error) {
    const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError';
    return { drained: false, timedOut, reason: `POST ${url} failed: ${describe(error)}` };
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.status === 200 && typeof body === 'object' && body !== null && (body as { drained?: unknown }).drained === true) {
    const { sourceLsn, tookMs } = body as { sourceLsn?: unknown; tookMs?: unknown };
    return { drained: true, direction, sourceLsn: typeof sourceLsn === 'string' ? sourceLsn : null, tookMs: typeof tookMs === 'number' ? tookMs : 0 };
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const detail = error ? `${String(error.code)}: ${String(error.message)}` : `status ${response.status}`;
  return { drained: false, timedOut: response.status === 504, reason: `the ${direction} sync did not drain (${detail})` };
}
