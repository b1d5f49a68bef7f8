import { isIPv6 } from 'node:net';
import type { MatchedRoute, PathSpace, RouteTable } from './route-table';

/**
 * One meaning for every request-target (issue 10). The proxy and the Express backends must agree on which
 * route a request is, or a write the new service owns can be acknowledged by legacy and lost. Node's
 * parser hands over `req.url` as the client sent it; Express reads it through parseurl (which falls back to
 * the legacy `url.parse` for absolute-form, a `#` and a few more, converting backslashes and dropping the
 * fragment) and path-to-regexp (raw literals, case-insensitive, decoded parameters). So the proxy accepts
 * only the forms whose meaning is the same on both readings, and refuses the others with one stable code
 * instead of letting them fall through to legacy.
 */
export const INVALID_TARGET = 'PROXY.INVALID_TARGET';

export interface TargetRefusal {
  readonly code: typeof INVALID_TARGET;
  readonly message: string;
}

export interface RequestTarget {
  readonly form: 'origin' | 'absolute';
  /** What is classified and forwarded: the path and query as received, never decoded. */
  readonly originForm: string;
  /** For absolute-form, `host[:port]` as sent: it replaces the Host header (RFC 9112 §3.2.2). */
  readonly authority: string | null;
  /** The path's segments as received (not decoded), without the one trailing slash; `[]` for `/`. */
  readonly segments: readonly string[];
}

export type TargetReading =
  | { readonly outcome: 'refused'; readonly refusal: TargetRefusal }
  | {
      readonly outcome: 'classified';
      readonly target: RequestTarget;
      /** The route of the table, or null. */
      readonly match: MatchedRoute | null;
      /** For an unmatched request: whose path space holds it (route-table.ts's `spaceOf`), or null for nobody's. */
      readonly space: PathSpace | null;
    };

/** Reads one request as the client port receives it: the refusal, or the target and its classification. */
export function readRequestTarget(routes: RouteTable, method: string, url: string): TargetReading {
  const target = parseRequestTarget(url);
  if ('code' in target) return { outcome: 'refused', refusal: target };
  const match = routes.match(method, target.segments);
  return { outcome: 'classified', target, match, space: match === null ? routes.spaceOf(target.segments) : null };
}

/** GET, HEAD and OPTIONS: what an unmatched request may do while its context's writes are held. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

const refuse = (message: string): TargetRefusal => ({ code: INVALID_TARGET, message });

const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?]*)(.*)$/;
const PERCENT = 0x25;
// Per ASCII code, once (this runs on every request): 2 unreserved (RFC 3986 §2.3), 1 the rest of pchar
// (§3.3) less ';' (path parameters mean something to some servers and nothing to others) and '%', 0 refused.
const PATH_CHARS = Uint8Array.from({ length: 128 }, (_, code) => {
  const char = String.fromCharCode(code);
  return /[A-Za-z0-9._~-]/.test(char) ? 2 : /[!$&'()*+,=:@]/.test(char) ? 1 : 0;
});

/** The request-target alone, before any route is looked at. */
export function parseRequestTarget(url: string): RequestTarget | TargetRefusal {
  // Node's parser already refuses these (400 before any handler); checked again so this function is safe alone.
  const stray = /[^\x21-\x7e]/.exec(url);
  if (stray) return refuse(`the request-target contains the byte 0x${stray[0].charCodeAt(0).toString(16).padStart(2, '0')}`);
  // A fragment is never part of a request-target (RFC 9112 §3.2); Express drops it, a plain matcher does not.
  if (url.includes('#')) return refuse('the request-target contains a fragment (#)');
  if (url === '*') return refuse('asterisk-form (OPTIONS *) is not served');
  if (url.startsWith('/')) return originForm(url, 'origin', null);

  const absolute = ABSOLUTE_FORM.exec(url);
  if (!absolute) return refuse('the request-target is neither origin-form (/path) nor absolute-form (http://host/path)');
  const [, scheme, authority, rest] = absolute as unknown as [string, string, string, string];
  if (!/^https?$/i.test(scheme)) return refuse(`the scheme ${scheme} is not served`);
  const wrongAuthority = checkAuthority(authority);
  if (wrongAuthority) return refuse(wrongAuthority);
  // An empty path means "/" (RFC 9112 §3.2.2).
  return originForm(rest.startsWith('/') ? rest : `/${rest}`, 'absolute', authority);
}

function originForm(target: string, form: RequestTarget['form'], authority: string | null): RequestTarget | TargetRefusal {
  const queryAt = target.indexOf('?');
  const path = queryAt >= 0 ? target.slice(0, queryAt) : target;
  const segments = path.split('/').slice(1);
  // Express 5's non-strict routing tolerates one trailing slash ("/" is the empty path with it).
  if (segments[segments.length - 1] === '') segments.pop();
  for (const segment of segments) {
    const wrong = checkSegment(segment);
    if (wrong) return refuse(wrong);
  }
  return { form, originForm: target, authority, segments };
}

function checkSegment(segment: string): string | undefined {
  if (segment === '') return 'the path has an empty segment (a repeated slash)';
  if (segment === '.' || segment === '..') return `the path has a dot segment (${segment})`;
  for (let i = 0; i < segment.length; i++) {
    const code = segment.charCodeAt(i);
    if (code !== PERCENT) {
      if (PATH_CHARS[code]) continue;
      const char = segment[i]!;
      return char === ';' ? 'the path has a parameter (;)' : char === '\\' ? 'the path has a backslash' : `the path has the character ${char}`;
    }
    const hex = segment.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return 'the path has a malformed percent-encoding';
    const byte = parseInt(hex, 16);
    const decoded = String.fromCharCode(byte);
    // RFC 3986 §6.2.2.2 normalisers decode these and others do not: the same bytes would name two paths.
    if (PATH_CHARS[byte] === 2) return `the path percent-encodes ${decoded} (%${hex}), which has a plain form`;
    if (decoded === '/' || decoded === '\\') return `the path has an encoded ${decoded === '/' ? 'slash' : 'backslash'} (%${hex})`;
    i += 2;
  }
  // The backends decode parameters with decodeURIComponent and answer 400 when it fails; a segment that is
  // not UTF-8 once decoded has no meaning to classify.
  if (segment.includes('%') && !decodesAsUtf8(segment)) return 'the path has a percent-encoding that is not UTF-8';
  return undefined;
}

function decodesAsUtf8(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return true;
  } catch (error) {
    if (error instanceof URIError) return false;
    throw error;
  }
}

const DNS_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Strictly `host[:port]`: a DNS name, an IPv4 address or a bracketed IPv6 address; no userinfo, no empty port. */
function checkAuthority(authority: string): string | undefined {
  if (authority.includes('@')) return 'the request-target carries userinfo (user@host)';
  const parts = /^(\[[^\]]*\]|[^:]*)(?::([0-9]{1,5}))?$/.exec(authority);
  if (!parts) return `the authority ${authority} is not host[:port]`;
  const [, host, port] = parts as unknown as [string, string, string | undefined];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `the port ${port} is out of range`;
  if (host.startsWith('[')) return isIPv6(host.slice(1, -1)) ? undefined : `the host ${host} is not an IPv6 address`;
  if (host.length === 0 || host.length > 253 || !host.split('.').every((label) => DNS_LABEL.test(label))) return `the host ${host} is not a host name or address`;
  return undefined;
}
