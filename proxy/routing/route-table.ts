import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CONTEXTS } from '../stages/stages';

const NORMALISATIONS = ['case-fold', 'timestamp-ms', 'timestamp-s'] as const;
export type Normalisation = (typeof NORMALISATIONS)[number];

const fieldPath = z.string().regex(/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/, 'a field path such as "email" or "address.city"');

const shadowRulesSchema = z.strictObject({
  $comment: z.string().optional(),
  /** Fields that differ by design between the two sides (bookkeeping such as updatedAt). */
  ignore: z.array(fieldPath).default([]),
  /** Fields compared after a normalisation: "case-fold" (trimmed, lower case), "timestamp-ms"/"timestamp-s" (same instant at that precision). */
  normalise: z.record(fieldPath, z.enum(NORMALISATIONS)).default({}),
});
export type ShadowRules = z.infer<typeof shadowRulesSchema>;

const routeSchema = z
  .strictObject({
    key: z.string().regex(/^[a-z][a-z0-9.-]*$/, 'a route key in lower case such as "profile.read"'),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    path: z.string().regex(/^(\/([A-Za-z0-9._~-]+|:[A-Za-z][A-Za-z0-9]*))+$/, 'a path pattern such as /api/users/:id/profile'),
    context: z.enum([...CONTEXTS, 'legacy-only']),
    kind: z.enum(['read', 'write']),
    /** Where the user is named: the canary bucket and the read-your-writes pin follow it. */
    userId: z
      .discriminatedUnion('from', [
        z.strictObject({ from: z.literal('path'), param: z.string() }),
        z.strictObject({ from: z.literal('response'), field: fieldPath }),
      ])
      .optional(),
    shadow: shadowRulesSchema.optional(),
  })
  .superRefine((route, issues) => {
    const params = [...route.path.matchAll(/:([A-Za-z][A-Za-z0-9]*)/g)].map((m) => m[1]);
    if (route.userId?.from === 'path' && !params.includes(route.userId.param)) {
      issues.addIssue({ code: 'custom', path: ['userId', 'param'], message: `${route.path} has no parameter :${route.userId.param}` });
    }
    if (route.userId?.from === 'response' && route.kind !== 'write') {
      issues.addIssue({ code: 'custom', path: ['userId'], message: 'only a write learns its user from the response (sign-up, sign-in)' });
    }
    if (route.shadow && route.kind !== 'read') {
      issues.addIssue({ code: 'custom', path: ['shadow'], message: 'writes are never mirrored, so a write route has no shadow rules' });
    }
    if (route.kind === 'read' && route.context !== 'legacy-only' && route.userId?.from !== 'path') {
      issues.addIssue({ code: 'custom', path: ['userId'], message: 'a context read needs the user id in its path for canary buckets and pins' });
    }
  });

const routeTableSchema = z
  .strictObject({ $comment: z.string().optional(), routes: z.array(routeSchema).min(1) })
  .superRefine((table, issues) => {
    const seen = new Map<string, number>();
    table.routes.forEach((route, index) => {
      if (seen.has(route.key)) issues.addIssue({ code: 'custom', path: ['routes', index, 'key'], message: `duplicate route key ${route.key}` });
      seen.set(route.key, index);
      const shape = `${route.method} ${route.path.toLowerCase().replace(/:[^/]+/g, ':')}`;
      const twin = table.routes.findIndex((other) => `${other.method} ${other.path.toLowerCase().replace(/:[^/]+/g, ':')}` === shape);
      if (twin !== index) issues.addIssue({ code: 'custom', path: ['routes', index, 'path'], message: `${route.method} ${route.path} is already routed by ${table.routes[twin]!.key}` });
    });
  });

export type RouteDefinition = z.infer<typeof routeSchema>;

/** A request as the route table sees it: the route and the user it names, if any. */
export interface MatchedRoute {
  readonly route: RouteDefinition;
  /** The user id from the path, when the route names one there and it is a positive integer. */
  readonly userId: string | null;
}

interface CompiledRoute {
  readonly route: RouteDefinition;
  /** Literal segments in lower case, or null for a parameter. */
  readonly segments: readonly (string | null)[];
  readonly userIdSegment: number;
}

export class RouteTable {
  private readonly compiled: readonly CompiledRoute[];

  constructor(readonly routes: readonly RouteDefinition[]) {
    this.compiled = routes.map((route) => {
      const parts = route.path.split('/').slice(1);
      const segments = parts.map((part) => (part.startsWith(':') ? null : part.toLowerCase()));
      const userIdSegment = route.userId?.from === 'path' ? parts.indexOf(`:${route.userId.param}`) : -1;
      return { route, segments, userIdSegment };
    });
  }

  /**
   * The route a request belongs to, matched the way the Express backends match (case-insensitive, one
   * trailing slash tolerated, HEAD served by GET routes): a request legacy would serve as a context's
   * route must not slip past the table to legacy once that context is retired.
   */
  match(method: string, url: string): MatchedRoute | null {
    const queryAt = url.indexOf('?');
    let path = queryAt >= 0 ? url.slice(0, queryAt) : url;
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const parts = path.split('/');
    const effectiveMethod = method === 'HEAD' ? 'GET' : method;
    for (const candidate of this.compiled) {
      if (candidate.route.method !== effectiveMethod || candidate.segments.length !== parts.length - 1 || parts[0] !== '') continue;
      let matches = true;
      for (let i = 0; i < candidate.segments.length; i++) {
        const literal = candidate.segments[i];
        const part = parts[i + 1]!;
        if (part === '' || (literal !== null && literal !== part.toLowerCase())) {
          matches = false;
          break;
        }
      }
      if (!matches) continue;
      const raw = candidate.userIdSegment >= 0 ? parts[candidate.userIdSegment + 1]! : null;
      return { route: candidate.route, userId: raw !== null && isUserId(raw) ? raw : null };
    }
    return null;
  }
}

/** Parses and checks a route table; the error names every problem with its place in the file. */
export function parseRouteTable(json: unknown, source = 'route table'): RouteTable {
  const parsed = routeTableSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`${source} is invalid:\n${problems.join('\n')}`);
  }
  return new RouteTable(parsed.data.routes);
}

/**
 * A user id as the contract's bigint ids are written: up to 18 digits, the range the cdc's sync API accepts,
 * so that a pin or gate taken for an id can always be released by asking the cdc about it.
 */
export function isUserId(value: string): boolean {
  return /^[1-9][0-9]{0,17}$/.test(value);
}

export const DEFAULT_ROUTE_TABLE_FILE = join(__dirname, '..', 'route-table.json');

export function loadRouteTable(file = DEFAULT_ROUTE_TABLE_FILE): RouteTable {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the route table ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseRouteTable(json, file);
}

