// identity behind the gateway: its public address (TOKEN_ISSUER) is https://<host>/api/identity,
// and the gateway strips /api/identity before identity sees the callback. The token request must
// still name the redirect URI the IdP issued the code to, or every login fails.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { freePort } from '../../../deploy/local/infra-lib.js';
import type { RunningIdentity } from '../src/service.js';
import { NSIS, startDevIdp, type DevIdp } from '../dev/dev-idp.js';
import { bearer, browseLogin, freshCpr, startTestIdentity } from './support.js';

const ISSUER = 'https://spor.test/api/identity';
const REDIRECT = `${ISSUER}/auth/staff/callback`;
let idp: DevIdp;
let identity: RunningIdentity;
const email = `lise.${Math.floor(Math.random() * 1e6)}@haderslev.dk`;

beforeAll(async () => {
  idp = await startDevIdp({
    port: await freePort(),
    clients: [{ client_id: 'spor-staff', client_secret: 'dev-client-secret-0123456789', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
  });
  identity = await startTestIdentity(undefined, {
    TOKEN_ISSUER: ISSUER,
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
  const staffId = (await post('/admin/persons', { kind: 'staff', cpr: freshCpr(), givenName: 'Lise', familyName: 'P', externalId: email })).body.id;
  await post('/admin/memberships', { personId: staffId, unitId: i, role: 'educator', from: '2020-01-01' });
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
    const res = await request(identity.url).get(path.replace(/^\/api\/identity/, ''));
    expect(res.body.code).toBeUndefined();
    expect(res.status).toBe(303);
    expect(res.headers['set-cookie']?.[0]).toMatch(/spor_session=/);
  });
});
