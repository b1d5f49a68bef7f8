import type { Theme } from './settings-rules';

/**
 * A subject's settings as the API shows them and the created and changed events carry them; null is a
 * setting never made. A type, not an interface, so it stays assignable to the outbox's plain JSON record.
 */
export type PreferencesState = {
  readonly id: number;
  readonly locale: string | null;
  readonly timeZone: string | null;
  readonly marketingEmails: boolean | null;
  readonly theme: Theme | null;
};

interface PreferencesEventOf<Type extends string, Data> {
  readonly type: Type;
  readonly aggregateId: number;
  /** The preferences' version after the change. */
  readonly version: number;
  readonly occurredAt: Date;
  readonly data: Data;
}

export type PreferencesCreated = PreferencesEventOf<'preferences.PreferencesCreated', PreferencesState>;
export type PreferencesChanged = PreferencesEventOf<'preferences.PreferencesChanged', PreferencesState>;
export type PreferencesErased = PreferencesEventOf<'preferences.PreferencesErased', { readonly id: number }>;

export type PreferencesEvent = PreferencesCreated | PreferencesChanged | PreferencesErased;
