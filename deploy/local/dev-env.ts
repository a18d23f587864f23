// Development-only settings for `npm start`: the variables each service needs beyond the
// shared ones, with secrets generated once per machine and kept in .local/dev-secrets.json
// (git-ignored), so a second start opens the data the first one sealed. Never for production.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from './infra-lib.js';

interface DevSecrets {
  signingKeySealKey: string;
  cprEncryptionKey: string;
  cprLookupKey: string;
  /** transitions' client secret for identity's client-credentials grant (enrollment imports). */
  transitionsClientSecret: string;
  /** identity's client secret at the development OIDC provider. */
  oidcClientSecret: string;
}

function devSecrets(): DevSecrets {
  const file = join(stateDir, 'dev-secrets.json');
  const key = () => randomBytes(32).toString('base64');
  const fresh: DevSecrets = { signingKeySealKey: `dev-seal:${key()}`, cprEncryptionKey: `dev-cpr:${key()}`, cprLookupKey: `dev-lookup:${key()}`, transitionsClientSecret: key(), oidcClientSecret: key() };
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets>) : {};
  // Secrets that seal stored data are kept; ones added since an older start are filled in.
  const secrets = { ...fresh, ...kept };
  if (Object.keys(kept).length !== Object.keys(secrets).length) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

/** identity's two clients at the development OIDC provider (one for MitID, one for the staff IdP). */
export function devIdpClients(identityIssuer: string, secret: string) {
  return (['citizen', 'staff'] as const).map((kind) => ({
    client_id: `spor-${kind}`,
    client_secret: secret,
    redirect_uris: [`${identityIssuer}/auth/${kind}/callback`],
    post_logout_redirect_uris: [`${identityIssuer}/`],
    grant_types: ['authorization_code'],
    response_types: ['code' as const],
    token_endpoint_auth_method: 'client_secret_basic' as const,
  }));
}

/** identity's settings for logging in through the development OIDC provider. */
export function devLoginEnvironment(idpIssuer: string, secret: string): Record<string, string> {
  return {
    CITIZEN_OIDC_ISSUER: idpIssuer,
    CITIZEN_OIDC_CLIENT_ID: 'spor-citizen',
    CITIZEN_OIDC_CLIENT_SECRET: secret,
    STAFF_OIDC_ISSUER: idpIssuer,
    STAFF_OIDC_CLIENT_ID: 'spor-staff',
    STAFF_OIDC_CLIENT_SECRET: secret,
    OIDC_ALLOW_INSECURE_HTTP: 'true',
  };
}

/** identity's SERVICE_CLIENTS entry for transitions (CPR lookups of enrollment imports). */
export function transitionsClient(secret: string): string {
  return JSON.stringify([{ id: 'transitions', secretSha256: createHash('sha256').update(secret).digest('hex'), scopes: ['persons:lookup'] }]);
}

/** Every service keeps its port whichever services exist yet, so URLs in notes and clients stay true. */
const PORT_OFFSETS: Record<string, number> = { identity: 0, assessments: 1, 'action-plans': 2, consent: 3, transitions: 4, reporting: 5, gateway: 6, 'dev-idp': 7 };
const BASE_PORT = Number(process.env.SPOR_BASE_PORT ?? 8081);

export function devPort(service: string): number {
  const offset = PORT_OFFSETS[service] ?? 10 + Object.keys(PORT_OFFSETS).length;
  return BASE_PORT + offset;
}

export const devUrl = (service: string) => `http://127.0.0.1:${devPort(service)}`;
const identityUrl = () => devUrl('identity');
/** identity's public base URL, as in a cluster (the chart's default): served by the gateway under /api/identity. */
export const devTokenIssuer = () => `${devUrl('gateway')}/api/identity`;
/** Services fetch identity's keys from identity itself, not through the gateway they sit behind. */
const tokens = () => ({ TOKEN_ISSUER: devTokenIssuer(), IDENTITY_JWKS_URL: `${identityUrl()}/.well-known/jwks.json` });

/** The extra environment of one service when `npm start` runs it. */
export function devEnvironment(service: string): Record<string, string> {
  switch (service) {
    case 'identity': {
      const secrets = devSecrets();
      return {
        TOKEN_ISSUER: devTokenIssuer(),
        SIGNING_KEY_SEAL_KEY: secrets.signingKeySealKey,
        CPR_ENCRYPTION_KEYS: secrets.cprEncryptionKey,
        CPR_ENCRYPTION_ACTIVE_KEY: 'dev-cpr',
        CPR_LOOKUP_KEY: secrets.cprLookupKey,
        // Plain http on this machine: the session cookie cannot carry Secure and `__Host-`.
        SESSION_COOKIE_SECURE: 'false',
        SERVICE_CLIENTS: transitionsClient(secrets.transitionsClientSecret),
        // After a login the browser shows who is logged in; POST /auth/token then gives the access token.
        LOGIN_RETURN_URL: `${devTokenIssuer()}/auth/session`,
        ...devLoginEnvironment(devUrl('dev-idp'), secrets.oidcClientSecret),
      };
    }
    case 'transitions':
      return { ...tokens(), IDENTITY_URL: identityUrl(), TRANSITIONS_CLIENT_SECRET: devSecrets().transitionsClientSecret };
    case 'gateway':
      return {
        ...tokens(),
        IDENTITY_URL: identityUrl(),
        ASSESSMENTS_URL: devUrl('assessments'),
        ACTION_PLANS_URL: devUrl('action-plans'),
        CONSENT_URL: devUrl('consent'),
        TRANSITIONS_URL: devUrl('transitions'),
        REPORTING_URL: devUrl('reporting'),
      };
    case 'action-plans':
    case 'reporting':
    case 'assessments':
    case 'consent':
      return tokens();
    default:
      return {};
  }
}

/** identity's client secret at the development OIDC provider. */
export const devOidcClientSecret = () => devSecrets().oidcClientSecret;
