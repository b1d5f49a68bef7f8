// The proxy's instances as the control plane sees them (control.proxy_instances): listed for operators,
// counted for the dashboards, and asked to confirm a write hold before a hand-over goes on.
import type { Pool, PoolClient } from 'pg';
import { Gauge, type Registry } from 'prom-client';

type Queryable = Pick<Pool | PoolClient, 'query'>;

export type LeaseState = 'live' | 'lapsed' | 'fenced';

export interface ProxyInstance {
  readonly instanceId: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly renewedAt: string;
  readonly leaseExpiresAt: string;
  readonly state: LeaseState;
  /** Per context, the stage version the instance acts on with no older write of it still in flight. */
  readonly confirmedVersions: Readonly<Record<string, number>>;
}

const STATE_SQL = `CASE WHEN fenced_at IS NOT NULL THEN 'fenced' WHEN lease_expires_at > now() THEN 'live' ELSE 'lapsed' END`;

export async function listInstances(db: Queryable): Promise<ProxyInstance[]> {
  const { rows } = await db.query(
    `SELECT instance_id, host, pid, started_at, renewed_at, lease_expires_at, confirmed_versions, ${STATE_SQL} AS state
       FROM control.proxy_instances ORDER BY started_at, instance_id`,
  );
  return rows.map((row) => ({
    instanceId: row.instance_id,
    host: row.host,
    pid: row.pid,
    startedAt: (row.started_at as Date).toISOString(),
    renewedAt: (row.renewed_at as Date).toISOString(),
    leaseExpiresAt: (row.lease_expires_at as Date).toISOString(),
    state: row.state,
    confirmedVersions: row.confirmed_versions,
  }));
}

export interface HoldConfirmation {
  /** Instances that confirmed the hold. */
  readonly confirmed: number;
  /** Instances whose lease lapsed while the hold waited for them: fenced, they must register again. */
  readonly fenced: readonly string[];
  readonly tookMs: number;
}

export interface Unconfirmed {
  readonly unconfirmed: readonly { instanceId: string; host: string; pid: number; confirmedVersion: number | null }[];
}

/**
 * Waits until every proxy instance with a live lease has confirmed `version` of `context` (the version the
 * hold gave the context's row), fencing those whose lease has lapsed meanwhile: an instance that neither
 * confirms nor renews is waited out, never guessed about. Fencing and renewing the same row are serialised
 * by its row lock, and a fenced row can never be renewed (proxy/stages/instance-lease.ts), so an instance
 * counted out here cannot come back acting on the stages it read before the hold.
 */
export async function awaitHoldConfirmed(control: Pool, context: string, version: number, { timeoutMs, pollMs = 50 }: { timeoutMs: number; pollMs?: number }): Promise<HoldConfirmation | Unconfirmed> {
  const started = Date.now();
  const fenced: string[] = [];
  for (;;) {
    const { rows } = await control.query<{ instance_id: string; host: string; pid: number; confirmed: number | null; fenced_now: boolean }>(
      `WITH fenced AS (
         UPDATE control.proxy_instances SET fenced_at = now() WHERE fenced_at IS NULL AND lease_expires_at <= now() RETURNING instance_id)
       SELECT i.instance_id, i.host, i.pid, (i.confirmed_versions ->> $1)::bigint AS confirmed, f.instance_id IS NOT NULL AS fenced_now
         FROM control.proxy_instances i LEFT JOIN fenced f USING (instance_id)
        WHERE i.fenced_at IS NULL`,
      [context],
    );
    fenced.push(...rows.filter((row) => row.fenced_now).map((row) => row.instance_id));
    const live = rows.filter((row) => !row.fenced_now);
    const pending = live.filter((row) => row.confirmed === null || Number(row.confirmed) < version);
    if (pending.length === 0) return { confirmed: live.length, fenced, tookMs: Date.now() - started };
    if (Date.now() - started >= timeoutMs) {
      return { unconfirmed: pending.map((row) => ({ instanceId: row.instance_id, host: row.host, pid: row.pid, confirmedVersion: row.confirmed === null ? null : Number(row.confirmed) })) };
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** `strangler_proxy_instances{state}`, read from the control plane at every scrape: the whole fleet, whichever instance answers. */
export function registerInstancesGauge(registry: Registry, control: Pool, onError: (error: unknown) => void): void {
  if (registry.getSingleMetric('strangler_proxy_instances')) return;
  new Gauge({
    name: 'strangler_proxy_instances',
    help: 'Proxy instances in the control plane by lease state: live, lapsed (not renewed in time), fenced (waited out by a hand-over)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const { rows } = await control.query<{ state: LeaseState; n: string }>(`SELECT ${STATE_SQL} AS state, count(*) AS n FROM control.proxy_instances GROUP BY 1`);
        for (const state of ['live', 'lapsed', 'fenced'] as const) this.set({ state }, Number(rows.find((row) => row.state === state)?.n ?? 0));
      } catch (error) {
        // A scrape must not fail with the control plane; the series keep their last values.
        onError(error);
      }
    },
  });
}
