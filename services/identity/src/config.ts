// identity's configuration: every variable validated at start; secrets have no defaults.
import { baseConfigShape, env, z } from '@spor/service-kit';
import { privacyConfigShape } from '@spor/privacy';
import { parseVaultKeys } from './domain/cpr-vault.js';
import { auditConfigShape } from '@spor/audit';

const key = (variable: string) =>
  z.string().refine((v) => /^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=]+$/.test(v) && Buffer.from(v.split(':')[1]!, 'base64').length === 32, {
    error: `${variable} must be <id>:<base64 of 32 random bytes>`,
  });

const vaultKeys = (variable: string) =>
  z.string().superRefine((value, ctx) => {
    try {
      parseVaultKeys(value, variable);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(`${variable}: `, '') });
    }
  });

export const serviceClientsSchema = z.array(
  z.strictObject({
    id: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/),
    secretSha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be the hex SHA-256 of the client secret' }),
    scopes: z.array(z.string().regex(/^[a-z][a-z0-9.:-]{1,60}$/)).min(1),
  }),
);
export type ServiceClient = z.infer<typeof serviceClientsSchema>[number];

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function serviceClientsOf(config: { SERVICE_CLIENTS: string }): ServiceClient[] {
  return serviceClientsSchema.parse(JSON.parse(config.SERVICE_CLIENTS));
}

export const identityConfigSchema = z
  .object({
  ...baseConfigShape,
  ...auditConfigShape,
  // Legal holds and the retention of children's and parents' entries (libs/privacy, src/privacy.ts).
  ...privacyConfigShape,
  /** The consumer group of identity's projection of enrollments (where its children are placed, for retention). */
  IDENTITY_CONSUMER_GROUP: z.string().min(1).default('identity'),
  // Directory imports arrive as one JSON file.
  HTTP_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, { error: 'must look like 100kb or 5mb' }).default('5mb'),
  IDENTITY_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spor-identity'),
  /** The `iss` of the access tokens: identity's public base URL. */
  TOKEN_ISSUER: env.url(),
  TOKEN_AUDIENCE: z.string().min(1).default('spor-api'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(300),
  SIGNING_KEY_ROTATION_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(24 * 7),
  /** Seals the private signing keys at rest. */
  SIGNING_KEY_SEAL_KEY: key('SIGNING_KEY_SEAL_KEY'),
  CPR_ENCRYPTION_KEYS: vaultKeys('CPR_ENCRYPTION_KEYS'),
  CPR_ENCRYPTION_ACTIVE_KEY: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
  CPR_LOOKUP_KEY: key('CPR_LOOKUP_KEY'),
    /** Citizens' MitID login through an OIDC broker or bridge; unset: citizen login is off. */
    CITIZEN_OIDC_ISSUER: env.url().optional(),
    CITIZEN_OIDC_CLIENT_ID: z.string().min(1).optional(),
    CITIZEN_OIDC_CLIENT_SECRET: z.string().min(16).optional(),
    /** The ID-token claim holding the CPR number (NemLog-in's attribute name by default). */
    CITIZEN_CPR_CLAIM: z.string().min(1).default('https://data.gov.dk/model/core/eid/cprNumber'),
    /** Staff login through the municipality's IdP (behind an OIDC bridge); unset: staff login is off. */
    STAFF_OIDC_ISSUER: env.url().optional(),
    STAFF_OIDC_CLIENT_ID: z.string().min(1).optional(),
    STAFF_OIDC_CLIENT_SECRET: z.string().min(16).optional(),
    /** The ID-token claim matched against a staff person's externalId. */
    STAFF_USER_ID_CLAIM: z.string().min(1).default('email'),
    STAFF_MIN_NSIS_LEVEL: z.enum(['low', 'substantial', 'high']).default('substantial'),
    /** Development only: lets the OIDC client talk to an IdP over plain http. */
    OIDC_ALLOW_INSECURE_HTTP: env.boolean(false),
    /** Allowed clock difference to the IdPs when checking ID tokens' iat and exp. */
    OIDC_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
    /** Where the browser lands after login and after logout: the web client, absolute or relative to TOKEN_ISSUER. */
    LOGIN_RETURN_URL: z.string().min(1).default('/'),
    LOGOUT_RETURN_URL: z.string().min(1).default('/'),
    /** Origins of the web clients allowed to use the session cookie (comma-separated); TOKEN_ISSUER's origin always is. */
    WEB_ORIGINS: z.string().default(''),
    SESSION_IDLE_MINUTES: z.coerce.number().int().min(5).max(24 * 60).default(30),
    SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24).default(10),
    /** Off only for development over plain http: the cookie then loses Secure and its `__Host-` prefix. */
    SESSION_COOKIE_SECURE: env.boolean(true),
    /** Internal callers allowed the client-credentials grant: JSON list of {id, secretSha256, scopes}. */
    SERVICE_CLIENTS: z.string().default('[]'),
  })
  .superRefine((config, ctx) => {
    for (const prefix of ['CITIZEN', 'STAFF'] as const) {
      const names = [`${prefix}_OIDC_ISSUER`, `${prefix}_OIDC_CLIENT_ID`, `${prefix}_OIDC_CLIENT_SECRET`] as const;
      const set = names.filter((name) => config[name]);
      if (set.length > 0 && set.length < names.length) {
        for (const name of names.filter((n) => !config[n])) ctx.addIssue({ code: 'custom', path: [name], message: `is needed when ${prefix.toLowerCase()} login is configured (set all three ${prefix}_OIDC_* or none)` });
      }
    }
    const clients = serviceClientsSchema.safeParse(safeJson(config.SERVICE_CLIENTS));
    if (!clients.success) {
      ctx.addIssue({ code: 'custom', path: ['SERVICE_CLIENTS'], message: `must be a JSON list of {"id","secretSha256","scopes"}: ${clients.error.issues.map((i) => `${i.path.join('.') || '(list)'} ${i.message}`).join('; ')}` });
    }
    for (const origin of config.WEB_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean)) {
      if (!URL.canParse(origin) || new URL(origin).origin !== origin) ctx.addIssue({ code: 'custom', path: ['WEB_ORIGINS'], message: `${origin} is not an origin like https://spor.kommune.dk` });
    }
    const ids = config.CPR_ENCRYPTION_KEYS.split(',').map((k) => k.trim().split(':')[0]);
    if (!ids.includes(config.CPR_ENCRYPTION_ACTIVE_KEY)) {
      ctx.addIssue({ code: 'custom', path: ['CPR_ENCRYPTION_ACTIVE_KEY'], message: `names no key in CPR_ENCRYPTION_KEYS (${ids.join(', ')})` });
    }
  });

export type IdentityConfig = z.infer<typeof identityConfigSchema>;
