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
    // request-target.ts refuses dot segments in requests, so a route with one could never be reached.
    if (route.path.split('/').some((part) => part === '.' || part === '..')) {
      issues.addIssue({ code: 'custom', path: ['path'], message: `${route.path} has a dot segment, which no request may carry` });
    }
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
  /** The user id from the path, as the backends parse it (`canonicalUserId`), or null when it names nobody. */
  readonly userId: string | null;
}

/** Whose requests lie under a route's path: a context's (they go where its writes go) or legacy's alone. */
export type PathSpace = RouteDefinition['context'];

interface CompiledRoute {
  readonly route: RouteDefinition;
  /** Literal segments in lower case, or null for a parameter. */
  readonly segments: readonly (string | null)[];
  readonly userIdSegment: number;
}

export class RouteTable {
  private readonly compiled: readonly CompiledRoute[];
  /** Longest path first, and of two as long, the one with a literal where the other has a parameter. */
  private readonly bySpecificity: readonly CompiledRoute[];

  constructor(readonly routes: readonly RouteDefinition[]) {
    this.compiled = routes.map((route) => {
      const parts = route.path.split('/').slice(1);
      const segments = parts.map((part) => (part.startsWith(':') ? null : part.toLowerCase()));
      const userIdSegment = route.userId?.from === 'path' ? parts.indexOf(`:${route.userId.param}`) : -1;
      return { route, segments, userIdSegment };
    });
    this.bySpecificity = [...this.compiled].sort((a, b) => b.segments.length - a.segments.length || specificity(a, b));
  }

  /**
   * The route of a request whose target request-target.ts has read (segments as received, the one trailing
   * slash dropped), matched as Express 5 matches: literals raw and case-insensitive, HEAD served by GET
   * routes, the user id decoded and parsed as the backends parse it.
   */
  match(method: string, segments: readonly string[]): MatchedRoute | null {
    const effectiveMethod = method === 'HEAD' ? 'GET' : method;
    for (const candidate of this.compiled) {
      if (candidate.route.method !== effectiveMethod || candidate.segments.length !== segments.length || !startsWith(segments, candidate)) continue;
      const raw = candidate.userIdSegment >= 0 ? segments[candidate.userIdSegment]! : null;
      return { route: candidate.route, userId: raw === null ? null : canonicalUserId(raw.includes('%') ? decodeURIComponent(raw) : raw) };
    }
    return null;
  }

  /**
   * Whose path space holds a request no route matches: the context of the longest route path that is a
   * segment-wise prefix of it, whatever the method (`PUT /api/users/7/profile` and
   * `GET /api/users/7/profile/x` are profile's, `POST /api/users/7` identity's), or null for nobody's.
   */
  spaceOf(segments: readonly string[]): PathSpace | null {
    return this.bySpecificity.find((candidate) => candidate.segments.length <= segments.length && startsWith(segments, candidate))?.route.context ?? null;
  }
}

function startsWith(segments: readonly string[], candidate: CompiledRoute): boolean {
  return candidate.segments.every((literal, i) => literal === null || literal === segments[i]!.toLowerCase());
}

function specificity(a: CompiledRoute, b: CompiledRoute): number {
  for (let i = 0; i < a.segments.length; i++) {
    const aLiteral = a.segments[i] !== null;
    if (aLiteral !== (b.segments[i] !== null)) return aLiteral ? -1 : 1;
  }
  return 0;
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
 * A user id exactly as both backends parse one (legacy's parseUserId, the user-service's parseId): digits
 * only, read as a Number, a safe integer above 0 (ids are JSON numbers), written back in decimal, so `011`
 * is user 11 and `9007199254740993` nobody. Null when the backends would answer 400 REQUEST.INVALID_ID.
 */
export function canonicalUserId(raw: string): string | null {
  if (!/^[0-9]+$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) && id > 0 ? String(id) : null;
}

/** An id read from an answer's body names a user when it is one in canonical form (at most 16 digits, so the cdc's sync API takes it too). */
export function isUserId(value: string): boolean {
  return canonicalUserId(value) === value;
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

