import { createHash } from 'node:crypto';

/**
 * A user's canary bucket, 0..99: the first four bytes of sha256 of the user id, mod 100. It depends on the
 * user alone (not the route, the context or the percentage), so a user served by the new service at 5%
 * still is at 50%, and sees the same side on every route of every context in canary.
 */
export function canaryBucket(userId: string): number {
  return createHash('sha256').update(userId).digest().readUInt32BE(0) % 100;
}

export function inCanary(userId: string, canaryPercent: number): boolean {
  return canaryBucket(userId) < canaryPercent;
}
