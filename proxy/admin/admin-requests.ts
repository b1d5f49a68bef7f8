// What the admin API accepts, checked once at the edge: each parser returns the request or the failure
// that names what is wrong with it.
import { z } from 'zod';
import { AdminFailure } from './admin-failure';
import { CONTEXTS, isContext, isStage, STAGES, type Context, type Stage } from './stage-transitions';

const percent = z.number().int().min(0).max(100);
const reason = z.string().max(1000);

const promoteBody = z.strictObject({
  to: z.string().optional(),
  reason: reason.optional(),
  dryRun: z.boolean().default(false),
  force: z.boolean().default(false),
  /** The canary percentage to start at, when the promotion enters canary. */
  percent: percent.optional(),
});

const rollbackBody = z.strictObject({
  to: z.string(),
  reason: reason.optional(),
  percent: percent.optional(),
});

const canaryBody = z.strictObject({
  percent,
  reason: reason.optional(),
});

function explain(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
      if (issue.path.length === 0) return 'the body must be a JSON object';
      return `${issue.path.join('.')}: ${issue.message}`;
    })
    .join('; ');
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T | AdminFailure {
  const result = schema.safeParse(body);
  return result.success ? result.data : new AdminFailure('ADMIN.INVALID_REQUEST', explain(result.error));
}

export function parseContext(raw: unknown): Context | AdminFailure {
  return isContext(raw) ? raw : new AdminFailure('ADMIN.UNKNOWN_CONTEXT', `unknown context ${JSON.stringify(raw)}; contexts are ${CONTEXTS.join(', ')}`);
}

function parseStage(raw: string): Stage | AdminFailure {
  return isStage(raw) ? raw : new AdminFailure('ADMIN.UNKNOWN_STAGE', `unknown stage ${JSON.stringify(raw)}; stages are ${STAGES.join(', ')}`);
}

const blank = (text: string | undefined) => text === undefined || text.trim() === '';

export interface PromoteInput {
  readonly to?: Stage;
  readonly reason?: string;
  readonly dryRun: boolean;
  readonly force: boolean;
  readonly percent?: number;
}

/** No body at all is a plain promotion to the next stage. */
export function parsePromote(body: unknown): PromoteInput | AdminFailure {
  const parsed = parse(promoteBody, body === undefined ? {} : body);
  if (parsed instanceof AdminFailure) return parsed;
  // An override is only as good as the explanation left for whoever reads the audit log next.
  if (parsed.force && blank(parsed.reason)) return new AdminFailure('ADMIN.INVALID_REQUEST', 'force requires a non-empty reason');
  const to = parsed.to === undefined ? undefined : parseStage(parsed.to);
  if (to instanceof AdminFailure) return to;
  return {
    dryRun: parsed.dryRun,
    force: parsed.force,
    ...(to ? { to } : {}),
    ...(blank(parsed.reason) ? {} : { reason: parsed.reason!.trim() }),
    ...(parsed.percent !== undefined ? { percent: parsed.percent } : {}),
  };
}

export interface RollbackInput {
  readonly to: Stage;
  readonly reason?: string;
  readonly percent?: number;
}

export function parseRollback(body: unknown): RollbackInput | AdminFailure {
  const parsed = parse(rollbackBody, body === undefined ? {} : body);
  if (parsed instanceof AdminFailure) return parsed;
  const to = parseStage(parsed.to);
  if (to instanceof AdminFailure) return to;
  return { to, ...(blank(parsed.reason) ? {} : { reason: parsed.reason!.trim() }), ...(parsed.percent !== undefined ? { percent: parsed.percent } : {}) };
}

export function parseCanary(body: unknown): { percent: number; reason?: string } | AdminFailure {
  const parsed = parse(canaryBody, body === undefined ? {} : body);
  if (parsed instanceof AdminFailure) return parsed;
  return { percent: parsed.percent, ...(blank(parsed.reason) ? {} : { reason: parsed.reason!.trim() }) };
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

const listQuery = z.strictObject({
  context: z.string().optional(),
  limit: z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_LIST_LIMIT))
    .optional(),
});

/** `?context=&limit=` of the listings (audit, shadow mismatches). */
export function parseListQuery(query: unknown): { context?: Context; limit: number } | AdminFailure {
  const parsed = parse(listQuery, query);
  if (parsed instanceof AdminFailure) return parsed;
  const context = parsed.context === undefined ? undefined : parseContext(parsed.context);
  if (context instanceof AdminFailure) return context;
  return { ...(context ? { context } : {}), limit: parsed.limit ?? DEFAULT_LIST_LIMIT };
}

export const DEFAULT_ACTOR = 'admin-api';

/** Who is acting, for the audit log: the CLI sends $USER. Printable text only, so the log cannot be forged with newlines. */
export function parseActor(header: string | string[] | undefined): string | AdminFailure {
  if (header === undefined) return DEFAULT_ACTOR;
  const value = Array.isArray(header) ? header[0] ?? '' : header;
  const actor = value.trim();
  if (actor === '' || actor.length > 200 || /[\u0000-\u001f\u007f]/.test(actor)) return new AdminFailure('ADMIN.INVALID_REQUEST', 'X-Strangler-Actor must be 1 to 200 printable characters');
  return actor;
}
