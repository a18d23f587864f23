// Verifies Spor access tokens against identity's JWKS. Keys are cached; a token signed
// with an unknown `kid` makes the set refetch (key rotation), at most once per cooldown.
import { createRemoteJWKSet, jwtVerify, errors, type JWTVerifyGetKey, type JWTPayload } from 'jose';
import { AppError, unauthorized } from '@spor/service-kit';
import { NSIS_LEVELS, STAFF_ROLES, type NsisLevel, type Principal, type RoleGrant, type SporTokenClaims } from './principal.js';

export interface TokenVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  algorithms?: string[];
  clockToleranceSeconds?: number;
  /** Minimum time between JWKS refetches on unknown kids. */
  cooldownMs?: number;
  /** How long a verified token is remembered (never past its expiry); 0 verifies every time. */
  rememberMs?: number;
}

/** Verified tokens remembered at most; the memory is emptied when full. */
const REMEMBERED_TOKENS = 10_000;

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

/** A remembered principal is shared by requests: nothing may change it. */
function freeze(principal: Principal): Principal {
  for (const list of [principal.roles, principal.children, principal.scopes]) Object.freeze(list);
  principal.roles.forEach((r) => Object.freeze(r));
  return Object.freeze(principal);
}

const ALLOWED_KINDS = new Set(['staff', 'parent', 'service']);

function nsisLevelOf(acr: unknown): NsisLevel | undefined {
  const entry = Object.entries(NSIS_LEVELS).find(([, uri]) => uri === acr);
  return entry?.[0] as NsisLevel | undefined;
}

export function principalFromClaims(payload: JWTPayload & Partial<SporTokenClaims>): Principal {
  if (!payload.sub) throw unauthorized('the token has no subject');
  if (!payload.kind || !ALLOWED_KINDS.has(payload.kind)) throw unauthorized('the token has no valid kind');
  const service = payload.kind === 'service';
  if (!service && (typeof payload.mun !== 'string' || !/^[0-9]{3}$/.test(payload.mun))) throw unauthorized('the token has no valid municipality');
  const roles: RoleGrant[] = (Array.isArray(payload.roles) ? payload.roles : [])
    .filter((r) => r && (STAFF_ROLES as readonly string[]).includes(r.role) && typeof r.unit === 'string')
    .map((r) => ({ role: r.role as RoleGrant['role'], unitId: r.unit }));
  return {
    subject: payload.sub,
    kind: payload.kind,
    municipalityId: service ? '' : (payload.mun as string),
    // A service never holds staff roles, whatever its token says.
    roles: service ? [] : roles,
    children: Array.isArray(payload.children) ? payload.children.filter((c): c is string => typeof c === 'string') : [],
    nsisLevel: nsisLevelOf(payload.acr),
    scopes: service && typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
    tokenId: payload.jti,
    expiresAt: new Date((payload.exp ?? 0) * 1000),
  };
}

/**
 * The key set, kept working while identity cannot be reached. The remote set is fetched again
 * every 10 minutes; a fetch that fails (identity down, a timeout, a 5xx) would otherwise fail
 * every token, valid ones too: a key that verified before still does, and a token signed with a
 * key never seen is 503 (try again), not 401 (log in again). A key identity no longer publishes
 * is refused as before once the set can be fetched.
 */
function lastingKeys(keySet: JWTVerifyGetKey): JWTVerifyGetKey {
  const known = new Map<string, Awaited<ReturnType<JWTVerifyGetKey>>>();
  return async (header, token) => {
    const id = `${header.alg}:${header.kid ?? ''}`;
    try {
      const key = await keySet(header, token);
      known.set(id, key);
      return key;
    } catch (error) {
      // The set answered, and the key is not in it (or not only once): that is the token's fault.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      const key = known.get(id);
      if (key) return key;
      throw new AppError({ status: 503, code: 'UPSTREAM_UNAVAILABLE', title: 'Tokens cannot be checked now', detail: "identity's signing keys could not be fetched; try again shortly", headers: { 'Retry-After': '5' }, cause: error });
    }
  };
}

export function createTokenVerifier(options: TokenVerifierOptions, keys?: JWTVerifyGetKey): TokenVerifier {
  const keySet = lastingKeys(keys ?? createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: options.cooldownMs ?? 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 3_000 }));
  // A client sends the same token with every request until it expires; checking its signature
  // again each time is the largest CPU cost of a request. The exact token string is the key, so
  // only a token that verified is ever answered from here, and never after its expiry. (Spor's
  // tokens are not revoked before expiry; a retired signing key stops verifying after rememberMs.)
  const rememberMs = options.rememberMs ?? 60_000;
  const remembered = new Map<string, { principal: Principal; until: number }>();
  async function verifySignature(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify<Partial<SporTokenClaims>>(token, keySet, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: options.algorithms ?? ['ES256', 'RS256', 'EdDSA'],
        clockTolerance: options.clockToleranceSeconds ?? 5,
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      return principalFromClaims(payload);
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthorized('the token has expired', 'TOKEN_EXPIRED');
      if (error instanceof errors.JWKSNoMatchingKey) throw unauthorized('the token is signed with an unknown key');
      if (error instanceof errors.JWTClaimValidationFailed) throw unauthorized(`the token's ${error.claim} claim is not accepted`);
      if (error instanceof errors.JOSEError) throw unauthorized('the token is not valid');
      throw error;
    }
  }
  return {
    async verify(token) {
      const hit = remembered.get(token);
      if (hit && hit.until > Date.now()) return hit.principal;
      if (hit) remembered.delete(token);
      const principal = await verifySignature(token);
      if (rememberMs > 0) {
        if (remembered.size >= REMEMBERED_TOKENS) remembered.clear();
        remembered.set(token, { principal: freeze(principal), until: Math.min(principal.expiresAt.getTime(), Date.now() + rememberMs) });
      }
      return principal;
    },
  };
}
