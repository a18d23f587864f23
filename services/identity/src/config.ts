// identity's configuration: every variable validated at start; secrets have no defaults.
import { baseConfigShape, env, z } from '@spor/service-kit';

const key = (variable: string) =>
  z.string().refine((v) => /^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=]+$/.test(v) && Buffer.from(v.split(':')[1]!, 'base64').length === 32, {
    error: `${variable} must be <id>:<base64 of 32 random bytes>`,
  });

export const identityConfigSchema = z.object({
  ...baseConfigShape,
  IDENTITY_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spor-identity'),
  /** The `iss` of the access tokens: identity's public base URL. */
  TOKEN_ISSUER: env.url(),
  TOKEN_AUDIENCE: z.string().min(1).default('spor-api'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(300),
  SIGNING_KEY_ROTATION_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(24 * 7),
  /** Seals the private signing keys at rest. */
  SIGNING_KEY_SEAL_KEY: key('SIGNING_KEY_SEAL_KEY'),
  CPR_ENCRYPTION_KEYS: z.string().min(1),
  CPR_ENCRYPTION_ACTIVE_KEY: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
  CPR_LOOKUP_KEY: key('CPR_LOOKUP_KEY'),
});

export type IdentityConfig = z.infer<typeof identityConfigSchema>;
