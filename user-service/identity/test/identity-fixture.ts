import { once } from 'node:events';
import { Pool } from 'pg';
import { isFailure } from '../../platform/failure';
import { Database } from '../../platform/unit-of-work';
import { TEST_BCRYPT_COST, type ServiceResponse, type UserServiceHarness } from '../../test/user-service-harness';
import type { IdentityDependencies } from '../identity-dependencies';
import { registerAccount, type RegisteredAccount } from '../register-account';

export { expectFailure } from '../../test/user-service-harness';

export interface IdentityFixture {
  /** What identity is given in the app, over a pool that logs in as the service's own role. */
  readonly deps: IdentityDependencies;
  uniqueEmail(name?: string): string;
  /** Signs an account up through identity's part of registration, as the registration process does. */
  register(email?: string, password?: string): Promise<RegisteredAccount>;
  /** The stored row, read as the schemas' owner. */
  accountRow(id: number): Promise<Record<string, unknown> | undefined>;
  /** Identity's outbox rows, oldest first. */
  outbox(): ReturnType<UserServiceHarness['outbox']>;
  /** Everything a refused request must leave as it was: the row and the whole outbox. */
  snapshot(id: number): Promise<unknown>;
  stop(): Promise<void>;
}

let serial = 0;

export function identityFixture(harness: UserServiceHarness): IdentityFixture {
  const serviceUrl = new URL(harness.admin.options.connectionString!);
  serviceUrl.username = 'strangler_user_service';
  const pool = new Pool({ connectionString: serviceUrl.toString(), max: 6 });
  // pool.end() resolves before the sockets close; the harness then drops the database WITH (FORCE), and a
  // backend it terminates would raise an unhandled 'error' on a client still closing. Wait for each to end.
  const closed: Promise<unknown>[] = [];
  pool.on('connect', (client) => closed.push(once(client, 'end')));
  const deps: IdentityDependencies = { db: new Database(pool), clock: () => harness.now, bcryptCost: TEST_BCRYPT_COST };
  const accountRow = async (id: number) =>
    (await harness.admin.query('SELECT * FROM identity.accounts WHERE id = $1', [id])).rows[0] as Record<string, unknown> | undefined;
  const uniqueEmail = (name = 'user') => `${name}.${++serial}.${process.pid}@example.com`;
  return {
    deps,
    uniqueEmail,
    async register(email = uniqueEmail(), password = 'right-password') {
      const account = await deps.db.transaction((uow) => registerAccount(uow, { email, password }, deps));
      if (isFailure(account)) throw new Error(`registering a test account failed: ${account.code}`);
      return account;
    },
    accountRow,
    outbox: () => harness.outbox('identity'),
    async snapshot(id) {
      return { row: await accountRow(id), outbox: await harness.outbox('identity') };
    },
    async stop() {
      await pool.end();
      await Promise.all(closed);
    },
  };
}
