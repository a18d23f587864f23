// Express middleware: authenticate the bearer token, then require roles, an NSIS level or
// a relation to the resource. Each refusal is a problem+json 401 or 403 naming why.
import type { Request, RequestHandler } from 'express';
import { forbidden, unauthorized } from '@spor/service-kit';
import { hasRole, nsisLevelAtLeast, type NsisLevel, type Principal, type StaffRole } from './principal.js';
import type { TokenVerifier } from './token-verifier.js';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** Verifies the request's bearer token and sets `req.principal`; throws a 401 AppError when it cannot. */
export async function authenticateRequest(verifier: TokenVerifier, req: Request): Promise<Principal> {
  const header = req.headers.authorization;
  if (!header) throw unauthorized('an Authorization: Bearer token is required', 'TOKEN_MISSING');
  const [scheme, token] = header.split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !token) throw unauthorized('the Authorization header must be "Bearer <token>"', 'TOKEN_MISSING');
  req.principal = await verifier.verify(token);
  return req.principal;
}

export function authenticate(verifier: TokenVerifier): RequestHandler {
  return async (req, _res, next) => {
    await authenticateRequest(verifier, req);
    next();
  };
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw unauthorized('not authenticated');
  return req.principal;
}

/** The caller must be staff holding one of the roles (in any unit; relations narrow it further). */
export function requireRole(...roles: StaffRole[]): RequestHandler {
  return (req, _res, next) => {
    const principal = principalOf(req);
    if (!roles.some((role) => hasRole(principal, role))) throw forbidden(`requires one of the roles: ${roles.join(', ')}`, 'ROLE_REQUIRED');
    next();
  };
}

/** The caller must be a service holding the scope (a client-credentials token). */
export function requireScope(scope: string): RequestHandler {
  return (req, _res, next) => {
    const principal = principalOf(req);
    if (principal.kind !== 'service' || !principal.scopes.includes(scope)) throw forbidden(`requires a service token with the scope ${scope}`, 'SCOPE_REQUIRED');
    next();
  };
}

/** The caller must be a parent (a route of the parents' own: staff are told so before any NSIS level is asked of them). */
export function requireParent(description: string): RequestHandler {
  return (req, _res, next) => {
    if (principalOf(req).kind !== 'parent') throw forbidden(description, 'PARENT_REQUIRED');
    next();
  };
}

/** The caller must be a parent (or anyone) authenticated at least at this NSIS level. */
export function requireNsisLevel(level: NsisLevel): RequestHandler {
  return (req, _res, next) => {
    if (!nsisLevelAtLeast(principalOf(req).nsisLevel, level)) throw forbidden(`requires authentication at NSIS level ${level} or higher`, 'NSIS_LEVEL_TOO_LOW');
    next();
  };
}

/**
 * The caller must stand in a relation to what the request names: a parent holding custody of
 * the child, staff at the child's current institution. The check reads the service's own projection.
 */
export function requireRelation(description: string, check: (principal: Principal, req: Request) => boolean | Promise<boolean>): RequestHandler {
  return async (req, _res, next) => {
    if (!(await check(principalOf(req), req))) throw forbidden(`no access: ${description}`, 'RELATION_REQUIRED');
    next();
  };
}
