import { Pool } from 'pg';
import { generateLegacyUsers, type GeneratedLegacyUser, type LegacyDirt, type LegacyUserRow } from './legacy-user-generator';
import { hashSeedPasswordPool, SEED_BCRYPT_COST } from './password-pool';

export interface SeedLegacyUsersOptions {
  /** Either a URL (a pool is opened and closed here) or a pool the caller owns. */
  readonly databaseUrl?: string;
  readonly pool?: Pool;
  readonly count: number;
  readonly seed?: number;
  /** Truncate `users` and restart its id sequence first; without it a non-empty table is refused. */
  readonly reset?: boolean;
  readonly batchSize?: number;
  readonly bcryptCost?: number;
  readonly onProgress?: (progress: { readonly inserted: number; readonly total: number }) => void;
}

export interface SeedSummary {
  readonly inserted: number;
  readonly seed: number;
  readonly durationMs: number;
  readonly statuses: Readonly<Record<'A' | 'S' | 'C' | 'unknown', number>>;
  readonly dirt: Readonly<Record<LegacyDirt, number>>;
}

export class LegacyUsersNotEmptyError extends Error {
  constructor(readonly existingRows: number) {
    super(`public.users already holds ${existingRows} rows; seed with reset to replace them`);
    this.name = 'LegacyUsersNotEmptyError';
  }
}

export const DEFAULT_SEED = 1;
const DEFAULT_BATCH_SIZE = 5_000;

// unnest keeps one round trip per batch; `with ordinality` pins usr_id order to generation order.
const INSERT_BATCH = `
  insert into public.users (email_addr, pwd_hash, acct_stat_cd, disp_nm, bio_txt, avatar_url, pref_lang, pref_tz,
                            email_optin_flg, theme_cd, last_login_ts, created_ts, updated_ts)
  select email_addr, pwd_hash, acct_stat_cd, disp_nm, bio_txt, avatar_url, pref_lang, pref_tz,
         email_optin_flg, theme_cd, last_login_ts, created_ts, updated_ts
    from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[], $10::text[], $11::timestamp[], $12::timestamp[], $13::timestamp[])
         with ordinality as u(email_addr, pwd_hash, acct_stat_cd, disp_nm, bio_txt, avatar_url, pref_lang, pref_tz,
                              email_optin_flg, theme_cd, last_login_ts, created_ts, updated_ts, position)
   order by position`;

const TEXT_COLUMNS = [
  'email_addr', 'pwd_hash', 'acct_stat_cd', 'disp_nm', 'bio_txt', 'avatar_url',
  'pref_lang', 'pref_tz', 'email_optin_flg', 'theme_cd',
] as const satisfies readonly (keyof LegacyUserRow)[];
const TIMESTAMP_COLUMNS = ['last_login_ts', 'created_ts', 'updated_ts'] as const satisfies readonly (keyof LegacyUserRow)[];

/** node-pg would send a Date in the process's local offset, which a `timestamp` column silently drops. */
function utcTimestamp(instant: Date | null): string | null {
  return instant === null ? null : instant.toISOString().replace('T', ' ').replace('Z', '');
}

function batchParameters(rows: readonly LegacyUserRow[]): unknown[] {
  return [
    ...TEXT_COLUMNS.map((column) => rows.map((row) => row[column])),
    ...TIMESTAMP_COLUMNS.map((column) => rows.map((row) => utcTimestamp(row[column]))),
  ];
}

function emptySummaryCounts() {
  return {
    statuses: { A: 0, S: 0, C: 0, unknown: 0 },
    dirt: { invalidEmail: 0, untidyEmail: 0, unknownStatus: 0, blankLocale: 0, nullPreferences: 0, largeBio: 0 },
  };
}

function tally(counts: ReturnType<typeof emptySummaryCounts>, user: GeneratedLegacyUser): void {
  const code = user.row.acct_stat_cd;
  if (code === 'A' || code === 'S' || code === 'C') counts.statuses[code]++;
  else counts.statuses.unknown++;
  for (const kind of user.dirt) counts.dirt[kind]++;
}

/**
 * Fills `public.users` with `count` deterministic users in one transaction: the same seed gives the same
 * rows (bcrypt salts aside), and a failure leaves the table as it was.
 */
export async function seedLegacyUsers(options: SeedLegacyUsersOptions): Promise<SeedSummary> {
  const { count, seed = DEFAULT_SEED, reset = false, batchSize = DEFAULT_BATCH_SIZE } = options;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (!options.pool && !options.databaseUrl) throw new Error('seedLegacyUsers needs a pool or a databaseUrl');
  const pool = options.pool ?? new Pool({ connectionString: options.databaseUrl, max: 1 });
  const started = performance.now();
  const counts = emptySummaryCounts();
  try {
    const passwordHashes = await hashSeedPasswordPool(options.bcryptCost ?? SEED_BCRYPT_COST);
    const client = await pool.connect();
    try {
      await client.query('begin');
      // Taken before the emptiness check so two seeders cannot both find the table empty.
      await client.query('lock table public.users in share row exclusive mode');
      if (reset) {
        await client.query('truncate public.users restart identity');
      } else {
        const existing = await client.query<{ rows: string }>('select count(*) as rows from public.users');
        const rows = Number(existing.rows[0]?.rows ?? 0);
        if (rows > 0) throw new LegacyUsersNotEmptyError(rows);
      }
      const users = generateLegacyUsers(seed, passwordHashes);
      for (let inserted = 0; inserted < count; ) {
        const batch: LegacyUserRow[] = [];
        while (batch.length < Math.min(batchSize, count - inserted)) {
          const user = users.next().value as GeneratedLegacyUser;
          tally(counts, user);
          batch.push(user.row);
        }
        await client.query(INSERT_BATCH, batchParameters(batch));
        inserted += batch.length;
        options.onProgress?.({ inserted, total: count });
      }
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
  } finally {
    if (!options.pool) await pool.end();
  }
  return { inserted: count, seed, durationMs: Math.round(performance.now() - started), ...counts };
}
