import type { Context } from '../ownership/ownership-map';
import type { AccountState, PersonaState, SettingsState } from './legacy-user.acl';

/**
 * Where a context's translated state lives in user_service and how its changes are announced. The
 * forward sync writes through these with the same logic for every context; only the tables, columns and
 * event names differ.
 */
export interface ContextTarget<S extends { id: number }> {
  context: Context;
  table: string;
  aggregateType: 'account' | 'profile' | 'preferences';
  /** Outbox event types of changes that came from legacy: the reverse sync skips them (no echo). */
  syncedEvent: string;
  erasureEvent: string;
  columns: readonly string[];
  /** Column values of a state, in `columns` order. */
  values(state: S): unknown[];
  /** The current state as read back from the table (for the no-op check). */
  fromRow(row: Record<string, unknown>): S;
  /** The event's `data`, the context's published shape. */
  eventData(state: S, updatedAt: Date): Record<string, unknown>;
}

const date = (value: unknown): Date | null => (value === null || value === undefined ? null : new Date(value as string));

export const accountTarget: ContextTarget<AccountState> = {
  context: 'identity',
  table: 'identity.accounts',
  aggregateType: 'account',
  syncedEvent: 'identity.AccountSyncedFromLegacy',
  erasureEvent: 'identity.AccountErasureSyncedFromLegacy',
  columns: ['email', 'password_hash', 'status', 'created_at', 'last_login_at'],
  values: (s) => [s.email, s.passwordHash, s.status, s.createdAt, s.lastLoginAt],
  fromRow: (r) => ({
    id: Number(r.id),
    email: r.email as string,
    passwordHash: r.password_hash as string,
    status: r.status as AccountState['status'],
    createdAt: date(r.created_at)!,
    lastLoginAt: date(r.last_login_at),
  }),
  eventData: (s) => ({
    id: s.id,
    email: s.email,
    passwordHash: s.passwordHash,
    status: s.status,
    createdAt: s.createdAt.toISOString(),
    lastLoginAt: s.lastLoginAt?.toISOString() ?? null,
  }),
};

export const personaTarget: ContextTarget<PersonaState> = {
  context: 'profile',
  table: 'profile.profiles',
  aggregateType: 'profile',
  syncedEvent: 'profile.ProfileSyncedFromLegacy',
  erasureEvent: 'profile.ProfileErasureSyncedFromLegacy',
  columns: ['display_name', 'bio', 'avatar_url'],
  values: (s) => [s.displayName, s.bio, s.avatarUrl],
  fromRow: (r) => ({ id: Number(r.id), displayName: r.display_name as string | null, bio: r.bio as string | null, avatarUrl: r.avatar_url as string | null }),
  eventData: (s, updatedAt) => ({ id: s.id, displayName: s.displayName, bio: s.bio, avatarUrl: s.avatarUrl, updatedAt: updatedAt.toISOString() }),
};

export const settingsTarget: ContextTarget<SettingsState> = {
  context: 'preferences',
  table: 'preferences.preferences',
  aggregateType: 'preferences',
  syncedEvent: 'preferences.PreferencesSyncedFromLegacy',
  erasureEvent: 'preferences.PreferencesErasureSyncedFromLegacy',
  columns: ['locale', 'time_zone', 'marketing_emails', 'theme'],
  values: (s) => [s.locale, s.timeZone, s.marketingEmails, s.theme],
  fromRow: (r) => ({
    id: Number(r.id),
    locale: r.locale as string | null,
    timeZone: r.time_zone as string | null,
    marketingEmails: r.marketing_emails as boolean | null,
    theme: r.theme as SettingsState['theme'],
  }),
  eventData: (s) => ({ id: s.id, locale: s.locale, timeZone: s.timeZone, marketingEmails: s.marketingEmails, theme: s.theme }),
};
