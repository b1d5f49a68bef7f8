// STUB: replaced by the profile context's implementation.
import { Router } from 'express';
import type { Database, UnitOfWork } from '../platform/unit-of-work';
import type { Failure } from '../platform/failure';

export const PROFILE_ROLE = 'strangler_profile';

export interface ProfileDependencies {
  db: Database;
  clock: () => Date;
}

export function profileRoutes(_deps: ProfileDependencies): Router {
  return Router();
}

export async function startProfile(_uow: UnitOfWork, _input: { id: number; displayName: string | null | undefined; }, _deps: ProfileDependencies): Promise<void | Failure> {
  throw new Error('profile context not built yet');
}

export async function eraseProfile(_uow: UnitOfWork, _id: number, _deps: ProfileDependencies): Promise<void> {
  throw new Error('profile context not built yet');
}
