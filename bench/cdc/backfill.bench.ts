// Backfill through the snapshot against a plain INSERT ... SELECT. Legacy is seeded first, then:
// (b) the baseline: the legacy rows copied into a scratch table of the same user_service database (not
// timed), then three INSERT ... SELECT statements, one per context, translating in SQL (timed); the
// contexts are emptied again afterwards. (a) the real path: a connector registered only now, whose
// initial snapshot reads every row, and the forward worker applying them, until every row has its
// position in sync.forward_positions (written in the same transaction as the contexts' rows, so then
// every context holds every row it accepts).
import { seedLegacyUsers } from '../../migrations/legacy/seed/seed-legacy-users';
import { openSyncBench, round, until, type BenchOptions, type BenchResult, type SyncBench } from './sync-bench-harness';

const LEGACY_COLUMNS = `usr_id bigint PRIMARY KEY, email_addr text, pwd_hash text, acct_stat_cd text, disp_nm text, bio_txt text, avatar_url text,
  pref_lang text, pref_tz text, email_optin_flg text, theme_cd text, last_login_ts timestamp, created_ts timestamp, updated_ts timestamp`;
const COPY_BATCH = 5_000;

// The translation in SQL, without the dirt handling of cdc/forward/legacy-user.acl.ts: rows it would
// dead-letter are filtered out by rough predicates, no time zone is checked against the IANA list, no
// outbox event or sync position is written. It is the cheapest split of the table a DBA could write.
const BASELINE_INSERTS = [
  `INSERT INTO identity.accounts (id, email, password_hash, status, created_at, last_login_at, version, updated_at)
   SELECT usr_id, lower(btrim(email_addr, ' ')), pwd_hash,
          CASE acct_stat_cd WHEN 'A' THEN 'active' WHEN 'S' THEN 'suspended' ELSE 'closed' END,
          coalesce(created_ts, updated_ts, timezone('utc', now())) AT TIME ZONE 'UTC', last_login_ts AT TIME ZONE 'UTC', 1, now()
     FROM bench_legacy_users
    WHERE btrim(email_addr, ' ') ~ '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$' AND acct_stat_cd IN ('A', 'S', 'C') AND pwd_hash <> ''
   ON CONFLICT DO NOTHING`,
  `INSERT INTO profile.profiles (id, display_name, bio, avatar_url, version, updated_at)
   SELECT usr_id, disp_nm, bio_txt, avatar_url, 1, now()
     FROM bench_legacy_users
    WHERE coalesce(char_length(bio_txt), 0) <= 20000 AND (avatar_url IS NULL OR avatar_url ~* '^https?://')`,
  `INSERT INTO preferences.preferences (id, locale, time_zone, marketing_emails, theme, version, updated_at)
   SELECT usr_id, nullif(replace(regexp_replace(btrim(pref_lang), '[.@].*$', ''), '_', '-'), ''), pref_tz,
          CASE email_optin_flg WHEN 'Y' THEN true WHEN 'N' THEN false END,
          CASE theme_cd WHEN 'LIGHT' THEN 'light' WHEN 'DARK' THEN 'dark' WHEN 'SYS' THEN 'system' END, 1, now()
     FROM bench_legacy_users
    WHERE (email_optin_flg IS NULL OR email_optin_flg IN ('Y', 'N')) AND (theme_cd IS NULL OR theme_cd IN ('LIGHT', 'DARK', 'SYS'))`,
];

const CONTEXT_TABLES = ['identity.accounts', 'profile.profiles', 'preferences.preferences'] as const;

async function contextCounts(bench: SyncBench): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of CONTEXT_TABLES) counts[table] = Number((await bench.userService.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
  return counts;
}

async function copyLegacyRows(bench: SyncBench, users: number): Promise<void> {
  await bench.userService.query(`CREATE TABLE bench_legacy_users (${LEGACY_COLUMNS})`);
  for (let from = 1; from <= users; from += COPY_BATCH) {
    const { rows } = await bench.legacy.query(
      `SELECT usr_id, email_addr, pwd_hash, acct_stat_cd, disp_nm, bio_txt, avatar_url, pref_lang, pref_tz, email_optin_flg, theme_cd,
              last_login_ts::text, created_ts::text, updated_ts::text
         FROM public.users WHERE usr_id BETWEEN $1 AND $2`, [from, from + COPY_BATCH - 1]);
    const columns = Object.keys(rows[0] ?? {});
    await bench.userService.query(
      `INSERT INTO bench_legacy_users (${columns.join(', ')})
       SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c === 'usr_id' ? 'bigint' : c.endsWith('_ts') ? 'timestamp' : 'text'}[]`).join(', ')})`,
      columns.map((c) => rows.map((row: Record<string, unknown>) => row[c])),
    );
  }
  await bench.userService.query('ANALYZE bench_legacy_users');
}

export async function backfillBench(options: BenchOptions): Promise<BenchResult> {
  const users = options.quick ? 10_000 : 100_000;
  const bench = await openSyncBench('backfill');
  try {
    const capture = await bench.recapture();
    options.progress(`seeding ${users} legacy users`);
    const seeded = await seedLegacyUsers({ pool: bench.legacy, count: users, seed: 13 });

    options.progress('baseline: copying the legacy rows into a scratch table, then INSERT ... SELECT into the three contexts');
    await copyLegacyRows(bench, users);
    const client = await bench.userService.connect();
    let baselineMs: number;
    try {
      const started = performance.now();
      await client.query('BEGIN');
      for (const statement of BASELINE_INSERTS) await client.query(statement);
      await client.query('COMMIT');
      baselineMs = performance.now() - started;
    } finally {
      client.release();
    }
    const baselineCounts = await contextCounts(bench);
    await bench.userService.query(`TRUNCATE ${CONTEXT_TABLES.join(', ')}, identity.outbox, profile.outbox, preferences.outbox, sync.forward_positions`);
    await bench.userService.query('DROP TABLE bench_legacy_users');
    await bench.userService.query('VACUUM ANALYZE');

    options.progress(`backfill: connector snapshot of ${users} rows + forward sync`);
    // The worker is up (topic created, group joined) before the clock starts, as in a deployment that
    // registers the connector last.
    await bench.startForwardWorker();
    const { registeredAt } = await capture.register();
    let producedAt: number | undefined;
    let lastReport = performance.now();
    const applied = await until('every legacy row to be applied', async () => {
      const { end } = await bench.offsets();
      if (producedAt === undefined && end >= users) producedAt = performance.now();
      const n = Number((await bench.userService.query<{ n: string }>('SELECT count(*) AS n FROM sync.forward_positions')).rows[0]!.n);
      if (performance.now() - lastReport > 5_000) {
        lastReport = performance.now();
        options.progress(`  snapshot events ${end}/${users}, applied ${n}/${users}`);
      }
      return n >= users ? performance.now() : undefined;
    }, { timeoutMs: 30 * 60_000, everyMs: 250 });
    const backfillMs = applied - registeredAt;
    const deadLetters = (await bench.control.query<{ context: string | null; n: string }>('SELECT context, count(*) AS n FROM control.dead_letters GROUP BY context ORDER BY context')).rows;
    return {
      name: 'backfill through the snapshot',
      ratio: { label: 'snapshot backfill / INSERT ... SELECT', value: round(backfillMs / baselineMs, 1), reading: 'how many times longer the real path takes than the cheapest SQL split of the same rows' },
      baseline: { label: 'INSERT ... SELECT into three schemas', value: round(baselineMs / 1000, 2), unit: 's' },
      measured: { label: 'snapshot + forward sync', value: round(backfillMs / 1000, 2), unit: 's' },
      raw: {
        users,
        seedSeconds: round(seeded.durationMs / 1000, 2),
        snapshotProducedSeconds: producedAt === undefined ? null : round((producedAt - registeredAt) / 1000, 2),
        backfillRowsPerSecond: round(users / (backfillMs / 1000), 0),
        baselineRowsPerSecond: round(users / (baselineMs / 1000), 0),
        baselineCounts,
        backfillCounts: await contextCounts(bench),
        deadLetters: Object.fromEntries(deadLetters.map((row) => [row.context ?? 'none', Number(row.n)])),
      },
    };
  } finally {
    await bench.close();
  }
}
