import { Router } from 'express';
import { z } from 'zod';
import { isFailure } from '../platform/failure';
import { jsonBody, parseBody, parseId, sendFailure, textField } from '../platform/json-edge';
import { inContext } from '../platform/observability';
import { writesOwnedBy } from '../platform/write-ownership';
import { acceptedVersions, sendVersioned } from '../platform/versioning';
import { publicPersona } from './domain/profile';
import { changeProfile, showProfile, type ProfileDependencies } from './profile.use-cases';

// The same body shape as legacy's, so shape failures carry the same messages.
const profilePatch = z.strictObject({
  displayName: textField().nullable().optional(),
  bio: textField().nullable().optional(),
  avatarUrl: textField().nullable().optional(),
});

export function profileRoutes(deps: ProfileDependencies): Router {
  const router = Router();

  router.get('/api/users/:id/profile', inContext('profile'), async (req, res) => {
    const id = parseId(req.params.id);
    if (isFailure(id)) return sendFailure(res, id);
    const profile = await showProfile(deps, id);
    if (isFailure(profile)) return sendFailure(res, profile);
    sendVersioned(res, 200, profile.version, publicPersona(profile));
  });

  router.patch('/api/users/:id/profile', inContext('profile'), writesOwnedBy('profile'), jsonBody(), async (req, res) => {
    const id = parseId(req.params.id);
    if (isFailure(id)) return sendFailure(res, id);
    const request = parseBody(profilePatch, req.body);
    if (isFailure(request)) return sendFailure(res, request);
    const profile = await changeProfile(deps, id, request, acceptedVersions(req));
    if (isFailure(profile)) return sendFailure(res, profile);
    sendVersioned(res, 200, profile.version, publicPersona(profile));
  });

  return router;
}
