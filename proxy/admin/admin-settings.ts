import { z } from 'zod';
import { cdcAddresses, cdcUrlSetting } from '../cdc-addresses';
import type { GuardThresholds } from './promotion-guards';

const rate = z.coerce.number().min(0).max(1);
const count = z.coerce.number().int().min(0);
const milliseconds = z.coerce.number().int().min(0).max(3_600_000);

const environment = z.object({
  // Unset (or empty, which counts as unset): the admin API refuses every call (CONTRACT.md), it is never open.
  STRANGLER_ADMIN_TOKEN: z.string().optional(),
  STRANGLER_CDC_URL: cdcUrlSetting.default('http://127.0.0.1:8084'),
  STRANGLER_GUARD_MIN_SHADOW_SAMPLE: count.default(100),
  STRANGLER_GUARD_MAX_SHADOW_MISMATCH_RATE: rate.default(0.01),
  STRANGLER_GUARD_MAX_FORWARD_LAG_SECONDS: z.coerce.number().min(0).default(5),
  STRANGLER_GUARD_MAX_FORWARD_BACKLOG: count.default(100),
  STRANGLER_GUARD_MAX_VERIFY_AGE_SECONDS: count.default(3600),
  // How long a write hold waits for every proxy instance with a live lease to confirm it (or to let its lease
  // lapse, then it is fenced). Above the proxies' lease (PROXY_LEASE_MS, 10 s) plus a stage poll, or a dead
  // instance would make every hand-over fail instead of being waited out.
  STRANGLER_ADMIN_HOLD_CONFIRM_TIMEOUT_MS: milliseconds.default(15_000),
  STRANGLER_ADMIN_DRAIN_TIMEOUT_MS: milliseconds.default(30_000),
  // How often every admin process looks for write holds left by a change whose process died (hold-sweeper.ts):
  // the bound, past the dead process's connection closing, on how long such a hold keeps writes held.
  STRANGLER_ADMIN_HOLD_SWEEP_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  // Bound on the cdc /healthz call behind the guards, so an unresponsive cdc fails the guards instead of hanging the API.
  STRANGLER_ADMIN_CDC_TIMEOUT_MS: milliseconds.default(2_000),
  STRANGLER_ADMIN_INITIAL_CANARY_PERCENT: z.coerce.number().int().min(0).max(100).default(0),
});

export interface AdminSettings {
  readonly token: string | undefined;
  readonly cdcUrl: string;
  readonly guards: GuardThresholds;
  readonly holdConfirmTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly holdSweepMs: number;
  readonly cdcTimeoutMs: number;
  readonly initialCanaryPercent: number;
}

export function loadAdminSettings(env: NodeJS.ProcessEnv): AdminSettings {
  // An empty variable is an unset one, as for the data plane's settings: `X=` must not coerce to 0.
  const parsed = environment.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) throw new Error(`invalid admin configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  return {
    token: e.STRANGLER_ADMIN_TOKEN,
    cdcUrl: cdcAddresses(e.STRANGLER_CDC_URL).join(','),
    guards: {
      minShadowSample: e.STRANGLER_GUARD_MIN_SHADOW_SAMPLE,
      maxShadowMismatchRate: e.STRANGLER_GUARD_MAX_SHADOW_MISMATCH_RATE,
      maxForwardLagSeconds: e.STRANGLER_GUARD_MAX_FORWARD_LAG_SECONDS,
      maxForwardBacklog: e.STRANGLER_GUARD_MAX_FORWARD_BACKLOG,
      maxVerifyAgeSeconds: e.STRANGLER_GUARD_MAX_VERIFY_AGE_SECONDS,
    },
    holdConfirmTimeoutMs: e.STRANGLER_ADMIN_HOLD_CONFIRM_TIMEOUT_MS,
    drainTimeoutMs: e.STRANGLER_ADMIN_DRAIN_TIMEOUT_MS,
    holdSweepMs: e.STRANGLER_ADMIN_HOLD_SWEEP_MS,
    cdcTimeoutMs: e.STRANGLER_ADMIN_CDC_TIMEOUT_MS,
    initialCanaryPercent: e.STRANGLER_ADMIN_INITIAL_CANARY_PERCENT,
  };
}
