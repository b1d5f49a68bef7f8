/** A PostgreSQL WAL position (`pg_lsn` text, "16/B374D848") as a number that orders the same way. */
export function lsnValue(lsn: string): bigint {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(lsn);
  if (!match) throw new Error(`not a WAL position: ${lsn}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function isLsn(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i.test(value);
}

/** The later of two positions; null (not known yet) stands for "later than any". */
export function laterLsn(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return null;
  return lsnValue(a) >= lsnValue(b) ? a : b;
}
