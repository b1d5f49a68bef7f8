/**
 * The client traffic the demo drives through the proxy: which operations, in what proportions, with which
 * bodies, and how an answer is judged. Pure (randomness injected) so the judging rules are unit-tested.
 */
import type { ContextName } from './write-ledger';

export type Operation =
  | 'read-account' | 'read-profile' | 'read-preferences'
  | 'change-account' | 'change-profile' | 'change-preferences'
  | 'sign-up' | 'sign-in' | 'erase';

export type Mix = Readonly<Record<Operation, number>>;

/** Mostly reads, a steady share of writes in every context, a few sign-ups and fewer erasures. */
export const DEFAULT_MIX: Mix = {
  'read-account': 18, 'read-profile': 18, 'read-preferences': 18,
  'change-account': 4, 'change-profile': 12, 'change-preferences': 12,
  'sign-up': 3, 'sign-in': 6, 'erase': 1,
};

export const CONTEXT_OF: Readonly<Record<Operation, ContextName>> = {
  'read-account': 'identity', 'read-profile': 'profile', 'read-preferences': 'preferences',
  'change-account': 'identity', 'change-profile': 'profile', 'change-preferences': 'preferences',
  'sign-up': 'identity', 'sign-in': 'identity', 'erase': 'identity',
};

export const isWrite = (operation: Operation): boolean => !operation.startsWith('read-');

export function pickOperation(mix: Mix, random: () => number): Operation {
  const entries = Object.entries(mix) as [Operation, number][];
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let point = random() * total;
  for (const [operation, weight] of entries) {
    point -= weight;
    if (point < 0) return operation;
  }
  return entries[entries.length - 1]![0];
}

const LOCALES = ['en-US', 'en-GB', 'fr-FR', 'de-DE', 'es-ES', 'pt-BR', 'ja-JP', 'nl-NL'];
const TIME_ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'Europe/Berlin', 'America/Sao_Paulo', 'UTC'];
const THEMES = ['light', 'dark', 'system'];

const pick = <T>(values: readonly T[], random: () => number): T => values[Math.floor(random() * values.length)]!;

/** A PATCH body for a context; `n` makes texts unique so that every change really changes something. */
export function changeBody(context: ContextName, n: number, runTag: string, random: () => number): Record<string, unknown> {
  if (context === 'identity') return { email: `demo-${runTag}-${n}@example.com` };
  if (context === 'profile') {
    const body: Record<string, unknown> = { displayName: `Demo user ${n}` };
    if (random() < 0.5) body.bio = `Walked through the migration, change ${n}.`;
    if (random() < 0.3) body.avatarUrl = `https://avatars.example.com/${runTag}/${n}.png`;
    return body;
  }
  const body: Record<string, unknown> = { locale: pick(LOCALES, random), theme: pick(THEMES, random) };
  if (random() < 0.5) body.timeZone = pick(TIME_ZONES, random);
  if (random() < 0.5) body.marketingEmails = random() < 0.5;
  return body;
}

export type Verdict =
  /** What the client asked for happened. */
  | 'ok'
  /** A 4xx the request deserved (e.g. a suspended account's sign-in): the migration is not to blame. */
  | 'refused'
  /** 503 PROXY.WRITES_HELD during a promotion's drain: retried after Retry-After, counted apart. */
  | 'held'
  /** Anything else: a request that failed because of the migration. */
  | 'failed';

export interface Answer {
  readonly status: number;
  readonly errorCode?: string;
}

const SUCCESS: Readonly<Record<Operation, number>> = {
  'read-account': 200, 'read-profile': 200, 'read-preferences': 200,
  'change-account': 200, 'change-profile': 200, 'change-preferences': 200,
  'sign-up': 201, 'sign-in': 200, 'erase': 204,
};

/**
 * `accountActive`: whether the client last saw the account active (a sign-in of a suspended or closed
 * account is refused with 401 and deserves it; of an active one with the right password it does not).
 */
export function judge(operation: Operation, answer: Answer, accountActive = true): Verdict {
  if (answer.status === SUCCESS[operation]) return 'ok';
  if (answer.status === 503 && answer.errorCode === 'PROXY.WRITES_HELD' && isWrite(operation)) return 'held';
  if (operation === 'sign-in' && answer.status === 401 && !accountActive) return 'refused';
  return 'failed';
}

/** How long to wait before retrying a held write: the Retry-After header's seconds (at most 10), else 1 s. */
export function retryAfterMs(header: string | null): number {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 10) * 1000 : 1000;
}
