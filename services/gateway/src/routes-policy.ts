// Which paths under /api/<service> pass without an access token, and which never leave the
// cluster. Public routes are an explicit list: anything not on it needs a valid token here,
// and the service checks the token again itself.
import type { UpstreamName } from './config.js';

interface RouteRule {
  methods: string[];
  /** Matched against the normalised path after /api/<service>, case-insensitively (express routes are). */
  path: RegExp;
}

const KIND = '(citizen|staff)';

/** Login and logout go through the gateway without a token: the browser has none yet, or only its session cookie. */
export const PUBLIC_ROUTES: Partial<Record<UpstreamName, RouteRule[]>> = {
  identity: [
    { methods: ['GET'], path: /^\/\.well-known\/jwks\.json$/i },
    { methods: ['GET'], path: new RegExp(`^/auth/${KIND}/(login|callback)$`, 'i') },
    { methods: ['POST'], path: new RegExp(`^/auth/${KIND}/backchannel-logout$`, 'i') },
    { methods: ['POST'], path: /^\/auth\/(token|logout)$/i },
    { methods: ['GET'], path: /^\/auth\/session$/i },
    { methods: ['POST'], path: /^\/oauth\/token$/i },
  ],
};

/**
 * Bulk imports of municipal IT: identity applies a directory file within the request, which
 * for a whole municipality takes longer than an interactive call may. They get the long time-out.
 */
const LONG_RUNNING: Partial<Record<UpstreamName, RouteRule[]>> = {
  identity: [{ methods: ['POST'], path: /^\/admin\/imports(\/[^/]+)?$/i }],
  transitions: [{ methods: ['POST'], path: /^\/imports\/enrollments$/i }],
  assessments: [{ methods: ['POST'], path: /^\/imports\/external-results$/i }],
};

export function isLongRunning(service: UpstreamName, method: string, path: string): boolean {
  return (LONG_RUNNING[service] ?? []).some((rule) => rule.methods.includes(method) && rule.path.test(path));
}

/** Service-to-service routes and operational endpoints: answered 404 at the edge. */
const INTERNAL_PATHS = /^\/(internal|metrics|healthz|readyz)(\/|$)/i;

export function isPublicRoute(service: UpstreamName, method: string, path: string): boolean {
  return (Object.hasOwn(PUBLIC_ROUTES, service) ? PUBLIC_ROUTES[service]! : []).some((rule) => rule.methods.includes(method) && rule.path.test(path));
}

export function isInternalPath(path: string): boolean {
  return INTERNAL_PATHS.test(path);
}

/**
 * The path after /api/<service>, with dot segments resolved (including %2e forms), so a
 * request cannot step from a public or allowed prefix into an internal one.
 */
export function normalisePath(rest: string): string {
  return new URL(rest || '/', 'http://gateway.invalid').pathname;
}
