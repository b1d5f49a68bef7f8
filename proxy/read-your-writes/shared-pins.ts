import type { Pool } from 'pg';

/**
 * The control plane's record of read-your-writes facts (control.writer_pins, control.existence_gates), so
 * that what one proxy instance learns about a user's write holds on every instance. Every call is bounded in
 * time: a slow control plane must not hang a client's request.
 */
export class SharedPins {
  constructor(
    private readonly control: Pool,
    private readonly timeoutMs = 1_000,
  ) {}

  private query<R extends Record<string, unknown>>(text: string, values: unknown[]) {
    return this.control.query<R>({ text, values, query_timeout: this.timeoutMs } as never);
  }

  /** Pins the user at `lsn` (null: not known yet), keeping the later of this and any pin already there. */
  async pin(userId: string, lsn: string | null): Promise<void> {
    await this.query(
      `INSERT INTO control.writer_pins (usr_id, legacy_lsn) VALUES ($1, $2::pg_lsn)
       ON CONFLICT (usr_id) DO UPDATE SET pinned_at = now(),
         legacy_lsn = CASE WHEN control.writer_pins.legacy_lsn IS NULL OR EXCLUDED.legacy_lsn IS NULL THEN NULL
                           ELSE GREATEST(control.writer_pins.legacy_lsn, EXCLUDED.legacy_lsn) END`,
      [userId, lsn],
    );
  }

  /** The user's pin: undefined for none, null for one whose position is not known yet. */
  async pinOf(userId: string): Promise<string | null | undefined> {
    const { rows } = await this.query<{ legacy_lsn: string | null }>('SELECT legacy_lsn::text FROM control.writer_pins WHERE usr_id = $1', [userId]);
    return rows.length === 0 ? undefined : rows[0]!.legacy_lsn;
  }

  /** Fills in the position of a pin taken without one. */
  async position(userId: string, lsn: string): Promise<void> {
    await this.query('UPDATE control.writer_pins SET legacy_lsn = $2::pg_lsn WHERE usr_id = $1 AND legacy_lsn IS NULL', [userId, lsn]);
  }

  /** Releases the pin, unless a newer write has moved it past `lsn` meanwhile. */
  async release(userId: string, lsn: string): Promise<void> {
    await this.query('DELETE FROM control.writer_pins WHERE usr_id = $1 AND legacy_lsn <= $2::pg_lsn', [userId, lsn]);
  }

  /** The oldest pins, for a sweep that releases the pins of users who stopped reading. */
  async oldest(limit: number): Promise<{ userId: string; lsn: string | null }[]> {
    const { rows } = await this.query<{ usr_id: string; legacy_lsn: string | null }>('SELECT usr_id::text, legacy_lsn::text FROM control.writer_pins ORDER BY pinned_at LIMIT $1', [limit]);
    return rows.map((row) => ({ userId: row.usr_id, lsn: row.legacy_lsn }));
  }

  async count(): Promise<number> {
    const { rows } = await this.query<{ n: string }>('SELECT count(*) AS n FROM control.writer_pins', []);
    return Number(rows[0]!.n);
  }

  /** Every pin goes: no context's reads can outrun its writes any more. */
  async clearPins(): Promise<void> {
    await this.query('DELETE FROM control.writer_pins', []);
  }

  async gate(userId: string, expectLegacyRow: boolean): Promise<void> {
    await this.query(
      `INSERT INTO control.existence_gates (usr_id, expect_legacy_row) VALUES ($1, $2)
       ON CONFLICT (usr_id) DO UPDATE SET expect_legacy_row = EXCLUDED.expect_legacy_row, gated_at = now()`,
      [userId, expectLegacyRow],
    );
  }

  async gateOf(userId: string): Promise<boolean | undefined> {
    const { rows } = await this.query<{ expect_legacy_row: boolean }>('SELECT expect_legacy_row FROM control.existence_gates WHERE usr_id = $1', [userId]);
    return rows[0]?.expect_legacy_row;
  }

  async ungate(userId: string, expectLegacyRow: boolean): Promise<void> {
    await this.query('DELETE FROM control.existence_gates WHERE usr_id = $1 AND expect_legacy_row = $2', [userId, expectLegacyRow]);
  }

  async clearGates(): Promise<void> {
    await this.query('DELETE FROM control.existence_gates', []);
  }
}
