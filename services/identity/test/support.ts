// Starting identity for a test file against the real broker and store, and minting the tokens
// its login would issue.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import request from 'supertest';
import { quietLogger, testInfra, uniqueName } from '@spor/testkit';
import { freePort } from '../../../deploy/local/infra-lib.js';
import { startDevIdp, type DevIdp } from '../dev/dev-idp.js';
import { startIdentity, type RunningIdentity } from '../src/service.js';
import { issueAccessToken, type TokenSubject } from '../src/domain/access-token.js';

export function startTestIdentity(logger: Logger = quietLogger(), extraEnv: Record<string, string> = {}, options: { clock?: () => Date } = {}): Promise<RunningIdentity> {
  const { brokers, mongoUrl } = testInfra();
  const b64 = () => randomBytes(32).toString('base64');
  return startIdentity(
    {
      MONGO_URL: mongoUrl,
      KAFKA_BROKERS: brokers.join(','),
      PORT: '0',
      IDENTITY_DB_NAME: uniqueName('identity-test'),
      // Its own group per test file, as every service's tests: test files run at once, and
      // identities sharing one group would take each other's partitions of the enrollments.
      IDENTITY_CONSUMER_GROUP: uniqueName('identity'),
      TOKEN_ISSUER: 'https://identity.spor.test',
      SIGNING_KEY_SEAL_KEY: `seal1:${b64()}`,
      CPR_ENCRYPTION_KEYS: `cpr1:${b64()}`,
      CPR_ENCRYPTION_ACTIVE_KEY: 'cpr1',
      CPR_LOOKUP_KEY: `look1:${b64()}`,
      ...extraEnv,
    },
    logger,
    options,
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

/**
 * A valid CPR number, random enough that the draws of one test file never collide (a file's
 * identity database holds one person per CPR number): born on a day of 2019–2022, serial 4000–9999
 * (the 7th digit then places the year in the 2000s).
 */
export function freshCpr(birthYears: [from: number, to: number] = [2019, 2022]): string {
  const random = (from: number, to: number) => from + Math.floor(Math.random() * (to - from + 1));
  return cprBornOn(new Date(Date.UTC(random(birthYears[0], birthYears[1]), random(0, 11), random(1, 28))), random(4000, 9999));
}

/** The CPR number of a child born on `birth` (a day of the 2000s: `serial` 4000–9999 places it there). */
export function cprBornOn(birth: Date, serial: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(birth.getUTCDate())}${pad(birth.getUTCMonth() + 1)}${pad(birth.getUTCFullYear() % 100)}${serial}`;
}

/** A child's CPR number for a child of `years` whole years today (give or take its birthday): for age-banded instruments. */
export const cprOfAge = (years: number) => freshCpr([new Date().getUTCFullYear() - years, new Date().getUTCFullYear() - years]);

/** A browser's cookies at one site. */
export type CookieJar = Map<string, string>;

const cookieHeader = (jar: CookieJar) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

function keepCookies(jar: CookieJar, res: Response): void {
  for (const header of res.headers.getSetCookie()) {
    const [pair, ...attributes] = header.split(';');
    const [name, ...value] = pair!.split('=');
    const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a) || /^\s*max-age=0\s*$/i.test(a));
    if (expired) jar.delete(name!.trim());
    else jar.set(name!.trim(), value.join('='));
  }
}

/** Follows redirects at the IdP like a browser, keeping its cookies, until one leaves for `until`. */
async function browse(start: string, idpIssuer: string, jar: CookieJar, until: (url: URL) => boolean, init: RequestInit = {}): Promise<URL> {
  let url = new URL(start, idpIssuer);
  let request = init;
  for (let hop = 0; hop < 10; hop++) {
    if (until(url)) return url;
    const res = await fetch(url, { ...request, redirect: 'manual', headers: { ...(request.headers as Record<string, string>), cookie: cookieHeader(jar) } });
    request = {};
    keepCookies(jar, res);
    const location = res.headers.get('location');
    if (!location) {
      // oidc-provider's logout page: a form to confirm, which a browser's user would submit.
      const page = await res.text();
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
      if (!xsrf) throw new Error(`the IdP answered ${res.status} without a redirect: ${page}`);
      const action = /action="([^"]+)"/.exec(page)![1]!;
      return browse(action, idpIssuer, jar, until, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ xsrf, logout: 'yes' }).toString() });
    }
    url = new URL(location, url);
  }
  throw new Error('too many redirects');
}

/** The login cookie identity set as each login began, by the login's state: the browser that began it sends it back with the callback. */
const loginCookies = new Map<string, string>();

/** The `cookie` header of the browser that began the login this callback path finishes ('' for a state no login here began). */
export function loginCookieOf(callbackPath: string): string {
  return loginCookies.get(new URLSearchParams(callbackPath.split('?')[1] ?? '').get('state') ?? '') ?? '';
}

/** identity's callback, asked by the browser that began the login (with its login cookie). */
export function callbackInBrowser(identity: RunningIdentity, callbackPath: string): request.Test {
  return request(identity.url).get(callbackPath).set('cookie', loginCookieOf(callbackPath));
}

/** Plays the browser through an OIDC login: follows redirects with cookies until the IdP sends it back to `redirect`; returns that path and query. */
export async function browseLogin(identityUrl: string, idpIssuer: string, kind: 'citizen' | 'staff', redirect: string, idpJar: CookieJar = new Map()): Promise<string> {
  const started = await fetch(`${identityUrl}/auth/${kind}/login`, { redirect: 'manual' });
  const loginCookie = started.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.includes('spor_login_'));
  const back = await browse(started.headers.get('location')!, idpIssuer, idpJar, (url) => url.href.startsWith(redirect));
  const state = back.searchParams.get('state');
  if (state && loginCookie) loginCookies.set(state, loginCookie);
  return `${back.pathname}${back.search}`;
}

/** Logs out at the IdP itself (as from another application), confirming like the user would. */
export async function logoutAtIdp(idpIssuer: string, idpJar: CookieJar, clientId: string): Promise<void> {
  await browse(`/session/end?client_id=${encodeURIComponent(clientId)}`, idpIssuer, idpJar, (url) => url.pathname.startsWith('/session/end/success'));
}

/** Completes a login at identity's callback; answers the response and the session cookie it set. */
export async function finishLogin(identity: RunningIdentity, callbackPath: string): Promise<{ res: Response; cookie: string | undefined; setCookie: string | undefined }> {
  const res = await fetch(`${identity.url}${callbackPath}`, { redirect: 'manual', headers: { cookie: loginCookieOf(callbackPath) } });
  const setCookie = res.headers.getSetCookie().find((c) => c.includes('spor_session='));
  return { res, cookie: setCookie?.split(';')[0], setCookie };
}

/** What the web client does with its session: POST /auth/token. */
export function tokenFromSession(identity: RunningIdentity, cookie: string | undefined, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${identity.url}/auth/token`, { method: 'POST', headers: { ...(cookie ? { cookie } : {}), ...headers } });
}

/**
 * identity with staff login through a development IdP, and one educator (`email` as her external
 * id) in a group of an institution of municipality 510. `issuer` is identity's public address.
 */
export async function startStaffLogin(issuer = 'https://identity.spor.test'): Promise<{ idp: DevIdp; identity: RunningIdentity; redirect: string; email: string; staffId: string; groupId: string }> {
  const redirect = `${issuer}/auth/staff/callback`;
  const idp = await startDevIdp({
    port: await freePort(),
    clients: [{ client_id: 'spor-staff', client_secret: 'dev-client-secret-0123456789', redirect_uris: [redirect], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
  });
  const identity = await startTestIdentity(undefined, {
    TOKEN_ISSUER: issuer,
    STAFF_OIDC_ISSUER: idp.issuer,
    STAFF_OIDC_CLIENT_ID: 'spor-staff',
    STAFF_OIDC_CLIENT_SECRET: 'dev-client-secret-0123456789',
    OIDC_ALLOW_INSECURE_HTTP: 'true',
  });
  const email = `lise.${Math.floor(Math.random() * 1e6)}@haderslev.dk`;
  const admin = await bearer(identity, '510');
  const post = (path: string, body: object) => request(identity.url).post(path).set('authorization', admin).send(body);
  const m = (await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' })).body.id;
  const d = (await post('/admin/org-units', { kind: 'district', name: 'D', parentId: m })).body.id;
  const i = (await post('/admin/org-units', { kind: 'institution', name: 'I', parentId: d, institutionType: 'vuggestue' })).body.id;
  const groupId = (await post('/admin/org-units', { kind: 'group', name: 'G', parentId: i })).body.id as string;
  const staffId = (await post('/admin/persons', { kind: 'staff', cpr: freshCpr(), givenName: 'Lise', familyName: 'P', externalId: email })).body.id as string;
  await post('/admin/memberships', { personId: staffId, unitId: groupId, role: 'educator', from: '2020-01-01' });
  return { idp, identity, redirect, email, staffId, groupId };
}
