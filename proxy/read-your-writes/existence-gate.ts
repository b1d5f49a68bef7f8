import type { Logger } from 'pino';
import type { LegacyExistence } from '../cdc-client';
import type { SharedPins } from './shared-pins';

export interface ExistenceGateOptions {
  readonly existence: LegacyExistence;
  /** The control plane's gates, which every instance reads; undefined keeps gates to this instance. */
  readonly shared: SharedPins | undefined;
  readonly logger: Logger;
  /** How often a held request asks cdc again. */
  readonly pollMs: number;
  /** A request is held at most this long; then it goes to legacy as it would have without the gate. */
  readonly maxWaitMs: number;
  /** Bound on the users remembered at once here (oldest forgotten first). */
  readonly maxUsers: number;
}

/**
 * Read-your-writes across contexts, on every instance. Signing up and erasing are identity's routes but
 * create and delete the user in every context; once identity's writes are on the new service, legacy learns
 * of a sign-up or an erasure only when the reverse sync has applied it. A context still served by legacy
 * would meanwhile answer 404 for a user who has just signed up (or show one who has just been erased). So a
 * sign-up or erasure answered by the new service gates that user, in the control plane before the client
 * has the answer: their requests bound for legacy, through any instance, wait until cdc reports that
 * legacy's row exists (or is gone), for at most `maxWaitMs`. The gate is a bounded wait, not a guarantee
 * of the data: a gate that cannot be looked up lets the request go on.
 */
export class ExistenceGate {
  private readonly expected = new Map<string, boolean>();

  constructor(private readonly options: ExistenceGateOptions) {}

  /** The new service has just created (true) or erased (false) the user; resolves once every instance can see it. */
  async expect(userId: string, exists: boolean): Promise<void> {
    this.expected.delete(userId);
    this.expected.set(userId, exists);
    while (this.expected.size > this.options.maxUsers) this.expected.delete(this.expected.keys().next().value as string);
    await this.options.shared?.gate(userId, exists).catch((error: unknown) => this.options.logger.error({ err: error }, 'cannot record an existence gate in the control plane: only this instance knows it'));
  }

  /** What legacy is expected to say about the user, if they are gated here or by another instance. */
  async gateOf(userId: string): Promise<boolean | undefined> {
    const local = this.expected.get(userId);
    if (local !== undefined || !this.options.shared) return local;
    try {
      return await this.options.shared.gateOf(userId);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'cannot look up existence gates: the request goes on');
      return undefined;
    }
  }

  async clear(): Promise<void> {
    this.expected.clear();
    await this.options.shared?.clearGates().catch((error: unknown) => this.options.logger.warn({ err: error }, 'cannot clear the shared existence gates'));
  }

  /** Resolves once legacy agrees with the new service about the user, or after `maxWaitMs`; never rejects. */
  async waitFor(userId: string, wanted: boolean): Promise<'agreed' | 'timed-out'> {
    const deadline = Date.now() + this.options.maxWaitMs;
    for (;;) {
      try {
        if ((await this.options.existence.legacyHasUser(userId)) === wanted) {
          if (this.expected.get(userId) === wanted) this.expected.delete(userId);
          await this.options.shared?.ungate(userId, wanted).catch((error: unknown) => this.options.logger.warn({ err: error }, 'cannot lift an existence gate in the control plane'));
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
