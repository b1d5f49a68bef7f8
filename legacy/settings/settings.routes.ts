import { Router } from 'express';
import type { Pool } from 'pg';
import { z } from 'zod';
import { Failure, sendFailure } from '../http/failure';
import { jsonBody, jsonText, parseBody } from '../http/json-body';
import { inModule } from '../http/request-metrics';
import { parseUserId } from '../http/user-id';
import { checkTimeZone, codeForTheme, flagForMarketingEmails, posixForLocale, preferencesFromRow } from './preferences';
import { findPreferences, updatePreferences, type PreferencesColumns } from './settings.queries';

const preferencesPatch = z.strictObject({
  locale: jsonText().optional(),
  timeZone: jsonText().optional(),
  marketingEmails: z.boolean().optional(),
  theme: jsonText().optional(),
});

const preferencesNotFound = () => new Failure('PREFERENCES.PREFERENCES_NOT_FOUND', 'no preferences for this id');

function columnsFor(patch: z.infer<typeof preferencesPatch>): PreferencesColumns | Failure {
  const columns: { -readonly [column in keyof PreferencesColumns]: PreferencesColumns[column] } = {};
  if (patch.locale !== undefined) {
    const posix = posixForLocale(patch.locale);
    if (posix instanceof Failure) return posix;
    columns.pref_lang = posix;
  }
  if (patch.timeZone !== undefined) {
    const invalid = checkTimeZone(patch.timeZone);
    if (invalid) return invalid;
    columns.pref_tz = patch.timeZone;
  }
  if (patch.marketingEmails !== undefined) columns.email_optin_flg = flagForMarketingEmails(patch.marketingEmails);
  if (patch.theme !== undefined) {
    const code = codeForTheme(patch.theme);
    if (code instanceof Failure) return code;
    columns.theme_cd = code;
  }
  return columns;
}

export function settingsRoutes(pool: Pool): Router {
  const router = Router();

  router.get('/api/users/:id/preferences', inModule('settings'), async (req, res) => {
    const id = parseUserId(req.params.id);
    if (id instanceof Failure) return sendFailure(res, id);
    const row = await findPreferences(pool, id);
    if (!row) return sendFailure(res, preferencesNotFound());
    res.json(preferencesFromRow(row));
  });

  router.patch('/api/users/:id/preferences', inModule('settings'), jsonBody(), async (req, res) => {
    const id = parseUserId(req.params.id);
    if (id instanceof Failure) return sendFailure(res, id);
    const patch = parseBody(preferencesPatch, req.body);
    if (patch instanceof Failure) return sendFailure(res, patch);
    const columns = columnsFor(patch);
    if (columns instanceof Failure) return sendFailure(res, columns);
    const isNoOp = Object.keys(columns).length === 0;
    const row = isNoOp ? await findPreferences(pool, id) : await updatePreferences(pool, id, columns);
    if (!row) return sendFailure(res, preferencesNotFound());
    res.json(preferencesFromRow(row));
  });

  return router;
}
