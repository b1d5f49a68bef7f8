import { Router } from 'express';
import type { Pool } from 'pg';
import { inModule } from '../http/request-metrics';

// Rows with unknown status codes (legacy dirt) fall in none of the three buckets.
const USERS_BY_STATUS = `
  select count(*) filter (where acct_stat_cd = 'A') as active,
         count(*) filter (where acct_stat_cd = 'S') as suspended,
         count(*) filter (where acct_stat_cd = 'C') as closed
    from public.users`;

export function reportingRoutes(pool: Pool): Router {
  const router = Router();
  router.get('/api/reports/users-by-status', inModule('reporting'), async (_req, res) => {
    const { rows } = await pool.query<Record<'active' | 'suspended' | 'closed', string>>(USERS_BY_STATUS);
    const counts = rows[0];
    res.json({ active: Number(counts?.active ?? 0), suspended: Number(counts?.suspended ?? 0), closed: Number(counts?.closed ?? 0) });
  });
  return router;
}
