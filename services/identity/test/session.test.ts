// Browser sessions after a MitID login: the cookie, access tokens refreshed from the session
// (and from the directory as it is now), idle expiry, RP-initiated logout, and back-channel
// logout from the IdP, all over HTTP against a real OpenID Provider.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { createTokenVerifier } from '@spor/auth';
import { freePort } from '../../../deploy/local/infra-lib.js';
import type { RunningIdentity } from '../src/service.js';
import { NSIS, startDevIdp, type DevIdp } from '../dev/dev-idp.js';
import { bearer, browseLogin, finishLogin, freshCpr, logoutAtIdp, startTestIdentity, tokenFromSession, type CookieJar } from './support.js';

const ISSUER = 'https://identity.spor.test';
const REDIRECT = `${ISSUER}/auth/citizen/callback`;
const CLIENT = 'spor-identity';
let idp: DevIdp;
let identity: RunningIdentity;
let admin: string;
let parentId: string;
let childId: string;
const parentCpr = `120379${1000 + Math.floor(Math.random() * 999)}`;

beforeAll(async () => {
  // identity first (it discovers the IdP lazily), so the IdP can be told where to send back-channel logouts.
  const idpPort = await freePort();
  identity = await startTestIdentity(undefined, {
    CITIZEN_OIDC_ISSUER: `http://127.0.0.1:${idpPort}`,
    CITIZEN_OIDC_CLIENT_ID: CLIENT,
    CITIZEN_OIDC_CLIENT_SECRET: 'dev-client-secret-0123456789',
    OIDC_ALLOW_INSECURE_HTTP: 'true',
    LOGIN_RETURN_URL: 'https://spor.haderslev.dk/app',
    LOGOUT_RETURN_URL: 'https://spor.haderslev.dk/logged-out',
  });
  idp = await startDevIdp({
    port: idpPort,
    clients: [
      {
        client_id: CLIENT,
        client_secret: 'dev-client-secret-0123456789',
        redirect_uris: [REDIRECT],
        post_logout_redirect_uris: ['https://spor.haderslev.dk/logged-out'],
        backchannel_logout_uri: `${identity.url}/auth/citizen/backchannel-logout`,
        backchannel_logout_session_required: true,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
  });
  admin = await bearer(identity, '510');
  const post = (path: string, body: object) => request(identity.url).post(path).set('authorization', admin).send(body);
  parentId = (await post('/admin/persons', { kind: 'parent', cpr: parentCpr, givenName: 'Far', familyName: 'Test' })).body.id;
  childId = (await post('/admin/persons', { kind: 'child', cpr: freshCpr(), givenName: 'Barn', familyName: 'Test' })).body.id;
  await request(identity.url).put('/admin/guardianships').set('authorization', admin).send({ parentId, childId, custody: true });
});

afterAll(async () => {
  await identity.runtime.shutdown();
  await idp.stop();
});

async function login(jar: CookieJar = new Map()): Promise<string> {
  idp.nextLogin = { account: { sub: `mitid-${parentId}`, cpr: parentCpr }, acr: NSIS.substantial };
  const { res, cookie, setCookie } = await finishLogin(identity, await browseLogin(identity.url, idp.issuer, 'citizen', REDIRECT, jar));
  expect(res.status).toBe(303);
  expect(setCookie).toBeDefined();
  return cookie!;
}

const verifier = () => createTokenVerifier({ jwksUrl: `${identity.url}/.well-known/jwks.json`, issuer: ISSUER, audience: identity.config.TOKEN_AUDIENCE });

describe('browser session', () => {
  test('the login sets a Secure, HttpOnly, SameSite cookie and sends the browser to the web client', async () => {
    idp.nextLogin = { account: { sub: `mitid-${parentId}`, cpr: parentCpr }, acr: NSIS.substantial };
    const { res, setCookie } = await finishLogin(identity, await browseLogin(identity.url, idp.issuer, 'citizen', REDIRECT));
    expect(res.headers.get('location')).toBe('https://spor.haderslev.dk/app');
    expect(setCookie).toMatch(/^__Host-spor_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
    expect(setCookie).not.toMatch(/Domain=/i);
  });

  test('each token from the session reads the directory again: custody that ended is gone from the next token', async () => {
    const cookie = await login();
    const first = (await (await tokenFromSession(identity, cookie)).json()) as { access_token: string; expires_in: number };
    expect(first.expires_in).toBeGreaterThan(200);
    expect(await verifier().verify(first.access_token)).toMatchObject({ subject: parentId, kind: 'parent', nsisLevel: 'substantial', children: [childId] });

    await request(identity.url).put('/admin/guardianships').set('authorization', admin).send({ parentId, childId, custody: false }).expect(200);
    const second = (await (await tokenFromSession(identity, cookie)).json()) as { access_token: string };
    expect((await verifier().verify(second.access_token)).children).toEqual([]);
    await request(identity.url).put('/admin/guardianships').set('authorization', admin).send({ parentId, childId, custody: true }).expect(200);

    const who = await fetch(`${identity.url}/auth/session`, { headers: { cookie } });
    expect(await who.json()).toMatchObject({ kind: 'citizen', personId: parentId });
  });

  test('no cookie, an unknown cookie, or a request from another site gets no token', async () => {
    const none = await tokenFromSession(identity, undefined);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 'SESSION_REQUIRED', detail: 'no session: log in first' });
    expect((await tokenFromSession(identity, '__Host-spor_session=made-up')).status).toBe(401);

    const cookie = await login();
    const crossSite = await tokenFromSession(identity, cookie, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toMatchObject({ code: 'CROSS_SITE_REQUEST' });
    expect((await tokenFromSession(identity, cookie, { origin: 'https://spor.haderslev.dk' })).status).toBe(200);
  });

  test('a session idle for longer than allowed has ended', async () => {
    const cookie = await login();
    const idleSince = new Date(Date.now() - (identity.config.SESSION_IDLE_MINUTES + 1) * 60_000);
    await identity.db.collection('sessions').updateMany({ lastSeenAt: { $gt: idleSince } }, { $set: { lastSeenAt: idleSince } });
    const res = await tokenFromSession(identity, cookie);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'SESSION_REQUIRED', detail: 'the session has ended; log in again' });
  });

  test('the minute’s clean-up drops sessions that ended by themselves and logins abandoned, and keeps the live ones', async () => {
    const sessions = identity.db.collection<{ _id: string; createdAt: Date; expiresAt: Date; lastSeenAt: Date }>('sessions');
    const newest = async () => (await sessions.find({}).sort({ createdAt: -1 }).limit(1).toArray())[0]!._id;
    const live = await login();
    const liveId = await newest();
    const tooOld = await login();
    const tooOldId = await newest();
    const idle = await login();
    const idleId = await newest();
    await sessions.updateOne({ _id: tooOldId }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    await sessions.updateOne({ _id: idleId }, { $set: { lastSeenAt: new Date(Date.now() - (identity.config.SESSION_IDLE_MINUTES + 1) * 60_000) } });
    await identity.db.collection('login_attempts').insertOne({ _id: 'abandoned' as never, kind: 'citizen', codeVerifier: 'x', nonce: 'y', createdAt: new Date(Date.now() - 11 * 60_000) });
    expect(await identity.sweepLogins()).toBeGreaterThanOrEqual(3);
    expect((await sessions.find({ _id: { $in: [liveId, tooOldId, idleId] } }).toArray()).map((x) => x._id)).toEqual([liveId]);
    expect(await identity.db.collection('login_attempts').countDocuments({ _id: 'abandoned' as never })).toBe(0);
    // Nothing ended is left for the next round.
    expect(await identity.sweepLogins()).toBe(0);
    expect((await tokenFromSession(identity, live)).status).toBe(200);
    for (const gone of [tooOld, idle]) expect((await tokenFromSession(identity, gone)).status).toBe(401);
  });

  test('logout ends the session, clears the cookie and sends the browser to the IdP to log out there too', async () => {
    const cookie = await login();
    const res = await fetch(`${identity.url}/auth/logout`, { method: 'POST', redirect: 'manual', headers: { cookie } });
    expect(res.status).toBe(303);
    const next = new URL(res.headers.get('location')!);
    expect(`${next.origin}${next.pathname}`).toBe(`${idp.issuer}/session/end`);
    expect(Object.fromEntries(next.searchParams)).toEqual({ client_id: CLIENT, post_logout_redirect_uri: 'https://spor.haderslev.dk/logged-out' });
    expect(res.headers.getSetCookie().join()).toMatch(/__Host-spor_session=;.*Expires=Thu, 01 Jan 1970/);
    expect((await tokenFromSession(identity, cookie)).status).toBe(401);
  });

  test('logging out at the IdP ends the Spor session through back-channel logout', async () => {
    const jar: CookieJar = new Map();
    const cookie = await login(jar);
    const other = await login();
    expect((await tokenFromSession(identity, cookie)).status).toBe(200);
    await logoutAtIdp(idp.issuer, jar, CLIENT);
    // The IdP's back-channel call and the browser's redirect race; wait for the session to end.
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      status = (await tokenFromSession(identity, cookie)).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(401);
    // Another IdP session of the same person (another browser) is left alone: the token named one sid.
    expect((await tokenFromSession(identity, other)).status).toBe(200);
  });

  test('a back-channel logout token that is not the IdP’s is refused with 400', async () => {
    const forged = ['{"alg":"none"}', '{"iss":"x","sid":"y"}'].map((part) => Buffer.from(part).toString('base64url')).join('.') + '.';
    const res = await request(identity.url).post('/auth/citizen/backchannel-logout').type('form').send({ logout_token: forged });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('LOGOUT_TOKEN_INVALID');
    const missing = await request(identity.url).post('/auth/citizen/backchannel-logout').type('form').send({});
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toMatch(/^logout_token:/);
  });
});
