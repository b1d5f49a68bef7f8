/**
 * What the demo's clients were told about their writes, so the end of the walk can check that every
 * acknowledged write is on both sides: legacy's row and the user-service's contexts must agree with the last
 * answer each user got, and an erased user must be gone from both. The traffic never has two writes of one
 * user in flight at once, so the order of the answers is the order of the commits.
 */
import { CONTEXTS, type Context } from '../proxy/stages/stages';

export { CONTEXTS };
export type ContextName = Context;

/** The public API's resource of each context, as the routes name it. */
export const RESOURCE_OF: Readonly<Record<ContextName, 'account' | 'profile' | 'preferences'>> = {
  identity: 'account',
  profile: 'profile',
  preferences: 'preferences',
};

type Fields = Record<string, unknown>;

export interface UserExpectation {
  readonly userId: number;
  /** Per context, the fields the client set and the values it was told, the last answer winning. */
  readonly fields: Readonly<Partial<Record<ContextName, Readonly<Fields>>>>;
  readonly erased: boolean;
  /** Contexts with a write whose outcome the client never learned (timeout, reset): not comparable. */
  readonly uncertain: ReadonlySet<ContextName>;
}

/** One side's answers for a user: the resource's JSON per context, or null for a 404. */
export type SideState = Readonly<Partial<Record<ContextName, Readonly<Fields> | null>>>;

interface Entry {
  fields: Partial<Record<ContextName, Fields>>;
  erased: boolean;
  uncertain: Set<ContextName>;
}

export class WriteLedger {
  private readonly entries = new Map<number, Entry>();
  private acknowledged = 0;

  private entry(userId: number): Entry {
    let entry = this.entries.get(userId);
    if (!entry) {
      entry = { fields: {}, erased: false, uncertain: new Set() };
      this.entries.set(userId, entry);
    }
    return entry;
  }

  /** A 200 to a PATCH: the fields the client sent, with the values the answer gave for them. */
  recordChange(userId: number, context: ContextName, sent: readonly string[], answer: Readonly<Fields>): void {
    const entry = this.entry(userId);
    const fields = (entry.fields[context] ??= {});
    for (const name of sent) fields[name] = answer[name];
    this.acknowledged += 1;
  }

  /** A 201 to a sign-up: the account exists with the email and status the answer gave. */
  recordSignUp(userId: number, answer: Readonly<Fields>): void {
    this.entry(userId).fields.identity = { email: answer.email, status: answer.status };
    this.acknowledged += 1;
  }

  /** A 204 to a DELETE: the user is gone everywhere. */
  recordErasure(userId: number): void {
    this.entry(userId).erased = true;
    this.acknowledged += 1;
  }

  recordUncertain(userId: number, context: ContextName): void {
    this.entry(userId).uncertain.add(context);
  }

  get acknowledgedWrites(): number {
    return this.acknowledged;
  }

  expectations(): UserExpectation[] {
    return [...this.entries].map(([userId, e]) => ({ userId, fields: e.fields, erased: e.erased, uncertain: e.uncertain }));
  }
}

function sameValue(expected: unknown, observed: unknown): boolean {
  return JSON.stringify(expected ?? null) === JSON.stringify(observed ?? null);
}

/**
 * The differences between what a user's client was told and what one side holds, in words (ids and field
 * names only, never values: emails are personal data). Empty when the side agrees.
 */
export function differencesFrom(expectation: UserExpectation, side: SideState, sideName: string): string[] {
  const differences: string[] = [];
  const who = `user ${expectation.userId} on ${sideName}`;
  if (expectation.erased) {
    for (const context of CONTEXTS) {
      const observed = side[context];
      if (observed !== undefined && observed !== null) differences.push(`${who}: erased, but its ${RESOURCE_OF[context]} is still there`);
    }
    return differences;
  }
  for (const context of CONTEXTS) {
    const fields = expectation.fields[context];
    if (!fields || expectation.uncertain.has(context)) continue;
    const observed = side[context];
    if (observed === undefined) continue;
    if (observed === null) {
      differences.push(`${who}: ${RESOURCE_OF[context]} missing (404)`);
      continue;
    }
    for (const [name, value] of Object.entries(fields)) {
      if (!sameValue(value, observed[name])) differences.push(`${who}: ${RESOURCE_OF[context]}.${name} differs from what the client was told`);
    }
  }
  return differences;
}
