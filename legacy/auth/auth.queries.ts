import type { Pool, PoolClient } from 'pg';
import type { AccountRow } from './account';

type Queryable = Pool | PoolClient;

export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    // A connection that cannot even roll back is discarded instead of going back to the pool.
    await client.query('rollback').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

// Timestamps are stored without zone, UTC by convention; `at time zone 'UTC'` makes them instants
// again, so node-pg does not read them in the process's local zone.
const ACCOUNT_COLUMNS = `usr_id, email_addr, acct_stat_cd,
  created_ts at time zone 'UTC' as created_ts, last_login_ts at time zone 'UTC' as last_login_ts`;

const EMAIL_INDEX = 'users_email_addr_norm_key';

/** The unique index on lower(btrim(email_addr)) fired: another account has this email. */
export function isEmailTaken(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === '23505' && constraint === EMAIL_INDEX;
}

export async function insertUser(
  db: Queryable,
  user: { email: string; passwordHash: string; displayName: string | null },
): Promise<AccountRow> {
  const { rows } = await db.query<AccountRow>(
    `insert into public.users (email_addr, pwd_hash, acct_stat_cd, disp_nm, created_ts, updated_ts)
     values ($1, $2, 'A', $3, timezone('utc', now()), timezone('utc', now()))
     returning ${ACCOUNT_COLUMNS}`,
    [user.email, user.passwordHash, user.displayName],
  );
  return rows[0] as AccountRow;
}

export interface LoginRow {
  readonly usr_id: string;
  readonly pwd_hash: string;
  readonly acct_stat_cd: string;
}

export async function findLogin(db: Queryable, email: string): Promise<LoginRow | undefined> {
  const { rows } = await db.query<LoginRow>(
    `select usr_id, pwd_hash, acct_stat_cd from public.users where lower(btrim(email_addr)) = lower(btrim($1))`,
    [email],
  );
  return rows[0];
}

export async function recordLogin(db: Queryable, id: string): Promise<Date | undefined> {
  const { rows } = await db.query<{ last_login_ts: Date }>(
    `update public.users set last_login_ts = timezone('utc', now()) where usr_id = $1
     returning last_login_ts at time zone 'UTC' as last_login_ts`,
    [id],
  );
  return rows[0]?.last_login_ts;
}

export async function findAccount(db: Queryable, id: number, forUpdate = false): Promise<AccountRow | undefined> {
  const { rows } = await db.query<AccountRow>(
    `select ${ACCOUNT_COLUMNS} from public.users where usr_id = $1${forUpdate ? ' for update' : ''}`,
    [id],
  );
  return rows[0];
}

export async function updateAccount(
  db: Queryable,
  id: number,
  change: { email: string | undefined; statusCode: string | undefined },
): Promise<AccountRow> {
  const { rows } = await db.query<AccountRow>(
    `update public.users
        set email_addr = coalesce($2, email_addr), acct_stat_cd = coalesce($3, acct_stat_cd),
            updated_ts = timezone('utc', now())
      where usr_id = $1
      returning ${ACCOUNT_COLUMNS}`,
    [id, change.email ?? null, change.statusCode ?? null],
  );
  return rows[0] as AccountRow;
}

export async function deleteUser(db: Queryable, id: number): Promise<boolean> {
  const { rowCount } = await db.query('delete from public.users where usr_id = $1', [id]);
  return rowCount === 1;
}
