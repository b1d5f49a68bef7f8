import { Router } from 'express';
import { z } from 'zod';
import { isFailure } from '../platform/failure';
import { jsonBody, parseBody, parseId, sendFailure, textField } from '../platform/json-edge';
import { inContext } from '../platform/observability';
import { writesOwnedBy } from '../platform/write-ownership';
import { acceptedVersions, sendVersioned } from '../platform/versioning';
import { changeAccount, viewAccount } from './change-account';
import type { Account } from './domain/account';
import { accountStatus } from './domain/account-status';
import { emailAddress } from './domain/email-address';
import type { IdentityDependencies } from './identity-dependencies';
import { passwordCheck } from './passwords';
import { signInWithPassword } from './sign-in';

const credentials = z.strictObject({ email: textField(), password: textField() });
const accountPatch = z.strictObject({ email: textField().optional(), status: textField().optional() });

/** The account as the public API shows it; the hash and the version (sent as the ETag) stay inside. */
function accountResource(account: Account) {
  return {
    id: account.id,
    email: account.email,
    status: account.status,
    createdAt: account.createdAt.toISOString(),
    lastLoginAt: account.lastLoginAt?.toISOString() ?? null,
  };
}

// Input is checked in legacy's order (body media type and JSON, id, body shape, field rules, then the row),
// so both backends give the same failure for the same request.
export function identityRoutes(deps: IdentityDependencies): Router {
  const router = Router();
  const passwords = passwordCheck(deps.bcryptCost);

  router.post('/api/sessions', inContext('identity'), writesOwnedBy('identity'), jsonBody(), async (req, res) => {
    const body = parseBody(credentials, req.body);
    if (isFailure(body)) return sendFailure(res, body);
    const account = await signInWithPassword(body, passwords, deps);
    if (isFailure(account)) return sendFailure(res, account);
    res.json({ userId: account.id, lastLoginAt: account.lastLoginAt?.toISOString() });
  });

  router.get('/api/users/:id/account', inContext('identity'), async (req, res) => {
    const id = parseId(req.params.id);
    if (isFailure(id)) return sendFailure(res, id);
    const account = await viewAccount(id, deps);
    if (isFailure(account)) return sendFailure(res, account);
    sendVersioned(res, 200, account.version, accountResource(account));
  });

  router.patch('/api/users/:id/account', inContext('identity'), writesOwnedBy('identity'), jsonBody(), async (req, res) => {
    const id = parseId(req.params.id);
    if (isFailure(id)) return sendFailure(res, id);
    const body = parseBody(accountPatch, req.body);
    if (isFailure(body)) return sendFailure(res, body);
    const email = body.email === undefined ? undefined : emailAddress(body.email);
    if (isFailure(email)) return sendFailure(res, email);
    const status = body.status === undefined ? undefined : accountStatus(body.status);
    if (isFailure(status)) return sendFailure(res, status);
    const account = await changeAccount(id, { email, status }, acceptedVersions(req), deps);
    if (isFailure(account)) return sendFailure(res, account);
    sendVersioned(res, 200, account.version, accountResource(account));
  });

  return router;
}
