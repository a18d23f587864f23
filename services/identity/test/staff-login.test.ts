// Staff log in through the municipality's IdP (behind an OIDC bridge); the token carries the
// roles of their memberships that hold today.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { createTokenVerifier } from '@spor/auth';
import { freePort } from '../../../deploy/local/infra-lib.js';
import type { RunningIdentity } from '../src/service.js';
import { NSIS, startDevIdp, type DevIdp } from '../dev/dev-idp.js';
import { bearer, browseLogin, finishLogin, freshCpr, startTestIdentity, tokenFromSession } from './support.js';

const REDIRECT = 'https://identity.spor.test/auth/staff/callback';
let idp: DevIdp;
let identity: RunningIdentity;
let staffId: string;
let groupId: string;
const email = `lise.${Math.floor(Math.random() * 1e6)}@haderslev.dk`;

beforeAll(async () => {
  idp = await startDevIdp({
    port: await freePort(),
    clients: [{ client_id: 'spor-staff', client_secret: 'dev-client-secret-0123456789', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
  });
  identity = await startTestIdentity(undefined, {
    STAFF_OIDC_ISSUER: idp.issuer,
    STAFF_OIDC_CLIENT_ID: 'spor-staff',
    STAFF_OIDC_CLIENT_SECRET: 'dev-client-secret-0123456789',
    OIDC_ALLOW_INSECURE_HTTP: 'true',
  });
  const admin = await bearer(identity, '510');
  const post = (path: string, body: object) => request(identity.url).post(path).set('authorization', admin).send(body);
  const m = (await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' })).body.id;
  const d = (await post('/admin/org-units', { kind: 'district', name: 'D', parentId: m })).body.id;
  const i = (await post('/admin/org-units', { kind: 'institution', name: 'I', parentId: d, institutionType: 'vuggestue' })).body.id;
  groupId = (await post('/admin/org-units', { kind: 'group', name: 'G', parentId: i })).body.id;
  staffId = (await post('/admin/persons', { kind: 'staff', cpr: freshCpr(), givenName: 'Lise', familyName: 'P', externalId: email })).body.id;
  await post('/admin/memberships', { personId: staffId, unitId: groupId, role: 'educator', from: '2020-01-01' });
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
    const res = await request(identity.url).get(await browseLogin(identity.url, idp.issuer, 'staff', REDIRECT));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('UNKNOWN_STAFF');
  });

  test('citizen login is answered 503 when it is not configured', async () => {
    const res = await request(identity.url).get('/auth/citizen/login');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'LOGIN_NOT_CONFIGURED', detail: 'set CITIZEN_OIDC_ISSUER, CITIZEN_OIDC_CLIENT_ID and CITIZEN_OIDC_CLIENT_SECRET' });
  });
});
