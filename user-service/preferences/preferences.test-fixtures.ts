import { Database } from '../platform/unit-of-work';
import type { UserServiceHarness } from '../test/user-service-harness';
import { erasePreferences, startPreferences } from '.';

// Ids as identity would assign them (from 10^12), one per subject so tests never share a row.
let lastId = 1_000_000_000_000 + Math.floor(Math.random() * 1_000_000) * 1_000;

/** A settings subject as sign-up leaves it (nothing chosen yet), made through the context's own facade. */
export async function signedUpSubject(service: UserServiceHarness, id = ++lastId): Promise<number> {
  const deps = { db: new Database(service.admin), clock: () => service.now };
  await deps.db.transaction((uow) => startPreferences(uow, { id }, deps));
  return id;
}

export async function erasedSubject(service: UserServiceHarness, id: number): Promise<void> {
  const deps = { db: new Database(service.admin), clock: () => service.now };
  await deps.db.transaction((uow) => erasePreferences(uow, id, deps));
}

/** Everything preferences holds about one subject: its row and its events. */
export async function storedPreferences(service: UserServiceHarness, id: number) {
  const row = await service.admin.query('SELECT * FROM preferences.preferences WHERE id = $1', [id]);
  const events = (await service.outbox('preferences')).filter((event) => event.aggregateid === String(id));
  return { row: row.rows[0] as Record<string, unknown> | undefined, events };
}
