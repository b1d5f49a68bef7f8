import type { Logger } from 'pino';
import type { LegacyExistence } from '../cdc-client';

export interface ExistenceGateOptions {
  readonly existence: LegacyExistence;
  readonly logger: Logger;
  /** How often a held request asks cdc again. */
  readonly pollMs: number;
  /** A request is held at most this long; then it goes to legacy as it would have without the gate. */
  readonly maxWaitMs: number;
  /** Bound on the users remembered at once (oldest forgotten first). */
  readonly maxUsers: number;
}

/**
 * Read-your-writes across contexts. Signing up and erasing are identity's routes but create and delete the
 * user in every context; once identity's writes are on the new service, legacy learns of a sign-up or an
 * erasure only when the reverse sync has applied it. A context still served by legacy would meanwhile answer
 * 404 for a user who has just signed up (or show one who has just been erased). So a sign-up or erasure
 * answered by the new service gates that user: their requests bound for legacy wait until cdc reports that
 * legacy's row exists (or is gone), for at most `maxWaitMs`.
 */
export class ExistenceGate {
  private readonly expected = new Map<string, boolean>();

  constructor(private readonly options: ExistenceGateOptions) {}

  /** The new service has just created (true) or erased (false) the user. */
  expect(userId: string, exists: boolean): void {
    this.expected.delete(userId);
    this.expected.set(userId, exists);
    while (this.expected.size > this.options.maxUsers) this.expected.delete(this.expected.keys().next().value as string);
  }

  isGated(userId: string): boolean {
    return this.expected.has(userId);
  }

  clear(): void {
    this.expected.clear();
  }

  /** Resolves once legacy agrees with the new service about the user, or after `maxWaitMs`; never rejects. */
  async waitFor(userId: string): Promise<'agreed' | 'timed-out'> {
    const deadline = Date.now() + this.options.maxWaitMs;
    for (;;) {
      const wanted = this.expected.get(userId);
      if (wanted === undefined) return 'agreed';
      try {
        if ((await this.options.existence.legacyHasUser(userId)) === wanted) {
          if (this.expected.get(userId) === wanted) this.expected.delete(userId);
          return 'agreed';
        }
      } catch (error) {
        this.options.logger.warn({ err: error }, 'could not ask cdc whether legacy has a user yet');
      }
      if (Date.now() >= deadline) return 'timed-out';
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs));
    }
  }
}
