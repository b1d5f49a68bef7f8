import { Router } from 'express';
import type { Pool } from 'pg';
import { z } from 'zod';
import { Failure, sendFailure } from '../http/failure';
import { jsonBody, jsonText, parseBody } from '../http/json-body';
import { inModule } from '../http/request-metrics';
import { parseUserId } from '../http/user-id';
import { checkAvatarUrl, checkBio, checkDisplayName, profileFromRow } from './profile';
import { findProfile, updateProfile } from './profile.queries';

const profilePatch = z.strictObject({
  displayName: jsonText().nullable().optional(),
  bio: jsonText().nullable().optional(),
  avatarUrl: jsonText().nullable().optional(),
});

const profileNotFound = () => new Failure('PROFILE.PROFILE_NOT_FOUND', 'no profile with this id');

export function profileRoutes(pool: Pool): Router {
  const router = Router();

  router.get('/api/users/:id/profile', inModule('profile'), async (req, res) => {
    const id = parseUserId(req.params.id);
    if (id instanceof Failure) return sendFailure(res, id);
    const row = await findProfile(pool, id);
    if (!row) return sendFailure(res, profileNotFound());
    res.json(profileFromRow(row));
  });

  router.patch('/api/users/:id/profile', inModule('profile'), jsonBody(), async (req, res) => {
    const id = parseUserId(req.params.id);
    if (id instanceof Failure) return sendFailure(res, id);
    const change = parseBody(profilePatch, req.body);
    if (change instanceof Failure) return sendFailure(res, change);
    const invalid =
      (change.displayName !== undefined && checkDisplayName(change.displayName)) ||
      (change.bio !== undefined && checkBio(change.bio)) ||
      (change.avatarUrl !== undefined && checkAvatarUrl(change.avatarUrl));
    if (invalid) return sendFailure(res, invalid);
    const isNoOp = Object.values(change).every((value) => value === undefined);
    const row = isNoOp ? await findProfile(pool, id) : await updateProfile(pool, id, change);
    if (!row) return sendFailure(res, profileNotFound());
    res.json(profileFromRow(row));
  });

  return router;
}
