/** What the forward sync has applied of one legacy row (cdc's `GET /sync/forward/users/:id`). */
export interface ForwardPosition {
  /** Legacy's commit time of the newest change of the row the forward sync has processed; null when none yet. */
  readonly sourceCommittedAt: Date | null;
}

export interface ForwardSyncPositions {
  forwardPosition(userId: string): Promise<ForwardPosition>;
}

/** Whether legacy has a user's row yet (cdc's `GET /sync/reverse/users/:id`): the reverse sync's part. */
export interface LegacyExistence {
  legacyHasUser(userId: string): Promise<boolean>;
}

/** The cdc workers' HTTP API, as far as the data plane needs it. */
export class CdcClient implements ForwardSyncPositions, LegacyExistence {
  private readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 1_000,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async forwardPosition(userId: string): Promise<ForwardPosition> {
    const response = await fetch(`${this.baseUrl}/sync/forward/users/${encodeURIComponent(userId)}`, { signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`cdc answered ${response.status} for the forward position of a user`);
    const body = JSON.parse(text) as { sourceCommittedAt?: string | null };
    return { sourceCommittedAt: typeof body.sourceCommittedAt === 'string' ? new Date(body.sourceCommittedAt) : null };
  }

  async legacyHasUser(userId: string): Promise<boolean> {
    const response = await fetch(`${this.baseUrl}/sync/reverse/users/${encodeURIComponent(userId)}`, { signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`cdc answered ${response.status} for a user's legacy row`);
    return (JSON.parse(text) as { legacyRowExists?: unknown }).legacyRowExists === true;
  }
}
