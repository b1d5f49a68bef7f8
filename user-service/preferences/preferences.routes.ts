import { Router } from 'express';
import { z } from 'zod';
import { isFailure } from '../platform/failure';
import { jsonBody, parseBody, parseId, sendFailure, textField } from '../platform/json-edge';
import { inContext } from '../platform/observability';
import { writesOwnedBy } from '../platform/write-ownership';
import { acceptedVersions, sendVersioned } from '../platform/versioning';
import { stateOf } from './domain/preferences';
import { adjustPreferences, showPreferences, type PreferencesDependencies } from './preferences.use-cases';

// The same body shape as legacy's, so shape failures (null included) carry the same messages.
const preferencesPatch = z.strictObject({
  locale: textField().optional(),
  timeZone: textField().optional(),
  marketingEmails: z.boolean().optional(),
  theme: textField().optional(),
});

export function preferencesRoutes(deps: PreferencesDependencies): Router {
  const router = Router();

  router.get('/api/users/:id/preferences', inContext('preferences'), async (req, res) => {
    const id = parseId(req.params.id);
    if (isFailure(id)) return sendFailure(res, id);
    const preferences = await showPreferences(deps, id);
    if (isFailure(preferences)) return sendFailure(res, preferences);
    sendVersioned(res, 200, preferences.version, stateOf(preferences));
  });

  router.patch('/api/users/:id/preferences', inContext('preferences'), writesOwnedBy('preferences'), jsonBody(), async (req, res) => {
    const id = parseId(req.params.id);
    if (isFailure(id)) return sendFailure(res, id);
    const request = parseBody(preferencesPatch, req.body);
    if (isFailure(request)) return sendFailure(res, request);
    const preferences = await adjustPreferences(deps, id, request, acceptedVersions(req));
    if (isFailure(preferences)) return sendFailure(res, preferences);
    sendVersioned(res, 200, preferences.version, stateOf(preferences));
  });

  return router;
}
