// Starting identity for a test file against the real broker and store, and minting the tokens
// its login would issue.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { quietLogger, testInfra, uniqueName } from '@spor/testkit';
import { startIdentity, type RunningIdentity } from '../src/service.js';
import { issueAccessToken, type TokenSubject } from '../src/domain/access-token.js';

export function startTestIdentity(logger: Logger = quietLogger(), extraEnv: Record<string, string> = {}): Promise<RunningIdentity> {
  const { brokers, mongoUrl } = testInfra();
  const b64 = () => randomBytes(32).toString('base64');
  return startIdentity(
    {
      MONGO_URL: mongoUrl,
      KAFKA_BROKERS: brokers.join(','),
      PORT: '0',
      IDENTITY_DB_NAME: uniqueName('identity-test'),
      TOKEN_ISSUER: 'https://identity.spor.test',
      SIGNING_KEY_SEAL_KEY: `seal1:${b64()}`,
      CPR_ENCRYPTION_KEYS: `cpr1:${b64()}`,
      CPR_ENCRYPTION_ACTIVE_KEY: 'cpr1',
      CPR_LOOKUP_KEY: `look1:${b64()}`,
      ...extraEnv,
    },
    logger,
  );
}

export const ADMIN_ID = '7e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b';

/** `Bearer <token>` for a staff member with one role, as identity's login would issue it. */
export async function bearer(identity: RunningIdentity, municipalityId = '510', role = 'system-administrator', extra: Partial<TokenSubject> = {}): Promise<string> {
  const { token } = await issueAccessToken(
    identity.keys(),
    { issuer: identity.config.TOKEN_ISSUER, audience: identity.config.TOKEN_AUDIENCE, ttlSeconds: 300 },
    { personId: ADMIN_ID, kind: 'staff', municipalityId, roles: [{ role, unitId: 'root' }], ...extra },
    new Date(),
  );
  return `Bearer ${token}`;
}

/** A valid CPR number no earlier test run used: born 1 January 2021, random serial. */
export function freshCpr(): string {
  return `010121${4000 + Math.floor(Math.random() * 1000)}`;
}

/** Plays the browser through an OIDC login: follows redirects with cookies until the IdP sends it back to `redirect`; returns that path and query. */
export async function browseLogin(identityUrl: string, idpIssuer: string, kind: 'citizen' | 'staff', redirect: string): Promise<string> {
  const cookies = new Map<string, string>();
  let location = (await fetch(`${identityUrl}/auth/${kind}/login`, { redirect: 'manual' })).headers.get('location')!;
  for (let hop = 0; hop < 10; hop++) {
    const url = new URL(location, idpIssuer);
    if (url.href.startsWith(redirect)) return `${url.pathname}${url.search}`;
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const header of res.headers.getSetCookie()) {
      const [name, value] = header.split(';')[0]!.split('=');
      cookies.set(name!, value ?? '');
    }
    location = res.headers.get('location') ?? '';
    if (!location) throw new Error(`the IdP answered ${res.status} without a redirect: ${await res.text()}`);
  }
  throw new Error('too many redirects');
}
