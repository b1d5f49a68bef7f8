import { CdcAddresses } from './cdc-addresses';
import { isLsn } from './read-your-writes/lsn';

/** How far the forward sync has got, as read-your-writes needs it (cdc's sync API). */
export interface ForwardSyncProgress {
  /** Legacy's WAL position now: asked after a write's answer, it is at or past that write's commit. */
  sourcePosition(): Promise<string>;
  /** Whether the forward sync has applied everything of the user's capture partition up to `lsn`. */
  caughtUp(userId: string, lsn: string): Promise<boolean>;
}

/** Whether legacy has a user's row yet (cdc's `GET /sync/reverse/users/:id`): the reverse sync's part. */
export interface LegacyExistence {
  legacyHasUser(userId: string): Promise<boolean>;
}

/** The cdc workers' HTTP API, as far as the data plane needs it; `cdcUrl` is STRANGLER_CDC_URL (cdc-addresses.ts). */
export class CdcClient implements ForwardSyncProgress, LegacyExistence {
  private readonly addresses: CdcAddresses;
  private position: { readonly startedAt: number; readonly answer: Promise<string> } | undefined;

  constructor(
    cdcUrl: string,
    private readonly timeoutMs = 1_000,
  ) {
    this.addresses = new CdcAddresses(cdcUrl);
  }

  /**
   * Many writes are answered at once; they share a call, but only one that started after the caller asked:
   * a call already under way may have read the position before the caller's write committed.
   */
  sourcePosition(): Promise<string> {
    const askedAt = performance.now();
    if (this.position && this.position.startedAt > askedAt) return this.position.answer;
    const startedAt = performance.now();
    const answer = this.get('/sync/forward/source-position').then((body) => {
      const lsn = (body as { lsn?: unknown }).lsn;
      if (!isLsn(lsn)) throw new Error('cdc answered no WAL position');
      return lsn;
    });
    const call = { startedAt, answer };
    this.position = call;
    void answer.finally(() => {
      if (this.position === call) this.position = undefined;
    }).catch(() => undefined);
    return answer;
  }

  async caughtUp(userId: string, lsn: string): Promise<boolean> {
    const body = await this.get(`/sync/forward/users/${encodeURIComponent(userId)}/caught-up?lsn=${encodeURIComponent(lsn)}`);
    return (body as { caughtUp?: unknown }).caughtUp === true;
  }

  async legacyHasUser(userId: string): Promise<boolean> {
    const body = await this.get(`/sync/reverse/users/${encodeURIComponent(userId)}`);
    return (body as { legacyRowExists?: unknown }).legacyRowExists === true;
  }

  private async get(path: string): Promise<unknown> {
    const response = await this.addresses.call((base) => fetch(`${base}${path}`, { signal: AbortSignal.timeout(this.timeoutMs) }));
    const text = await response.text();
    if (response.status !== 200) throw new Error(`cdc answered ${response.status} for ${path.split('?')[0]!.replace(/\/\d+(\/|$)/, '/:id$1')}`);
    return JSON.parse(text);
  }
}
