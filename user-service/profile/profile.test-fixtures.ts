import { isFailure } from '../platform/failure';
import { Database } from '../platform/unit-of-work';
import type { UserServiceHarness } from '../test/user-service-harness';
import { eraseProfile, startProfile } from '.';

// Ids as identity would assign them (from 10^12), one per persona so tests never share a row.
let lastId = 1_000_000_000_000 + Math.floor(Math.random() * 1_000_000) * 1_000;

/** A persona as sign-up leaves it, made through the context's own facade (identity is not needed). */
export async function signedUpPersona(service: UserServiceHarness, displayName: string | null = 'Ada', id = ++lastId): Promise<number> {
  const deps = { db: new Database(service.admin), clock: () => service.now };
  const outcome = await deps.db.transaction((uow) => startProfile(uow, { id, displayName }, deps));
  if (isFailure(outcome)) throw new Error(`sign-up failed: ${outcome.code}`);
  return id;
}

export async function erasedPersona(service: UserServiceHarness, id: number): Promise<void> {
  const deps = { db: new Database(service.admin), clock: () => service.now };
  await deps.db.transaction((uow) => eraseProfile(uow, id, deps));
}

/** Everything profile holds about one persona: its row and its events. */
export async function storedPersona(service: UserServiceHarness, id: number) {
  const row = await service.admin.query('SELECT * FROM profile.profiles WHERE id = $1', [id]);
  const events = (await service.outbox('profile')).filter((event) => event.aggregateid === String(id));
  return { row: row.rows[0] as Record<string, unknown> | undefined, events };
}
