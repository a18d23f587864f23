// Staff log in through the municipality's IdP (behind an OIDC bridge); the token carries the
// roles of their memberships that hold today.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { createTokenVerifier } from '@spor/auth';
import type { RunningIdentity } from '../src/service.js';
import { NSIS, type DevIdp } from '../dev/dev-idp.js';
import { browseLogin, callbackInBrowser, finishLogin, startStaffLogin, tokenFromSession } from './support.js';

let REDIRECT: string;
let idp: DevIdp;
let identity: RunningIdentity;
let staffId: string;
let groupId: string;
let email: string;

beforeAll(async () => {
  ({ idp, identity, redirect: REDIRECT, email, staffId, groupId } = await startStaffLogin());
});

afterAll(async () => {
  await identity.runtime.shutdown();
  await idp.stop();
});

describe('staff login', () => {
  test('a staff member gets a token with the roles that hold today', async () => {
    idp.nextLogin = { account: { sub: 'kombit-1', email }, acr: NSIS.substantial };
    const { res, cookie } = await finishLogin(identity, await browseLogin(identity.url, idp.issuer, 'staff', REDIRECT));
    expect(res.status).toBe(303);
    const issued = (await (await tokenFromSession(identity, cookie)).json()) as { access_token: string };
    const verifier = createTokenVerifier({ jwksUrl: `${identity.url}/.well-known/jwks.json`, issuer: identity.config.TOKEN_ISSUER, audience: identity.config.TOKEN_AUDIENCE });
    expect(await verifier.verify(issued.access_token)).toMatchObject({ subject: staffId, kind: 'staff', municipalityId: '510', roles: [{ role: 'educator', unitId: groupId }], children: [] });
  });

  test('an unknown user is refused with 403 UNKNOWN_STAFF', async () => {
    idp.nextLogin = { account: { sub: 'kombit-2', email: 'nobody@haderslev.dk' }, acr: NSIS.substantial };
    const res = await callbackInBrowser(identity, await browseLogin(identity.url, idp.issuer, 'staff', REDIRECT));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('UNKNOWN_STAFF');
  });

  test('citizen login is answered 503 when it is not configured', async () => {
    const res = await request(identity.url).get('/auth/citizen/login');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'LOGIN_NOT_CONFIGURED', detail: 'set CITIZEN_OIDC_ISSUER, CITIZEN_OIDC_CLIENT_ID and CITIZEN_OIDC_CLIENT_SECRET' });
  });
});
