// Service-to-service tokens: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) for the
// few internal calls that need one. Clients are configured (SERVICE_CLIENTS) with the SHA-256
// of their secret and the scopes they may hold; the token says `kind: service`, carries the
// granted scopes and no municipality or person. Errors are problem+json that also carry
// OAuth's `error` member, so standard OAuth clients understand them.
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import { AppError, type Logger } from '@spor/service-kit';
import { issueServiceToken, type AccessTokenSettings } from '../domain/access-token.js';
import type { SigningKeyRing } from '../domain/signing-keys.js';
import type { ServiceClient } from '../config.js';

function oauthError(status: number, error: string, detail: string): AppError {
  return new AppError({
    status,
    code: error.toUpperCase(),
    title: 'The token request is refused',
    detail,
    extensions: { error, error_description: detail },
    ...(status === 401 ? { headers: { 'www-authenticate': 'Basic realm="spor-identity"' } } : {}),
  });
}

/** client_secret_basic (RFC 6749 §2.3.1: both parts form-urlencoded) or client_secret_post. */
function credentialsOf(authorization: string | undefined, body: Record<string, unknown>): { id: string; secret: string } | undefined {
  if (authorization?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    try {
      return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
    } catch {
      return undefined;
    }
  }
  if (typeof body.client_id === 'string' && typeof body.client_secret === 'string') return { id: body.client_id, secret: body.client_secret };
  return undefined;
}

export function serviceTokenRoutes(router: Router, deps: { clients: ServiceClient[]; ring: () => SigningKeyRing; tokens: AccessTokenSettings; logger: Logger }): void {
  router.post('/oauth/token', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const credentials = credentialsOf(req.headers.authorization, body);
    const client = credentials && deps.clients.find((c) => c.id === credentials.id);
    const presented = createHash('sha256').update(credentials?.secret ?? '').digest();
    // Compared in constant time, and hashed even for an unknown client so timing tells nothing.
    const known = Buffer.from(client?.secretSha256 ?? '0'.repeat(64), 'hex');
    if (!client || !timingSafeEqual(presented, known)) throw oauthError(401, 'invalid_client', 'unknown client or wrong secret');
    if (body.grant_type !== 'client_credentials') throw oauthError(400, 'unsupported_grant_type', 'grant_type: only client_credentials is offered here');
    const asked = typeof body.scope === 'string' && body.scope.trim() ? body.scope.trim().split(/\s+/) : client.scopes;
    const refused = asked.filter((scope) => !client.scopes.includes(scope));
    if (refused.length > 0) throw oauthError(400, 'invalid_scope', `scope: ${client.id} may not hold ${refused.join(', ')}`);
    const { token, expiresAt } = await issueServiceToken(deps.ring(), deps.tokens, client.id, asked, new Date());
    deps.logger.info({ client: client.id, scopes: asked }, 'service token issued');
    res.set('cache-control', 'no-store').json({ access_token: token, token_type: 'Bearer', expires_in: Math.round((expiresAt.getTime() - Date.now()) / 1000), scope: asked.join(' ') });
  });
}
