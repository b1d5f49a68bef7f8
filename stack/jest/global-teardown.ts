/**
 * Jest globalTeardown for the integration project: stop the stack only if global-setup started it,
 * and never when STRANGLER_KEEP_STACK=1 (the stack then stays up and is no longer ours to stop).
 */
import fs from 'node:fs';
import { stackDown, stackPaths, stackSettings } from '../native-stack';

export default async function globalTeardown(): Promise<void> {
  const s = stackSettings;
  const marker = stackPaths(s).jestMarker;
  if (!fs.existsSync(marker)) return;
  fs.rmSync(marker, { force: true });
  if (process.env.STRANGLER_KEEP_STACK === '1') return;
  await stackDown({ settings: s });
}
