import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { ContextStageRecord } from './stages';

/**
 * One proxy instance's lease in control.proxy_instances, from the instance's side. The hand-over protocol
 * (proxy/admin/hold-confirmation.ts) relies on two facts this module keeps:
 *
 * 1. An instance reads the stages only after its registration has committed (two statements, in that
 *    order). A hand-over checks the instances after its hold has committed, so an instance it did not see
 *    registered after that check, and its first read shows the hold.
 * 2. A renewal and the read of the stages are one statement, and a renewal of a fenced row (one a
 *    hand-over has waited out) fails: such an instance registers afresh, under a new id, before it acts on
 *    anything it reads.
 */
export interface LeaseIdentity {
  readonly host: string;
  readonly pid: number;
}

export class InstanceLease {
  private id: string | null = null;

  constructor(
    private readonly control: Pool,
    private readonly identity: LeaseIdentity,
    private readonly leaseMs: number,
  ) {}

  /** The instance's id while it is registered; null before, and after it found itself fenced. */
  get instanceId(): string | null {
    return this.id;
  }

  /** A new row under a new id; lapsed rows older than an hour are trimmed on the way (operators see the rest). */
  async register(): Promise<string> {
    const id = randomUUID();
    await this.control.query(
      `WITH trimmed AS (DELETE FROM control.proxy_instances WHERE lease_expires_at < now() - interval '1 hour')
       INSERT INTO control.proxy_instances (instance_id, host, pid, renewed_at, lease_expires_at)
       VALUES ($1, $2, $3, now(), now() + $4 * interval '1 millisecond')`,
      [id, this.identity.host, this.identity.pid, this.leaseMs],
    );
    this.id = id;
    return id;
  }

  /**
   * Renews the lease, reporting the versions this instance has confirmed, and reads the stages in the same
   * statement. `renewed` is false when the row is fenced or gone: the lease is lost for good, and the next
   * call must register first.
   */
  async renewAndRead(confirmedVersions: Readonly<Record<string, number>>): Promise<{ renewed: boolean; rows: ContextStageRecord[] }> {
    if (this.id === null) throw new Error('the instance is not registered');
    const { rows } = await this.control.query<ContextStageRecord & { renewed: number }>(
      `WITH renewed AS (
         UPDATE control.proxy_instances
            SET renewed_at = now(), lease_expires_at = now() + $2 * interval '1 millisecond', confirmed_versions = $3::jsonb
          WHERE instance_id = $1 AND fenced_at IS NULL
          RETURNING 1)
       SELECT context, stage, canary_percent, version, changed_at, writes_held_since, (SELECT count(*) FROM renewed)::int AS renewed
         FROM control.context_stages`,
      [this.id, this.leaseMs, JSON.stringify(confirmedVersions)],
    );
    // No stage rows at all is a broken control plane, refused by the caller; the lease counts as lost.
    const renewed = (rows[0]?.renewed ?? 0) > 0;
    if (!renewed) this.id = null;
    return { renewed, rows };
  }

  /** A clean stop: the row goes, so no hand-over waits for an instance that forwards nothing any more. */
  async release(): Promise<void> {
    if (this.id === null) return;
    const id = this.id;
    this.id = null;
    await this.control.query('DELETE FROM control.proxy_instances WHERE instance_id = $1', [id]);
  }
}
