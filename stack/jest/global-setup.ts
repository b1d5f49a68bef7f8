/**
 * Jest globalSetup for the integration project: make sure the native stack runs. If nothing of it was
 * running, we start it and leave a marker so global-teardown stops it again; a stack that was already
 * (even partly) up belongs to someone else and is only completed, never stopped by the tests.
 */
import fs from 'node:fs';
import { stackPaths, stackSettings, stackStatus, stackUp } from '../native-stack';
import { registerJestUser } from './users';

export default async function globalSetup(): Promise<void> {
  const s = stackSettings;
  registerJestUser(s);
  const before = await stackStatus({ settings: s });
  if (before.allUp) return;
  const nothingRan = before.components.every((c) => c.state === 'down');
  await stackUp({ settings: s });
  if (nothingRan) fs.writeFileSync(stackPaths(s).jestMarker, `${process.pid}\n`);
}
