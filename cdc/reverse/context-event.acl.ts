// Anti-corruption layer, the new contexts to legacy: one published event envelope (schemas/events/)
// becomes one write to public.users, once the new service owns a context's writes. Pure; off-shape input is
// a value, never a throw. The state-to-columns functions are exported on their own so the verifier compares
// through the very translation the reverse sync writes with.
import {
  EMAIL_COLUMN_WIDTH,
  MAX_DISPLAY_NAME_CHARACTERS,
  MAX_AVATAR_URL_CHARACTERS,
  MAX_TIME_ZONE_LENGTH,
  PASSWORD_HASH_COLUMN_WIDTH,
  canonicalLocale,
  characterCount,
} from '../forward/context-rules';
import {
  MARKETING_EMAILS_BY_FLAG,
  STATUS_BY_CODE,
  THEME_BY_CODE,
  type AccountState,
  type AccountStatus,
  type ContextName,
  type PersonaState,
  type SettingsState,
  type Theme,
} from '../forward/legacy-user.acl';

type StatusCode = keyof typeof STATUS_BY_CODE;
type ThemeCode = keyof typeof THEME_BY_CODE;
type OptInFlag = keyof typeof MARKETING_EMAILS_BY_FLAG;

/** identity's columns of public.users (LEGACY_COLUMNS_OF.identity), timestamps as instants. */
export interface IdentityColumns {
  readonly email_addr: string;
  readonly pwd_hash: string;
  readonly acct_stat_cd: StatusCode;
  readonly last_login_ts: Date | null;
  readonly created_ts: Date;
}

export interface ProfileColumns {
  readonly disp_nm: string | null;
  readonly bio_txt: string | null;
  readonly avatar_url: string | null;
}

export interface PreferencesColumns {
  /** POSIX (`en_US`), at most 10 characters. */
  readonly pref_lang: string | null;
  readonly pref_tz: string | null;
  readonly email_optin_flg: OptInFlag | null;
  readonly theme_cd: ThemeCode | null;
}

/** A whole new legacy row: identity's columns, the other contexts' still empty (their events follow). */
export type LegacyUserInsert = { readonly usr_id: number; readonly updated_ts: Date } & IdentityColumns & {
  readonly [column in keyof ProfileColumns | keyof PreferencesColumns]: null;
};

/** Legacy's bookkeeping column, moved by every write legacy itself would move it with. */
type Touch = { readonly updated_ts?: Date };

export interface EventFacts {
  readonly context: ContextName;
  readonly type: string;
  readonly eventId: string;
  readonly aggregateId: number;
  /** The aggregate's version after the event: the worker orders and de-duplicates by it. */
  readonly version: number;
  readonly occurredAt: Date;
}

export type ReverseRejectionCode =
  | 'REVERSE.OFF_SHAPE'
  | 'REVERSE.UNKNOWN_EVENT_TYPE'
  | 'REVERSE.UNSUPPORTED_SCHEMA_VERSION'
  | 'REVERSE.INVALID_TIMESTAMP'
  | 'REVERSE.UNKNOWN_STATUS'
  | 'REVERSE.UNKNOWN_THEME'
  | 'REVERSE.INVALID_LOCALE'
  | 'REVERSE.VALUE_TOO_LONG'
  | 'REVERSE.EMPTY_VALUE'
  | 'REVERSE.NUL_CHARACTER';

export type LegacyWrite =
  | { readonly kind: 'insert-user'; readonly event: EventFacts; readonly row: LegacyUserInsert }
  | { readonly kind: 'update-user'; readonly event: EventFacts; readonly usrId: number; readonly context: 'identity'; readonly columns: IdentityColumns & Touch }
  | { readonly kind: 'update-user'; readonly event: EventFacts; readonly usrId: number; readonly context: 'profile'; readonly columns: ProfileColumns & Touch }
  | { readonly kind: 'update-user'; readonly event: EventFacts; readonly usrId: number; readonly context: 'preferences'; readonly columns: PreferencesColumns & Touch }
  | { readonly kind: 'delete-user'; readonly event: EventFacts; readonly usrId: number }
  /** Nothing to write, but the version is spent: the worker records it as seen. */
  | { readonly kind: 'ignore'; readonly event: EventFacts; readonly reason: string }
  /** aggregateId when the envelope got that far, for the dead letter's row reference. */
  | { readonly kind: 'unparseable'; readonly code: ReverseRejectionCode; readonly reason: string; readonly aggregateId: number | null };

export type Columns<C> = { readonly ok: true; readonly columns: C } | { readonly ok: false; readonly code: ReverseRejectionCode; readonly reason: string };
type Refusal = Extract<Columns<never>, { ok: false }>;

const refuse = (code: ReverseRejectionCode, reason: string): Refusal => ({ ok: false, code, reason });

/** The code a value has in one of the forward direction's code tables: one table serves both directions. */
function codeIn<Code extends string, Value>(table: Readonly<Record<Code, Value>>, value: Value): Code | undefined {
  return (Object.keys(table) as Code[]).find((code) => table[code] === value);
}

/**
 * Whether a text fits a legacy column: no NUL (PostgreSQL text cannot hold it) and at most `width`
 * characters (code points, as varchar counts). Reasons name the column, never the value.
 */
function checkText(column: string, text: string | null, width: number | null): Refusal | undefined {
  if (text === null) return undefined;
  if (text.includes('\u0000')) return refuse('REVERSE.NUL_CHARACTER', `${column} contains a NUL character, which PostgreSQL text cannot hold`);
  if (width !== null && characterCount(text) > width) return refuse('REVERSE.VALUE_TOO_LONG', `${column} has ${characterCount(text)} characters, legacy's column holds ${width}`);
  return undefined;
}

const validDate = (value: Date | null): boolean => value === null || !Number.isNaN(value.getTime());

/** An account as identity's legacy columns (status as A/S/C). */
export function accountToLegacyColumns(state: AccountState): Columns<IdentityColumns> {
  if (state.email === '') return refuse('REVERSE.EMPTY_VALUE', 'email is empty');
  if (state.passwordHash === '') return refuse('REVERSE.EMPTY_VALUE', 'passwordHash is empty');
  const broken = checkText('email_addr', state.email, EMAIL_COLUMN_WIDTH) ?? checkText('pwd_hash', state.passwordHash, PASSWORD_HASH_COLUMN_WIDTH);
  if (broken) return broken;
  const code = codeIn(STATUS_BY_CODE, state.status);
  if (code === undefined) return refuse('REVERSE.UNKNOWN_STATUS', 'status is not active, suspended or closed');
  if (!validDate(state.createdAt) || !validDate(state.lastLoginAt)) return refuse('REVERSE.INVALID_TIMESTAMP', 'createdAt or lastLoginAt is not a valid instant');
  return {
    ok: true,
    columns: { email_addr: state.email, pwd_hash: state.passwordHash, acct_stat_cd: code, last_login_ts: state.lastLoginAt, created_ts: state.createdAt },
  };
}

/** A persona as profile's legacy columns; the bio is text, unbounded in legacy. */
export function personaToLegacyColumns(state: PersonaState): Columns<ProfileColumns> {
  const broken =
    checkText('disp_nm', state.displayName, MAX_DISPLAY_NAME_CHARACTERS) ??
    checkText('bio_txt', state.bio, null) ??
    checkText('avatar_url', state.avatarUrl, MAX_AVATAR_URL_CHARACTERS);
  if (broken) return broken;
  return { ok: true, columns: { disp_nm: state.displayName, bio_txt: state.bio, avatar_url: state.avatarUrl } };
}

/** Settings as the preferences' legacy columns: `en-US` -> `en_US`, true -> Y, dark -> DARK. */
export function settingsToLegacyColumns(state: SettingsState): Columns<PreferencesColumns> {
  let posix: string | null = null;
  if (state.locale !== null) {
    // Canonical first, so that whatever the service stored, legacy gets the one spelling its reader expects.
    const canonical = canonicalLocale(state.locale);
    if (canonical === undefined) return refuse('REVERSE.INVALID_LOCALE', 'locale is not a BCP 47 tag of the form language[-Script][-REGION] that fits varchar(10)');
    posix = canonical.replaceAll('-', '_');
  }
  const broken = checkText('pref_tz', state.timeZone, MAX_TIME_ZONE_LENGTH);
  if (broken) return broken;
  let themeCode: ThemeCode | null = null;
  if (state.theme !== null) {
    const code = codeIn(THEME_BY_CODE, state.theme);
    if (code === undefined) return refuse('REVERSE.UNKNOWN_THEME', 'theme is not light, dark or system');
    themeCode = code;
  }
  const flag = state.marketingEmails === null ? null : codeIn(MARKETING_EMAILS_BY_FLAG, state.marketingEmails) ?? null;
  return { ok: true, columns: { pref_lang: posix, pref_tz: state.timeZone, email_optin_flg: flag, theme_cd: themeCode } };
}

// ---- the envelope ----

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isId = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;

// RFC 3339, as the schemas' `date-time` format: the service writes toISOString(), offsets are legal too.
const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** An instant from the event, or undefined: Date's own parser accepts too much to trust alone. */
export function eventInstant(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const match = RFC_3339.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // V8 rolls 2026-02-31 over to March 3rd instead of refusing it.
  const calendarDay = new Date(0);
  calendarDay.setUTCFullYear(year, month - 1, day);
  if (calendarDay.getUTCMonth() !== month - 1 || calendarDay.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  const instant = new Date(text.toUpperCase());
  return Number.isNaN(instant.getTime()) ? undefined : instant;
}

const CONTEXTS: readonly ContextName[] = ['identity', 'profile', 'preferences'];
const SUPPORTED_SCHEMA_VERSION = 1;

type Unparseable = Extract<LegacyWrite, { kind: 'unparseable' }>;
const unparseable = (code: ReverseRejectionCode, reason: string, aggregateId: number | null = null): Unparseable => ({ kind: 'unparseable', code, reason, aggregateId });

/** A type for a reason: event types are our own vocabulary, but an off-shape one is cut short. */
const shownType = (type: string): string => JSON.stringify(type.slice(0, 80));

function factsOf(envelope: Record<string, unknown>): EventFacts | Unparseable {
  const { type, eventId, aggregateId, version, occurredAt, schemaVersion } = envelope;
  if (typeof type !== 'string') return unparseable('REVERSE.OFF_SHAPE', 'type is not a string');
  if (!isId(aggregateId)) return unparseable('REVERSE.OFF_SHAPE', 'aggregateId is not a positive safe integer');
  const match = /^([a-z]+)\.[A-Z][A-Za-z]*$/.exec(type);
  const context = match?.[1] as ContextName | undefined;
  if (context === undefined || !CONTEXTS.includes(context)) return unparseable('REVERSE.UNKNOWN_EVENT_TYPE', `type ${shownType(type)} is no event of identity, profile or preferences`, aggregateId);
  if (typeof eventId !== 'string' || eventId === '') return unparseable('REVERSE.OFF_SHAPE', 'eventId is not a non-empty string', aggregateId);
  if (!isId(version)) return unparseable('REVERSE.OFF_SHAPE', 'version is not a positive safe integer', aggregateId);
  // A later schema version may change what data means: translating it as v1 would write wrong values.
  if (schemaVersion !== SUPPORTED_SCHEMA_VERSION) {
    return unparseable('REVERSE.UNSUPPORTED_SCHEMA_VERSION', `schemaVersion ${JSON.stringify(schemaVersion) ?? 'missing'} of ${shownType(type)} is not ${SUPPORTED_SCHEMA_VERSION}`, aggregateId);
  }
  const when = eventInstant(occurredAt);
  if (when === undefined) return unparseable('REVERSE.INVALID_TIMESTAMP', 'occurredAt is not an RFC 3339 date-time', aggregateId);
  return { context, type, eventId, aggregateId, version, occurredAt: when };
}

/** Reads `data` field by field; the reason names the field, never its value. */
function dataOf(envelope: Record<string, unknown>, facts: EventFacts): Record<string, unknown> | Unparseable {
  const data = envelope.data;
  if (!isRecord(data)) return unparseable('REVERSE.OFF_SHAPE', `data of ${facts.type} is not an object`, facts.aggregateId);
  if (data.id !== facts.aggregateId) return unparseable('REVERSE.OFF_SHAPE', `data.id of ${facts.type} is not its aggregateId`, facts.aggregateId);
  return data;
}

type Shape = Readonly<Record<string, 'string' | 'string|null' | 'boolean|null' | 'instant' | 'instant|null'>>;

function fieldsOf(data: Record<string, unknown>, shape: Shape, facts: EventFacts): Record<string, string | boolean | Date | null> | Unparseable {
  const out: Record<string, string | boolean | Date | null> = {};
  for (const [field, kind] of Object.entries(shape)) {
    const value = data[field];
    const off = (expected: string) => unparseable('REVERSE.OFF_SHAPE', `data.${field} of ${facts.type} is not ${expected}`, facts.aggregateId);
    if (value === null && kind.endsWith('|null')) {
      out[field] = null;
    } else if (kind.startsWith('instant')) {
      const instant = eventInstant(value);
      if (instant === undefined) return unparseable('REVERSE.INVALID_TIMESTAMP', `data.${field} of ${facts.type} is not an RFC 3339 date-time`, facts.aggregateId);
      out[field] = instant;
    } else if (kind.startsWith('string')) {
      if (typeof value !== 'string') return off(kind === 'string' ? 'a string' : 'a string or null');
      out[field] = value;
    } else {
      if (typeof value !== 'boolean') return off('a boolean or null');
      out[field] = value;
    }
  }
  return out;
}

const ACCOUNT_SHAPE: Shape = { email: 'string', passwordHash: 'string', status: 'string', createdAt: 'instant', lastLoginAt: 'instant|null' };
const PERSONA_SHAPE: Shape = { displayName: 'string|null', bio: 'string|null', avatarUrl: 'string|null' };
const SETTINGS_SHAPE: Shape = { locale: 'string|null', timeZone: 'string|null', marketingEmails: 'boolean|null', theme: 'string|null' };

const STATE_EVENTS: Readonly<Record<ContextName, readonly string[]>> = {
  identity: ['identity.AccountRegistered', 'identity.EmailChanged', 'identity.StatusChanged', 'identity.SignedIn'],
  profile: ['profile.ProfileCreated', 'profile.ProfileUpdated'],
  preferences: ['preferences.PreferencesCreated', 'preferences.PreferencesChanged'],
};

const isUnparseable = (value: object): value is Unparseable => (value as { kind?: unknown }).kind === 'unparseable';

/** The context's state an event carries, as the forward direction's types. */
function stateOf(facts: EventFacts, data: Record<string, unknown>): AccountState | PersonaState | SettingsState | Unparseable {
  const id = facts.aggregateId;
  switch (facts.context) {
    case 'identity': {
      const f = fieldsOf(data, ACCOUNT_SHAPE, facts);
      if (isUnparseable(f)) return f;
      return { id, email: f.email as string, passwordHash: f.passwordHash as string, status: f.status as AccountStatus, createdAt: f.createdAt as Date, lastLoginAt: f.lastLoginAt as Date | null };
    }
    case 'profile': {
      const f = fieldsOf(data, PERSONA_SHAPE, facts);
      if (isUnparseable(f)) return f;
      return { id, displayName: f.displayName as string | null, bio: f.bio as string | null, avatarUrl: f.avatarUrl as string | null };
    }
    case 'preferences': {
      const f = fieldsOf(data, SETTINGS_SHAPE, facts);
      if (isUnparseable(f)) return f;
      return { id, locale: f.locale as string | null, timeZone: f.timeZone as string | null, marketingEmails: f.marketingEmails as boolean | null, theme: f.theme as Theme | null };
    }
  }
}

/**
 * One event envelope (the Kafka value, already JSON-parsed) as the write legacy needs. Never throws.
 * - identity.AccountRegistered: a whole new row (usr_id = the account's id).
 * - other state events: that context's columns only, from the whole state the event carries, plus
 *   updated_ts = occurredAt, except for identity.SignedIn: legacy's own sign-in leaves updated_ts alone
 *   (legacy/auth/auth.queries.ts recordLogin), and updated_ts is what legacy shows as the profile's updatedAt.
 * - identity.AccountErased: delete the row; ProfileErased / PreferencesErased: ignore (the row goes with the account).
 * - types ending in SyncedFromLegacy: ignore, they are legacy's own changes coming back (an echo).
 * - anything else, an unknown type included: unparseable, so it is dead-lettered and seen, not dropped.
 */
export function contextEventToLegacyWrite(envelope: unknown): LegacyWrite {
  if (!isRecord(envelope)) return unparseable('REVERSE.OFF_SHAPE', 'the event is not a JSON object');
  const facts = factsOf(envelope);
  if (isUnparseable(facts)) return facts;
  const { type, context, aggregateId: usrId } = facts;

  if (type.endsWith('SyncedFromLegacy')) return { kind: 'ignore', event: facts, reason: `${type} came from legacy: writing it back would echo` };
  if (type === 'identity.AccountErased') return { kind: 'delete-user', event: facts, usrId };
  if (type === 'profile.ProfileErased' || type === 'preferences.PreferencesErased') {
    return { kind: 'ignore', event: facts, reason: `${type}: the legacy row is deleted by identity.AccountErased` };
  }
  if (!STATE_EVENTS[context].includes(type)) return unparseable('REVERSE.UNKNOWN_EVENT_TYPE', `type ${shownType(type)} has no translation to legacy`, usrId);

  const data = dataOf(envelope, facts);
  if (isUnparseable(data)) return data;
  const state = stateOf(facts, data);
  if (isUnparseable(state)) return state;
  const failed = (columns: Refusal) => unparseable(columns.code, `${type}: ${columns.reason}`, usrId);
  const touch = { updated_ts: facts.occurredAt };

  switch (context) {
    case 'identity': {
      const columns = accountToLegacyColumns(state as AccountState);
      if (!columns.ok) return failed(columns);
      if (type === 'identity.AccountRegistered') {
        const empty = { disp_nm: null, bio_txt: null, avatar_url: null, pref_lang: null, pref_tz: null, email_optin_flg: null, theme_cd: null };
        return { kind: 'insert-user', event: facts, row: { usr_id: usrId, ...columns.columns, ...empty, ...touch } };
      }
      const moves = type === 'identity.SignedIn' ? {} : touch;
      return { kind: 'update-user', event: facts, usrId, context, columns: { ...columns.columns, ...moves } };
    }
    case 'profile': {
      const columns = personaToLegacyColumns(state as PersonaState);
      if (!columns.ok) return failed(columns);
      return { kind: 'update-user', event: facts, usrId, context, columns: { ...columns.columns, ...touch } };
    }
    case 'preferences': {
      const columns = settingsToLegacyColumns(state as SettingsState);
      if (!columns.ok) return failed(columns);
      return { kind: 'update-user', event: facts, usrId, context, columns: { ...columns.columns, ...touch } };
    }
  }
}
