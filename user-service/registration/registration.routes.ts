import { Router } from 'express';
import { z } from 'zod';
import { checkRegistration, eraseAccount, registerAccount, type IdentityDependencies } from '../identity';
import { checkProfileStart, eraseProfile, startProfile, type ProfileDependencies } from '../profile';
import { erasePreferences, startPreferences, type PreferencesDependencies } from '../preferences';
import { isFailure } from '../platform/failure';
import { jsonBody, parseBody, parseId, sendFailure, textField } from '../platform/json-edge';
import { sendVersioned } from '../platform/versioning';
import { inContext } from '../platform/observability';
import { writesOwnedBy } from '../platform/write-ownership';

// Signing up and erasing are processes across the three contexts, not a context of their own: each
// context does its part through its public functions, in one transaction, so a user never exists in one
// context and not in another.

const signUp = z.strictObject({
  email: textField(),
  password: textField(),
  displayName: textField().nullable().optional(),
});

export type RegistrationDependencies = IdentityDependencies & ProfileDependencies & PreferencesDependencies;

export function registrationRoutes(deps: RegistrationDependencies): Router {
  const router = Router();

  router.post('/api/users', inContext('identity'), writesOwnedBy('identity'), jsonBody(), async (req, res) => {
    const input = parseBody(signUp, req.body);
    if (isFailure(input)) return sendFailure(res, input);
    // Every context's rules before the first write, in legacy's order: a request breaking several rules
    // (an invalid display name for a taken email) gets the same first failure from both backends.
    const broken = checkRegistration(input) ?? checkProfileStart({ displayName: input.displayName });
    if (broken) return sendFailure(res, broken);
    const outcome = await deps.db.transaction(async (uow) => {
      const account = await registerAccount(uow, { email: input.email, password: input.password }, deps);
      if (isFailure(account)) return account;
      const profile = await startProfile(uow, { id: account.id, displayName: input.displayName }, deps);
      if (isFailure(profile)) return profile;
      await startPreferences(uow, { id: account.id }, deps);
      return account;
    });
    if (isFailure(outcome)) return sendFailure(res, outcome);
    sendVersioned(res, 201, outcome.version, {
      id: outcome.id,
      email: outcome.email,
      status: outcome.status,
      createdAt: outcome.createdAt.toISOString(),
    });
  });

  router.delete('/api/users/:id', inContext('identity'), writesOwnedBy('identity'), async (req, res) => {
    const id = parseId(req.params.id);
    if (isFailure(id)) return sendFailure(res, id);
    const outcome = await deps.db.transaction(async (uow) => {
      const erased = await eraseAccount(uow, id, deps);
      if (isFailure(erased)) return erased;
      await eraseProfile(uow, id, deps);
      await erasePreferences(uow, id, deps);
      return undefined;
    });
    if (isFailure(outcome)) return sendFailure(res, outcome);
    res.status(204).end();
  });

  return router;
}
