// Citizens (parents) log in with MitID through an OIDC broker: authorization code flow with
// PKCE (S256), state and nonce, PAR when the broker offers it, and the broker's `iss` checked
// against mix-up (openid-client does that). The NSIS level must be at least substantial, and
// the CPR number in the ID token must be a parent in the directory; identity then issues its
// own access token carrying the children in the parent's custody.
import type { Router } from 'express';
import type { Collection } from 'mongodb';
import * as oidc from 'openid-client';
import { AppError, forbidden, validated, z, type Logger } from '@spor/service-kit';
import { NSIS_LEVELS, nsisLevelAtLeast, type NsisLevel } from '@spor/auth';
import { parseCpr } from '../domain/cpr.js';
import type { CprVault } from '../domain/cpr-vault.js';
import { issueAccessToken, type AccessTokenSettings } from '../domain/access-token.js';
import type { SigningKeyRing } from '../domain/signing-keys.js';
import type { PersonRepository } from '../store/person-repository.js';
import type { RelationRepository } from '../store/relation-repository.js';

export interface CitizenLoginSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  cprClaim: string;
  redirectUri: string;
  allowInsecureHttp: boolean;
}

interface LoginAttempt {
  _id: string;
  codeVerifier: string;
  nonce: string;
  createdAt: Date;
}

const ATTEMPT_TTL_MS = 10 * 60_000;

function nsisLevelOf(acr: unknown): NsisLevel | undefined {
  return (Object.entries(NSIS_LEVELS).find(([, uri]) => uri === acr)?.[0] as NsisLevel | undefined) ?? undefined;
}

export function citizenLoginRoutes(
  router: Router,
  deps: {
    settings: CitizenLoginSettings;
    attempts: Collection<LoginAttempt>;
    vault: CprVault;
    persons: PersonRepository;
    relations: RelationRepository;
    ring: () => SigningKeyRing;
    tokens: AccessTokenSettings;
    logger: Logger;
  },
): void {
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc
      .discovery(new URL(deps.settings.issuer), deps.settings.clientId, deps.settings.clientSecret, undefined, deps.settings.allowInsecureHttp ? { execute: [oidc.allowInsecureRequests] } : undefined)
      .catch((error: unknown) => {
        discovered = undefined;
        deps.logger.error({ err: error }, 'the citizen IdP could not be discovered');
        throw new AppError({ status: 503, code: 'LOGIN_PROVIDER_UNAVAILABLE', title: 'The MitID login is not reachable', detail: 'try again shortly' });
      });
    return discovered;
  };

  router.get('/auth/citizen/login', async (_req, res) => {
    const config = await configuration();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await deps.attempts.insertOne({ _id: state, codeVerifier, nonce, createdAt: new Date() });
    const params = {
      redirect_uri: deps.settings.redirectUri,
      scope: 'openid cpr',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      acr_values: NSIS_LEVELS.substantial,
    };
    const url = config.serverMetadata().pushed_authorization_request_endpoint ? await oidc.buildAuthorizationUrlWithPAR(config, params) : oidc.buildAuthorizationUrl(config, params);
    res.redirect(303, url.href);
  });

  router.get(
    '/auth/citizen/callback',
    validated({ query: z.object({ state: z.string().min(1).max(200) }).passthrough() }, async ({ query }, req, res) => {
      // One use per state: a replayed or forged state finds nothing to delete.
      const attempt = await deps.attempts.findOne({ _id: query.state });
      const claimed = attempt ? (await deps.attempts.deleteOne({ _id: query.state })).deletedCount === 1 : false;
      if (!attempt || !claimed || Date.now() - attempt.createdAt.getTime() > ATTEMPT_TTL_MS) {
        throw new AppError({ status: 400, code: 'LOGIN_STATE_UNKNOWN', title: 'The login cannot be completed', detail: 'unknown, used or expired state; start the login again' });
      }
      const config = await configuration();
      let claims: oidc.IDToken;
      try {
        const current = new URL(req.originalUrl, deps.settings.redirectUri);
        const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: attempt.codeVerifier, expectedState: attempt._id, expectedNonce: attempt.nonce, idTokenExpected: true });
        claims = tokens.claims()!;
      } catch (error) {
        deps.logger.warn({ err: error }, 'citizen login refused');
        throw new AppError({ status: 401, code: 'LOGIN_FAILED', title: 'The login was not accepted', detail: (error as Error).message, cause: error });
      }
      const level = nsisLevelOf(claims.acr);
      if (!nsisLevelAtLeast(level, 'substantial')) throw forbidden(`parents must log in with MitID at NSIS level substantial or higher; this login was at ${level ?? 'an unknown level'}`, 'NSIS_LEVEL_TOO_LOW');
      const parsed = parseCpr(String(claims[deps.settings.cprClaim] ?? ''));
      const person = parsed.ok ? await deps.persons.findByCprHash(deps.vault.lookupHash(parsed.cpr)) : null;
      if (!person || person.kind !== 'parent') throw forbidden('this MitID login is not a parent known to Spor; ask the municipality to register you', 'UNKNOWN_CITIZEN');
      const children = await deps.relations.childrenInCustody(person._id);
      const { token, expiresAt } = await issueAccessToken(
        deps.ring(),
        deps.tokens,
        { personId: person._id, kind: 'parent', municipalityId: person.municipalityId, roles: [], acr: String(claims.acr), children },
        new Date(),
      );
      res.set('cache-control', 'no-store').json({ access_token: token, token_type: 'Bearer', expires_in: Math.round((expiresAt.getTime() - Date.now()) / 1000) });
    }),
  );
}
