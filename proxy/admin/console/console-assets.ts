// The operator console (issue #6, point 4) on the admin port: one static page, its stylesheet and two
// scripts. They hold no data and no secret, so they are served without the token; everything the page shows
// it asks the admin API for, with the token the operator types, which stays in the page's memory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router, type Response } from 'express';

/** Every file the console serves, by the name in its URL; nothing else in this folder is reachable. */
const ASSETS: Readonly<Record<string, string>> = {
  'console.html': 'text/html; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console-view.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/**
 * Scripts and styles only from files of this origin (no inline script, no eval), API calls only to this
 * origin, no framing (clickjacking a promote button), and `form-action 'none'` so that the token form can
 * never be submitted as a GET that would put the token in a URL, even if the script failed to load.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Always revalidated, so an upgraded proxy never runs a page against a script of the previous version.
  'cache-control': 'no-cache',
};

/** `GET /` and `GET /console`: the page; `GET /console/<asset>`: its files. Read once, when the app is built. */
export function consoleRouter(directory: string = __dirname): Router {
  const files = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readFileSync(join(directory, name)) }]));
  const serve = (res: Response, name: string) => {
    const file = files.get(name)!;
    res.set(CONSOLE_SECURITY_HEADERS).type(file.type).send(file.body);
  };

  const router = Router();
  router.get(['/', '/console', '/console/'], (_req, res) => serve(res, 'console.html'));
  router.get('/console/:asset', (req, res, next) => {
    const asset = req.params.asset;
    if (!files.has(asset)) return next();
    serve(res, asset);
  });
  return router;
}
