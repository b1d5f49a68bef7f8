// STUB: replaced by the preferences context's implementation.
import { Router } from 'express';
import type { Database, UnitOfWork } from '../platform/unit-of-work';
import type { Failure } from '../platform/failure';

export const PREFERENCES_ROLE = 'strangler_preferences';

export interface PreferencesDependencies {
  db: Database;
  clock: () => Date;
}

export function preferencesRoutes(_deps: PreferencesDependencies): Router {
  return Router();
}

export async function startPreferences(_uow: UnitOfWork, _input: { id: number; }, _deps: PreferencesDependencies): Promise<void> {
  throw new Error('preferences context not built yet');
}

export async function erasePreferences(_uow: UnitOfWork, _id: number, _deps: PreferencesDependencies): Promise<void> {
  throw new Error('preferences context not built yet');
}
