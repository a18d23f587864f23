// Login through an OIDC provider, the same way for citizens (MitID through a broker) and staff
// (the municipality's IdP behind a bridge): authorization code flow with PKCE (S256), state and
// nonce, PAR when the provider offers it, and the provider's `iss` checked against mix-up
// (openid-client does that). The NSIS level must be at least what the kind of login requires;
// `resolve` maps the ID token to a person in the directory. A good login opens a browser
// session (see session.routes.ts), from which the web client fetches access tokens.
// The IdP can end that session again through back-channel logout.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import type { Collection } from 'mongodb';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AppError, forbidden, validated, z, type Logger } from '@spor/service-kit';
import { NSIS_LEVELS, nsisLevelAtLeast, type NsisLevel } from '@spor/auth';
import type { LoginSubject } from '../domain/login-subjects.js';
import type { SessionStore } from '../store/session-store.js';
import { clearLoginCookie, readLoginCookie, setLoginCookie, setSessionCookie, type CookieSettings } from './session-cookie.js';

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
  /** How far the IdP's clock may be off when checking the ID token's iat and exp. */
  clockToleranceSeconds: number;
  /** Where the browser goes once logged in (the web client). */
  returnUrl: string;
  /** Where the IdP sends the browser after an RP-initiated logout; registered at the IdP. */
  postLogoutRedirectUri: string;
}

/** Maps a verified ID token to the person it logs in, or refuses with a 403. */
export type ResolveLogin = (claims: oidc.IDToken) => Promise<LoginSubject>;

/** What the logout route needs from a configured login. */
export interface LoginProvider {
  kind: 'citizen' | 'staff';
  /** The IdP's end-session URL for RP-initiated logout, or undefined when it has none. */
  endSessionUrl(): Promise<string | undefined>;
}

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface LoginAttempt {
  _id: string;
  kind: string;
  codeVerifier: string;
  nonce: string;
  /** SHA-256 of the login cookie set in the browser that started the attempt (setLoginCookie). */
  browserHash: string;
  createdAt: Date;
}

const ATTEMPT_TTL_MS = 10 * 60_000;
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Drops logins abandoned for longer than they could still complete (the callback refuses them
 * anyway). A periodic job, not part of starting a login: a filter on a time reads every attempt
 * on FerretDB 1.x (decision 0002).
 */
export async function removeStaleLoginAttempts(attempts: Collection<LoginAttempt>, now = new Date()): Promise<number> {
  return (await attempts.deleteMany({ createdAt: { $lt: new Date(now.getTime() - ATTEMPT_TTL_MS) } })).deletedCount;
}

function nsisLevelOf(acr: unknown): NsisLevel | undefined {
  return (Object.entries(NSIS_LEVELS).find(([, uri]) => uri === acr)?.[0] as NsisLevel | undefined) ?? undefined;
}

export function oidcLoginRoutes(
  router: Router,
  deps: {
    settings: OidcLoginSettings;
    attempts: Collection<LoginAttempt>;
    resolve: ResolveLogin;
    sessions: SessionStore;
    cookie: CookieSettings;
    logger: Logger;
  },
): LoginProvider {
  const { kind } = deps.settings;
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc
      .discovery(
        new URL(deps.settings.issuer),
        deps.settings.clientId,
        { client_secret: deps.settings.clientSecret, [oidc.clockTolerance]: deps.settings.clockToleranceSeconds },
        undefined,
        deps.settings.allowInsecureHttp ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
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
    const browser = randomBytes(32).toString('base64url');
    await deps.attempts.insertOne({ _id: state, kind, codeVerifier, nonce, browserHash: sha256(browser), createdAt: now });
    setLoginCookie(res, deps.cookie, kind, browser, ATTEMPT_TTL_MS);
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
      // Only in the browser that started it: a callback link opened anywhere else is refused before
      // the attempt is used, so it cannot log that browser in as whoever started the login.
      const browser = readLoginCookie(req, deps.cookie, kind);
      const started = await deps.attempts.findOne({ _id: query.state });
      if (started && (!browser || !started.browserHash || !timingSafeEqual(Buffer.from(sha256(browser)), Buffer.from(started.browserHash)))) {
        throw new AppError({ status: 400, code: 'LOGIN_OTHER_BROWSER', title: 'The login cannot be completed here', detail: 'this login was started in another browser (or its login cookie is gone); start the login again here' });
      }
      clearLoginCookie(res, deps.cookie, kind);
      // One use per state: a replayed or forged state finds nothing to delete.
      const attempt = started;
      const claimed = attempt ? (await deps.attempts.deleteOne({ _id: query.state })).deletedCount === 1 : false;
      if (!attempt || !claimed || attempt.kind !== kind || Date.now() - attempt.createdAt.getTime() > ATTEMPT_TTL_MS) {
        throw new AppError({ status: 400, code: 'LOGIN_STATE_UNKNOWN', title: 'The login cannot be completed', detail: 'unknown, used or expired state; start the login again' });
      }
      const config = await configuration();
      let claims: oidc.IDToken;
      try {
        // The callback as the IdP sent the browser to it: the registered redirect URI with the query
        // that came back. Not the path identity sees: behind the gateway it lacks the /api/identity
        // prefix, and the IdP would refuse the code for a redirect_uri it never issued it to.
        const current = new URL(deps.settings.redirectUri);
        current.search = new URL(req.originalUrl, current).search;
        const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: attempt.codeVerifier, expectedState: attempt._id, expectedNonce: attempt.nonce, idTokenExpected: true });
        claims = tokens.claims()!;
      } catch (error) {
        deps.logger.warn({ err: error, kind }, 'login refused');
        // openid-client wraps oauth4webapi's error, whose cause names the claim that failed.
        let claim: unknown;
        for (let e: unknown = error; e && claim === undefined; e = (e as { cause?: unknown }).cause) claim = (e as { claim?: unknown }).claim;
        const detail = claim === 'exp' ? 'the ID token has expired; log in again' : typeof claim === 'string' ? `the ID token's ${claim} claim does not match this login` : (error as Error).message;
        throw new AppError({ status: 401, code: 'LOGIN_FAILED', title: 'The login was not accepted', detail, cause: error });
      }
      const level = nsisLevelOf(claims.acr);
      const required = deps.settings.minimumLevel;
      if (!nsisLevelAtLeast(level, required)) throw forbidden(`a ${kind} login needs NSIS level ${required} or higher; this login was at ${level ?? 'an unknown level'}`, 'NSIS_LEVEL_TOO_LOW');
      const subject = await deps.resolve(claims);
      const { cookie } = await deps.sessions.open({
        kind,
        personId: subject.personId,
        acr: String(claims.acr),
        idpIssuer: claims.iss,
        idpSubject: claims.sub,
        ...(typeof claims.sid === 'string' ? { idpSid: claims.sid } : {}),
      });
      setSessionCookie(res, deps.cookie, cookie);
      res.set('cache-control', 'no-store').redirect(303, deps.settings.returnUrl);
    }),
  );

  // OpenID Connect Back-Channel Logout 1.0: the IdP posts a signed logout token naming its
  // session (`sid`) or the user (`sub`); the matching Spor sessions end. Answers per the spec:
  // 200 when done, 400 with an error when the token is not acceptable.
  let idpKeys: JWTVerifyGetKey | undefined;
  router.post(`/auth/${kind}/backchannel-logout`, express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const config = await configuration();
    const metadata = config.serverMetadata();
    const logoutToken = (req.body as Record<string, unknown> | undefined)?.logout_token;
    if (typeof logoutToken !== 'string' || !metadata.jwks_uri) {
      throw new AppError({ status: 400, code: 'LOGOUT_TOKEN_INVALID', title: 'The logout token is not accepted', detail: 'logout_token: a form field with the IdP\'s signed logout token is required' });
    }
    idpKeys ??= createRemoteJWKSet(new URL(metadata.jwks_uri));
    let target: { sid?: string; sub?: string };
    try {
      const { payload } = await jwtVerify(logoutToken, idpKeys, { issuer: metadata.issuer, audience: deps.settings.clientId, requiredClaims: ['iat', 'jti'], maxTokenAge: '10m' });
      const events = payload.events as Record<string, unknown> | undefined;
      if (!events || typeof events !== 'object' || !(BACKCHANNEL_EVENT in events)) throw new Error(`the events claim must hold ${BACKCHANNEL_EVENT}`);
      if ('nonce' in payload) throw new Error('a logout token must not carry a nonce');
      const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
      if (!sid && !payload.sub) throw new Error('the logout token names neither sid nor sub');
      target = { ...(sid ? { sid } : {}), ...(payload.sub ? { sub: payload.sub } : {}) };
    } catch (error) {
      deps.logger.warn({ err: error, kind }, 'back-channel logout refused');
      throw new AppError({ status: 400, code: 'LOGOUT_TOKEN_INVALID', title: 'The logout token is not accepted', detail: (error as Error).message });
    }
    const ended = await deps.sessions.endFromIdp(metadata.issuer, target);
    deps.logger.info({ kind, ended }, 'back-channel logout');
    res.set('cache-control', 'no-store').status(200).end();
  });

  return {
    kind,
    async endSessionUrl() {
      const config = await configuration();
      if (!config.serverMetadata().end_session_endpoint) return undefined;
      return oidc.buildEndSessionUrl(config, { client_id: deps.settings.clientId, post_logout_redirect_uri: deps.settings.postLogoutRedirectUri }).href;
    },
  };
}
