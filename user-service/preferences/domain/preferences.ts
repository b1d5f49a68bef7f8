import { isFailure, type Failure } from '../../platform/failure';
import type { PreferencesChanged, PreferencesCreated, PreferencesErased, PreferencesState } from './preferences-events';
import { checkLocale, checkTheme, checkTimeZone, type Theme } from './settings-rules';

/** How a user wants the product to treat them. Its id is the account's, assigned by identity. */
export interface Preferences {
  readonly id: number;
  readonly locale: string | null;
  readonly timeZone: string | null;
  readonly marketingEmails: boolean | null;
  readonly theme: Theme | null;
  readonly updatedAt: Date;
  /** Starts at 1 and grows by one with every change; the resource's ETag. */
  readonly version: number;
}

export type Setting = 'locale' | 'timeZone' | 'marketingEmails' | 'theme';

const SETTINGS: readonly Setting[] = ['locale', 'timeZone', 'marketingEmails', 'theme'];

/** Settings as a client asks for them; none can be cleared once made (legacy refuses null too). */
export interface PreferencesRequest {
  readonly locale?: string;
  readonly timeZone?: string;
  readonly marketingEmails?: boolean;
  readonly theme?: string;
}

declare const checked: unique symbol;

/** Settings to make, canonical; only `checkPreferencesChange` makes one. */
export type PreferencesChange = {
  readonly locale?: string;
  readonly timeZone?: string;
  readonly marketingEmails?: boolean;
  readonly theme?: Theme;
} & { readonly [checked]: true };

/**
 * Checks the named settings in legacy's order (locale, timeZone, theme), so the first broken rule is the
 * failure either backend reports; checked before the preferences are looked up, as legacy does.
 */
export function checkPreferencesChange(request: PreferencesRequest): PreferencesChange | Failure {
  const change: { -readonly [setting in keyof PreferencesRequest]: PreferencesRequest[setting] } = {};
  if (request.locale !== undefined) {
    const locale = checkLocale(request.locale);
    if (isFailure(locale)) return locale;
    change.locale = locale;
  }
  if (request.timeZone !== undefined) {
    const broken = checkTimeZone(request.timeZone);
    if (broken) return broken;
    change.timeZone = request.timeZone;
  }
  if (request.marketingEmails !== undefined) change.marketingEmails = request.marketingEmails;
  if (request.theme !== undefined) {
    const theme = checkTheme(request.theme);
    if (isFailure(theme)) return theme;
    change.theme = theme;
  }
  return change as PreferencesChange;
}

export function stateOf(preferences: Preferences): PreferencesState {
  return {
    id: preferences.id,
    locale: preferences.locale,
    timeZone: preferences.timeZone,
    marketingEmails: preferences.marketingEmails,
    theme: preferences.theme,
  };
}

/** A new subject has made no settings yet: all null, exactly like a new legacy row. */
export function createPreferences(id: number, at: Date): { preferences: Preferences; event: PreferencesCreated } {
  const preferences: Preferences = { id, locale: null, timeZone: null, marketingEmails: null, theme: null, updatedAt: at, version: 1 };
  return {
    preferences,
    event: { type: 'preferences.PreferencesCreated', aggregateId: id, version: 1, occurredAt: at, data: stateOf(preferences) },
  };
}

export interface PreferencesRevision {
  readonly preferences: Preferences;
  /** The settings whose value actually changed. */
  readonly changed: readonly Setting[];
  readonly event: PreferencesChanged;
}

/** Undefined when nothing would change (`{}` or the current values): no new version, no event, no write. */
export function changePreferences(preferences: Preferences, change: PreferencesChange, at: Date): PreferencesRevision | undefined {
  const changed = SETTINGS.filter((setting) => change[setting] !== undefined && change[setting] !== preferences[setting]);
  if (changed.length === 0) return undefined;
  const revised: Preferences = {
    ...preferences,
    ...Object.fromEntries(changed.map((setting) => [setting, change[setting]])),
    updatedAt: at,
    version: preferences.version + 1,
  };
  return {
    preferences: revised,
    changed,
    event: {
      type: 'preferences.PreferencesChanged',
      aggregateId: preferences.id,
      version: revised.version,
      occurredAt: at,
      data: stateOf(revised),
    },
  };
}

/** Erasure is the last change: it takes the next version, so consumers can order it after the rest. */
export function erasureOf(preferences: Preferences, at: Date): PreferencesErased {
  return {
    type: 'preferences.PreferencesErased',
    aggregateId: preferences.id,
    version: preferences.version + 1,
    occurredAt: at,
    data: { id: preferences.id },
  };
}
