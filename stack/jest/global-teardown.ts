/**
 * Jest globalTeardown for the integration project: stop the stack only if a jest run's global-setup
 * started it, no other jest run still uses it, and STRANGLER_KEEP_STACK is not 1 (with it the stack
 * stays up and is no longer the tests' to stop).
 */
import fs from 'node:fs';
import { stackDown, stackPaths, stackSettings } from '../native-stack';
import { unregisterJestUser } from './users';

export default async function globalTeardown(): Promise<void> {
  const s = stackSettings;
  const marker = stackPaths(s).jestMarker;
  const others = unregisterJestUser(s);
  if (!fs.existsSync(marker) || others > 0) return;
  fs.rmSync(marker, { force: true });
  if (process.env.STRANGLER_KEEP_STACK === '1') return;
  await stackDown({ settings: s });
}
