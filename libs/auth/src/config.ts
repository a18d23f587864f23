// The settings every service needs to verify identity's tokens, in one place.
import { env, z } from '@spor/service-kit';
import { createTokenVerifier, type TokenVerifier } from './token-verifier.js';

export const authConfigShape = {
  /** identity's public base URL: the `iss` of its tokens. */
  TOKEN_ISSUER: env.url(),
  TOKEN_AUDIENCE: z.string().min(1).default('spor-api'),
  /** Where identity's keys are fetched from, when not `<TOKEN_ISSUER>/.well-known/jwks.json` (inside the cluster, for example). */
  IDENTITY_JWKS_URL: env.url().optional(),
};

export function verifierFromConfig(config: { TOKEN_ISSUER: string; TOKEN_AUDIENCE: string; IDENTITY_JWKS_URL?: string | undefined }): TokenVerifier {
  return createTokenVerifier({ jwksUrl: config.IDENTITY_JWKS_URL ?? `${config.TOKEN_ISSUER}/.well-known/jwks.json`, issuer: config.TOKEN_ISSUER, audience: config.TOKEN_AUDIENCE });
}
