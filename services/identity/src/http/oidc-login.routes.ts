// Login through an OIDC provider, the same way for citizens (MitID through a broker) and staff
// (the municipality's IdP behind a bridge): authorization code flow with PKCE (S256), state and
// nonce, PAR when the provider offers it, and the provider's `iss` checked against mix-up
// (openid-client does that). The NSIS level must be at least what the kind of login requires;
// `resolve` maps the ID token to a person in the directory, and identity then issues its own
// access token.
import type { Router } from 'express';
import type { Collection } from 'mongodb';
import * as oidc from 'openid-client';
import { AppError, forbidden, validated, z, type Logger } from '@spor/service-kit';
import { NSIS_LEVELS, nsisLevelAtLeast, type NsisLevel } from '@spor/auth';
import { issueAccessToken, type AccessTokenSettings, type TokenSubject } from '../domain/access-token.js';
import type { SigningKeyRing } from '../domain/signing-keys.js';

export interface OidcLoginSettings {
  /** `citizen` or `staff`: the path segment and the name in messages. */
  kind: 'citizen' | 'staff';
  issuer: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  redirectUri: string;
  minimumLevel: NsisLevel;
  allowInsecureHttp: boolean;
}

/** Maps a verified ID token to the person it logs in, or refuses with a 403. */
export type ResolveLogin = (claims: oidc.IDToken) => Promise<Omit<TokenSubject, 'acr'>>;

interface LoginAttempt {
  _id: string;
  kind: string;
  codeVerifier: string;
  nonce: string;
  createdAt: Date;
}

const ATTEMPT_TTL_MS = 10 * 60_000;

function nsisLevelOf(acr: unknown): NsisLevel | undefined {
  return (Object.entries(NSIS_LEVELS).find(([, uri]) => uri === acr)?.[0] as NsisLevel | undefined) ?? undefined;
}

export function oidcLoginRoutes(
  router: Router,
  deps: {
    settings: OidcLoginSettings;
    attempts: Collection<LoginAttempt>;
    resolve: ResolveLogin;
    ring: () => SigningKeyRing;
    tokens: AccessTokenSettings;
    logger: Logger;
  },
): void {
  const { kind } = deps.settings;
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc
      .discovery(new URL(deps.settings.issuer), deps.settings.clientId, deps.settings.clientSecret, undefined, deps.settings.allowInsecureHttp ? { execute: [oidc.allowInsecureRequests] } : undefined)
      .catch((error: unknown) => {
        discovered = undefined;
        deps.logger.error({ err: error, kind }, 'the identity provider could not be discovered');
        throw new AppError({ status: 503, code: 'LOGIN_PROVIDER_UNAVAILABLE', title: `The ${kind} login is not reachable`, detail: 'try again shortly' });
      });
    return discovered;
  };

  router.get(`/auth/${kind}/login`, async (_req, res) => {
    const config = await configuration();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const now = new Date();
    // Abandoned logins are dropped once they could no longer complete.
    await deps.attempts.deleteMany({ createdAt: { $lt: new Date(now.getTime() - ATTEMPT_TTL_MS) } });
    await deps.attempts.insertOne({ _id: state, kind, codeVerifier, nonce, createdAt: now });
    const params = {
      redirect_uri: deps.settings.redirectUri,
      scope: deps.settings.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      acr_values: NSIS_LEVELS[deps.settings.minimumLevel],
    };
    const url = config.serverMetadata().pushed_authorization_request_endpoint ? await oidc.buildAuthorizationUrlWithPAR(config, params) : oidc.buildAuthorizationUrl(config, params);
    res.redirect(303, url.href);
  });

  router.get(
    `/auth/${kind}/callback`,
    validated({ query: z.object({ state: z.string().min(1).max(200) }).passthrough() }, async ({ query }, req, res) => {
      // One use per state: a replayed or forged state finds nothing to delete.
      const attempt = await deps.attempts.findOne({ _id: query.state });
      const claimed = attempt ? (await deps.attempts.deleteOne({ _id: query.state })).deletedCount === 1 : false;
      if (!attempt || !claimed || attempt.kind !== kind || Date.now() - attempt.createdAt.getTime() > ATTEMPT_TTL_MS) {
        throw new AppError({ status: 400, code: 'LOGIN_STATE_UNKNOWN', title: 'The login cannot be completed', detail: 'unknown, used or expired state; start the login again' });
      }
      const config = await configuration();
      let claims: oidc.IDToken;
      try {
        const current = new URL(req.originalUrl, deps.settings.redirectUri);
        const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: attempt.codeVerifier, expectedState: attempt._id, expectedNonce: attempt.nonce, idTokenExpected: true });
        claims = tokens.claims()!;
      } catch (error) {
        deps.logger.warn({ err: error, kind }, 'login refused');
        // openid-client wraps oauth4webapi's error, whose cause names the claim that failed.
        let claim: unknown;
        for (let e: unknown = error; e && claim === undefined; e = (e as { cause?: unknown }).cause) claim = (e as { claim?: unknown }).claim;
        const detail = typeof claim === 'string' ? `the ID token's ${claim} claim does not match this login` : (error as Error).message;
        throw new AppError({ status: 401, code: 'LOGIN_FAILED', title: 'The login was not accepted', detail, cause: error });
      }
      const level = nsisLevelOf(claims.acr);
      const required = deps.settings.minimumLevel;
      if (!nsisLevelAtLeast(level, required)) throw forbidden(`a ${kind} login needs NSIS level ${required} or higher; this login was at ${level ?? 'an unknown level'}`, 'NSIS_LEVEL_TOO_LOW');
      const subject = await deps.resolve(claims);
      const { token, expiresAt } = await issueAccessToken(deps.ring(), deps.tokens, { ...subject, acr: String(claims.acr) }, new Date());
      res.set('cache-control', 'no-store').json({ access_token: token, token_type: 'Bearer', expires_in: Math.round((expiresAt.getTime() - Date.now()) / 1000) });
    }),
  );
}
