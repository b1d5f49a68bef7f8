/**
 * PostgreSQL WAL positions. The database prints a `pg_lsn` as two hex words ("16/B374D848"); Debezium's
 * `source.lsn` and `source.sequence` carry the same position as one decimal integer. Both read here as the
 * same bigint, which orders as PostgreSQL orders pg_lsn (high word first).
 */
const PG_LSN_TEXT = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

export function isPgLsn(text: unknown): text is string {
  return typeof text === 'string' && PG_LSN_TEXT.test(text);
}

export function parsePgLsn(text: string): bigint {
  const match = PG_LSN_TEXT.exec(text);
  if (!match) throw new Error(`not a pg_lsn: ${JSON.stringify(text.slice(0, 40))}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** As PostgreSQL up to 17 prints it: uppercase, no leading zeros in either word. */
export function formatPgLsn(lsn: bigint): string {
  if (lsn < 0n || lsn > 0xffff_ffff_ffff_ffffn) throw new RangeError(`not a WAL position: ${lsn}`);
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffff_ffffn).toString(16).toUpperCase()}`;
}
