import { Router } from 'express';
import type { Pool } from 'pg';
import { z } from 'zod';
import { Failure, sendFailure } from '../http/failure';
import { jsonBody, jsonText, parseBody } from '../http/json-body';
import { inModule } from '../http/request-metrics';
import { parseUserId } from '../http/user-id';
// The monolith's signup form also takes the display name, so auth borrows profile's rule for it.
import { checkDisplayName } from '../profile/profile';
import {
  accountFromRow, checkEmail, checkNewPassword, checkStatusTransition, codeForStatus, newAccountFromRow, parseStatus,
  statusFromCode, type AccountRow, type AccountStatus,
} from './account';
import {
  deleteUser, findAccount, findLogin, inTransaction, insertUser, isEmailTaken, recordLogin, updateAccount,
} from './auth.queries';
import type { Passwords } from './passwords';

const registration = z.strictObject({
  email: jsonText(),
  password: jsonText(),
  displayName: jsonText().nullable().optional(),
});
const credentials = z.strictObject({ email: jsonText(), password: jsonText() });
const accountPatch = z.strictObject({ email: jsonText().optional(), status: jsonText().optional() });

const emailTaken = () => new Failure('IDENTITY.EMAIL_TAKEN', 'another account has this email');
const accountNotFound = () => new Failure('IDENTITY.ACCOUNT_NOT_FOUND', 'no account with this id');
const invalidCredentials = () => new Failure('IDENTITY.INVALID_CREDENTIALS', 'unknown email or wrong password');

export function authRoutes(pool: Pool, passwords: Passwords): Router {
  const router = Router();

  router.post('/api/users', inModule('auth'), jsonBody(), async (req, res) => {
    const body = parseBody(registration, req.body);
    if (body instanceof Failure) return sendFailure(res, body);
    const email = checkEmail(body.email);
    if (email instanceof Failure) return sendFailure(res, email);
    const invalid = checkNewPassword(body.password) ?? checkDisplayName(body.displayName ?? null);
    if (invalid) return sendFailure(res, invalid);
    const passwordHash = await passwords.hash(body.password);
    try {
      const row = await insertUser(pool, { email, passwordHash, displayName: body.displayName ?? null });
      res.status(201).json(newAccountFromRow(row));
    } catch (error) {
      if (isEmailTaken(error)) return sendFailure(res, emailTaken());
      throw error;
    }
  });

  router.post('/api/sessions', inModule('auth'), jsonBody(), async (req, res) => {
    const body = parseBody(credentials, req.body);
    if (body instanceof Failure) return sendFailure(res, body);
    const login = await findLogin(pool, body.email);
    const passwordMatches = await passwords.verify(body.password, login?.pwd_hash);
    if (!login || !passwordMatches || statusFromCode(login.acct_stat_cd) !== 'active') {
      return sendFailure(res, invalidCredentials());
    }
    const lastLoginAt = await recordLogin(pool, login.usr_id);
    // Deleted between the lookup and the update: the account no longer exists to log into.
    if (!lastLoginAt) return sendFailure(res, invalidCredentials());
    res.json({ userId: Number(login.usr_id), lastLoginAt: lastLoginAt.toISOString() });
  });

  router.get('/api/users/:id/account', inModule('auth'), async (req, res) => {
    const id = parseUserId(req.params.id);
    if (id instanceof Failure) return sendFailure(res, id);
    const row = await findAccount(pool, id);
    if (!row) return sendFailure(res, accountNotFound());
    res.json(accountFromRow(row));
  });

  router.patch('/api/users/:id/account', inModule('auth'), jsonBody(), async (req, res) => {
    const id = parseUserId(req.params.id);
    if (id instanceof Failure) return sendFailure(res, id);
    const body = parseBody(accountPatch, req.body);
    if (body instanceof Failure) return sendFailure(res, body);
    const email = body.email === undefined ? undefined : checkEmail(body.email);
    if (email instanceof Failure) return sendFailure(res, email);
    const status = body.status === undefined ? undefined : parseStatus(body.status);
    if (status instanceof Failure) return sendFailure(res, status);
    const row = await changeAccount(pool, id, { email, status });
    if (row instanceof Failure) return sendFailure(res, row);
    res.json(accountFromRow(row));
  });

  router.delete('/api/users/:id', inModule('auth'), async (req, res) => {
    const id = parseUserId(req.params.id);
    if (id instanceof Failure) return sendFailure(res, id);
    if (!(await deleteUser(pool, id))) return sendFailure(res, accountNotFound());
    res.status(204).end();
  });

  return router;
}

async function changeAccount(
  pool: Pool,
  id: number,
  change: { email: string | undefined; status: AccountStatus | undefined },
): Promise<AccountRow | Failure> {
  if (change.email === undefined && change.status === undefined) {
    return (await findAccount(pool, id)) ?? accountNotFound();
  }
  try {
    return await inTransaction(pool, async (client) => {
      // Locked, so a concurrent change cannot slip between the transition check and the write.
      const current = await findAccount(client, id, true);
      if (!current) return accountNotFound();
      const refused = change.status && checkStatusTransition(statusFromCode(current.acct_stat_cd), change.status);
      if (refused) return refused;
      const statusCode = change.status && codeForStatus(change.status);
      return updateAccount(client, id, { email: change.email, statusCode });
    });
  } catch (error) {
    if (isEmailTaken(error)) return emailTaken();
    throw error;
  }
}
