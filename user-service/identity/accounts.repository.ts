import { Failure } from '../platform/failure';
import { appendToOutbox } from '../platform/outbox';
import type { ContextSql } from '../platform/unit-of-work';
import type { Account, AccountChange } from './domain/account';
import type { AccountEvent } from './domain/account-events';
import type { AccountStatus } from './domain/account-status';
import type { EmailAddress } from './domain/email-address';

/** The database role identity's SQL runs as: it reaches the identity schema and nothing else. */
export const IDENTITY_ROLE = 'strangler_identity';

interface AccountRow {
  readonly id: string;
  readonly email: string;
  readonly password_hash: string;
  readonly status: string;
  readonly created_at: Date;
  readonly last_login_at: Date | null;
  readonly version: number;
}

const COLUMNS = 'id, email, password_hash, status, created_at, last_login_at, version';
const EMAIL_CONSTRAINT = 'accounts_email_key';

function accountFromRow(row: AccountRow): Account {
  return {
    // bigint arrives as a string; the sequence stops at 2^53 - 1, so every id is a safe JSON number.
    id: Number(row.id),
    // The table's checks and the domain's rules admit the same values, so the row is trusted as it is.
    email: row.email as EmailAddress,
    passwordHash: row.password_hash,
    status: row.status as AccountStatus,
    createdAt: row.created_at,
    lastLoginAt: row.last_login_at,
    version: row.version,
  };
}

export const accountNotFound = () => new Failure('IDENTITY.ACCOUNT_NOT_FOUND', 'no account with this id');
export const emailTaken = () => new Failure('IDENTITY.EMAIL_TAKEN', 'another account has this email');

/** The unique constraint on email fired: another account has this email (also when two writers race). */
export function isEmailTaken(error: unknown): boolean {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && constraint === EMAIL_CONSTRAINT;
}

export async function nextAccountId(sql: ContextSql): Promise<number> {
  const [row] = await sql.query<{ id: string }>(`SELECT nextval('identity.account_ids') AS id`);
  return Number(row!.id);
}

export async function findAccount(sql: ContextSql, id: number): Promise<Account | undefined> {
  const [row] = await sql.query<AccountRow>(`SELECT ${COLUMNS} FROM identity.accounts WHERE id = $1`, [id]);
  return row && accountFromRow(row);
}

/** Locks the row until the transaction ends, so checks (If-Match, transitions) and the write see one version. */
export async function lockAccount(sql: ContextSql, id: number): Promise<Account | undefined> {
  const [row] = await sql.query<AccountRow>(`SELECT ${COLUMNS} FROM identity.accounts WHERE id = $1 FOR UPDATE`, [id]);
  return row && accountFromRow(row);
}

export async function findAccountByEmail(sql: ContextSql, email: string): Promise<Account | undefined> {
  const [row] = await sql.query<AccountRow>(`SELECT ${COLUMNS} FROM identity.accounts WHERE email = $1`, [email]);
  return row && accountFromRow(row);
}

/**
 * Inserts a registered account; false when the email is taken. ON CONFLICT instead of catching 23505:
 * registration shares its transaction with the other contexts, and an error would abort it for them too.
 * A concurrent insert of the same email waits for the other transaction and then sees the conflict.
 */
export async function insertAccount(sql: ContextSql, account: Account): Promise<boolean> {
  const inserted = await sql.query(
    `INSERT INTO identity.accounts (${COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $5)
     ON CONFLICT (email) DO NOTHING RETURNING id`,
    [account.id, account.email, account.passwordHash, account.status, account.createdAt, account.lastLoginAt, account.version],
  );
  return inserted.length === 1;
}

/**
 * Writes the account's new state over the version it was locked at. Throws on a taken email (23505, see
 * isEmailTaken): the caller owns the transaction, which that error has aborted.
 */
export async function updateAccount(sql: ContextSql, previousVersion: number, { account, events }: AccountChange): Promise<void> {
  const changedAt = events.at(-1)?.occurredAt;
  // A no-op (same email, same status, PATCH {}) writes nothing: no new version, no updated_at.
  if (!changedAt) return;
  const updated = await sql.query(
    `UPDATE identity.accounts
        SET email = $3, password_hash = $4, status = $5, last_login_at = $6, version = $7, updated_at = $8
      WHERE id = $1 AND version = $2
      RETURNING id`,
    [account.id, previousVersion, account.email, account.passwordHash, account.status, account.lastLoginAt, account.version, changedAt],
  );
  // The row is locked; a miss means a caller skipped lockAccount, which is a bug, not a conflict.
  if (updated.length !== 1) throw new Error(`account ${account.id} was not at version ${previousVersion}`);
}

export async function deleteAccount(sql: ContextSql, id: number): Promise<void> {
  await sql.query('DELETE FROM identity.accounts WHERE id = $1', [id]);
}

/** In the caller's transaction: the change and its events commit together or not at all. */
export async function recordAccountEvents(sql: ContextSql, events: readonly AccountEvent[]): Promise<void> {
  for (const event of events) {
    // schemaVersion 1: schemas/events/identity/*.v1.schema.json describe these envelopes.
    await appendToOutbox(sql, 'identity', {
      aggregateType: 'account',
      aggregateId: event.aggregateId,
      type: event.type,
      schemaVersion: 1,
      version: event.version,
      occurredAt: event.occurredAt,
      data: publishedData(event),
    });
  }
}

function publishedData(event: AccountEvent): Record<string, unknown> {
  if (event.type === 'identity.AccountErased') return { id: event.aggregateId };
  const { id, email, passwordHash, status, createdAt, lastLoginAt } = event.state;
  return { id, email, passwordHash, status, createdAt: createdAt.toISOString(), lastLoginAt: lastLoginAt?.toISOString() ?? null };
}
