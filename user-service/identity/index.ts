// STUB: replaced by the identity context's implementation.
import { Router } from 'express';
import type { Database, UnitOfWork } from '../platform/unit-of-work';
import type { Failure } from '../platform/failure';

export const IDENTITY_ROLE = 'strangler_identity';

export interface IdentityDependencies {
  db: Database;
  clock: () => Date;
  bcryptCost: number;
}

export interface RegisteredAccount {
  id: number;
  email: string;
  status: 'active';
  createdAt: Date;
  version: number;
}

export function identityRoutes(_deps: IdentityDependencies): Router {
  return Router();
}

export async function registerAccount(_uow: UnitOfWork, _input: { email: string; password: string }, _deps: IdentityDependencies): Promise<RegisteredAccount | Failure> {
  throw new Error('identity context not built yet');
}

export async function eraseAccount(_uow: UnitOfWork, _id: number, _deps: IdentityDependencies): Promise<void | Failure> {
  throw new Error('identity context not built yet');
}
