// identity behind the gateway: its public address (TOKEN_ISSUER) is https://<host>/api/identity,
// and the gateway strips /api/identity before identity sees the callback. The token request must
// still name the redirect URI the IdP issued the code to, or every login fails.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RunningIdentity } from '../src/service.js';
import { NSIS, type DevIdp } from '../dev/dev-idp.js';
import { browseLogin, callbackInBrowser, startStaffLogin } from './support.js';

let REDIRECT: string;
let idp: DevIdp;
let identity: RunningIdentity;
let email: string;

beforeAll(async () => {
  ({ idp, identity, redirect: REDIRECT, email } = await startStaffLogin('https://spor.test/api/identity'));
});

afterAll(async () => {
  await identity.runtime.shutdown();
  await idp.stop();
});

describe('login behind the gateway', () => {
  test('the callback arrives without the /api/identity prefix and the login still succeeds', async () => {
    idp.nextLogin = { account: { sub: 'kombit-1', email }, acr: NSIS.substantial };
    const path = await browseLogin(identity.url, idp.issuer, 'staff', REDIRECT);
    expect(path).toMatch(/^\/api\/identity\/auth\/staff\/callback\?/);
    // What the gateway passes on.
    const res = await callbackInBrowser(identity, path.replace(/^\/api\/identity/, ''));
    expect(res.body.code).toBeUndefined();
    expect(res.status).toBe(303);
    expect(res.headers['set-cookie']).toEqual(expect.arrayContaining([expect.stringMatching(/spor_session=\w/)]));
  });
});
