// The whole MitID login over HTTP: identity as OIDC relying party, a real OpenID Provider
// configured like a MitID broker, the test playing the browser.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { createTokenVerifier } from '@spor/auth';
import { freePort } from '../../../deploy/local/infra-lib.js';
import type { RunningIdentity } from '../src/service.js';
import { NSIS, startDevIdp, type DevIdp } from '../dev/dev-idp.js';
import { bearer, browseLogin, callbackInBrowser, finishLogin, freshCpr, loginCookieOf, startTestIdentity, tokenFromSession } from './support.js';

const REDIRECT = 'https://identity.spor.test/auth/citizen/callback';
let idp: DevIdp;
let identity: RunningIdentity;
let parentCpr: string;
let parentId: string;
let childId: string;

beforeAll(async () => {
  idp = await startDevIdp({
    port: await freePort(),
    clients: [{ client_id: 'spor-identity', client_secret: 'dev-client-secret-0123456789', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
  });
  identity = await startTestIdentity(undefined, {
    CITIZEN_OIDC_ISSUER: idp.issuer,
    CITIZEN_OIDC_CLIENT_ID: 'spor-identity',
    CITIZEN_OIDC_CLIENT_SECRET: 'dev-client-secret-0123456789',
    OIDC_ALLOW_INSECURE_HTTP: 'true',
    OIDC_CLOCK_TOLERANCE_SECONDS: '0',
  });
  const admin = await bearer(identity, '510');
  parentCpr = `070782${1000 + Math.floor(Math.random() * 999)}`;
  const post = (path: string, body: object) => request(identity.url).post(path).set('authorization', admin).send(body);
  parentId = (await post('/admin/persons', { kind: 'parent', cpr: parentCpr, givenName: 'Mor', familyName: 'Test' })).body.id;
  childId = (await post('/admin/persons', { kind: 'child', cpr: freshCpr(), givenName: 'Barn', familyName: 'Test' })).body.id;
  await request(identity.url).put('/admin/guardianships').set('authorization', admin).send({ parentId, childId, custody: true });
});

afterAll(async () => {
  await identity.runtime.shutdown();
  await idp.stop();
});

const browseToCallback = () => browseLogin(identity.url, idp.issuer, 'citizen', REDIRECT);
const inBrowser = (path: string) => callbackInBrowser(identity, path);

describe('citizen login (MitID through an OIDC broker)', () => {
  test('a parent at NSIS substantial gets an access token with the children in custody, which other services accept', async () => {
    idp.nextLogin = { account: { sub: 'mitid-1', cpr: parentCpr }, acr: NSIS.substantial };
    const login = await fetch(`${identity.url}/auth/citizen/login`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const authorize = new URL(login.headers.get('location')!);
    // Pushed authorization request: the parameters went to the IdP directly, not through the browser.
    expect([...authorize.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);

    // The callback opens a session and sends the browser on to the web client.
    const { res: callback, cookie } = await finishLogin(identity, await browseToCallback());
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe('/');
    expect(callback.headers.get('cache-control')).toBe('no-store');
    const issued = await tokenFromSession(identity, cookie);
    expect(issued.status).toBe(200);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const verifier = createTokenVerifier({ jwksUrl: `${identity.url}/.well-known/jwks.json`, issuer: identity.config.TOKEN_ISSUER, audience: identity.config.TOKEN_AUDIENCE });
    const principal = await verifier.verify(((await issued.json()) as { access_token: string }).access_token);
    expect(principal).toMatchObject({ subject: parentId, kind: 'parent', municipalityId: '510', nsisLevel: 'substantial', children: [childId] });
  });

  test('a replayed callback, or one with a state identity never issued, is refused', async () => {
    idp.nextLogin = { account: { sub: 'mitid-1', cpr: parentCpr }, acr: NSIS.substantial };
    const path = await browseToCallback();
    expect((await callbackInBrowser(identity, path)).status).toBe(303);
    const replay = await callbackInBrowser(identity, path);
    expect(replay.status).toBe(400);
    expect(replay.body.code).toBe('LOGIN_STATE_UNKNOWN');
    const forged = await callbackInBrowser(identity, path.replace(/state=[^&]+/, 'state=forged'));
    expect(forged.body.code).toBe('LOGIN_STATE_UNKNOWN');
  });

  test('a callback opened in a browser that did not begin the login is refused, and leaves the login to the browser that did', async () => {
    idp.nextLogin = { account: { sub: 'mitid-1', cpr: parentCpr }, acr: NSIS.substantial };
    // The link an attacker who logged in as themselves and stopped at the callback would send a victim.
    const path = await browseToCallback();
    const other = await browseToCallback();
    for (const cookie of [undefined, loginCookieOf(other)]) {
      const res = cookie === undefined ? await request(identity.url).get(path) : await request(identity.url).get(path).set('cookie', cookie);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('LOGIN_OTHER_BROWSER');
      expect(JSON.stringify(res.headers['set-cookie'] ?? [])).not.toContain('spor_session=');
    }
    const own = await inBrowser(path);
    expect(own.status).toBe(303);
    expect(own.headers['set-cookie']).toEqual(expect.arrayContaining([expect.stringMatching(/spor_session=\w/), expect.stringMatching(/spor_login_citizen=; .*Expires=Thu, 01 Jan 1970/)]));
  });

  test('a code from another login (its PKCE verifier does not match) is refused', async () => {
    idp.nextLogin = { account: { sub: 'mitid-1', cpr: parentCpr }, acr: NSIS.substantial };
    const first = new URLSearchParams((await browseToCallback()).split('?')[1]);
    const second = new URLSearchParams((await browseToCallback()).split('?')[1]);
    first.set('code', second.get('code')!);
    const res = await request(identity.url).get(`/auth/citizen/callback?${first}`).set('cookie', loginCookieOf(`?${first}`));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('LOGIN_FAILED');
  });

  test('an ID token whose nonce is not the one this login sent is refused', async () => {
    idp.nextLogin = { account: { sub: 'mitid-1', cpr: parentCpr }, acr: NSIS.substantial };
    const path = await browseToCallback();
    const state = new URLSearchParams(path.split('?')[1]).get('state')!;
    // As if the ID token had been made for another login: the nonce identity expects differs.
    await identity.db.collection('login_attempts').updateOne({ _id: state as never }, { $set: { nonce: 'another-login' } });
    const res = await inBrowser(path);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('LOGIN_FAILED');
    expect(res.body.detail).toBe("the ID token's nonce claim does not match this login");
  });

  test('an ID token that has expired when identity receives it is refused', async () => {
    idp.nextLogin = { account: { sub: 'mitid-1', cpr: parentCpr }, acr: NSIS.substantial };
    // The IdP makes an ID token valid for 1 s and its answer arrives 2 s later; identity allows
    // no clock difference in this test (OIDC_CLOCK_TOLERANCE_SECONDS=0).
    idp.idTokenTtlSeconds = 1;
    idp.tokenResponseDelayMs = 2100;
    try {
      const res = await inBrowser(await browseToCallback());
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'LOGIN_FAILED', detail: 'the ID token has expired; log in again' });
    } finally {
      idp.idTokenTtlSeconds = 300;
      idp.tokenResponseDelayMs = 0;
    }
  });

  test('a login below NSIS substantial is refused with 403 naming the level required', async () => {
    idp.nextLogin = { account: { sub: 'mitid-1', cpr: parentCpr }, acr: NSIS.low };
    const res = await inBrowser(await browseToCallback());
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'NSIS_LEVEL_TOO_LOW', detail: 'a citizen login needs NSIS level substantial or higher; this login was at low' });
  });

  test('a citizen who is not a parent in the directory is refused with 403, not 500', async () => {
    idp.nextLogin = { account: { sub: 'mitid-2', cpr: freshCpr() }, acr: NSIS.high };
    const res = await inBrowser(await browseToCallback());
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('UNKNOWN_CITIZEN');
  });
});
