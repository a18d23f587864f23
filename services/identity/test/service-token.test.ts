// Service-to-service tokens through the client-credentials grant: what a configured internal
// client gets, and the OAuth-shaped refusals for everything else.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import type express from 'express';
import request from 'supertest';
import { authenticate, createTokenVerifier, requireScope } from '@spor/auth';
import { createApp, createRegistry } from '@spor/service-kit';
import { quietLogger } from '@spor/testkit';
import type { RunningIdentity } from '../src/service.js';
import { bearer, startTestIdentity } from './support.js';

const SECRET = 'transitions-secret-0123456789abcdef';
let identity: RunningIdentity;

beforeAll(async () => {
  const clients = [{ id: 'transitions', secretSha256: createHash('sha256').update(SECRET).digest('hex'), scopes: ['consent:read', 'assessments:read'] }];
  identity = await startTestIdentity(undefined, { SERVICE_CLIENTS: JSON.stringify(clients) });
});

afterAll(async () => {
  await identity.runtime.shutdown();
});

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const tokenRequest = (form: Record<string, string>, authorization = basic('transitions', SECRET)) =>
  request(identity.url).post('/oauth/token').set('authorization', authorization).type('form').send(form);

/** Another service guarding a route with a scope, verifying through identity's JWKS. */
function consumer() {
  const verifier = createTokenVerifier({ jwksUrl: `${identity.url}/.well-known/jwks.json`, issuer: identity.config.TOKEN_ISSUER, audience: identity.config.TOKEN_AUDIENCE });
  return createApp({
    service: 'consumer',
    logger: quietLogger(),
    registry: createRegistry('consumer'),
    routes: (router: express.Router) => {
      router.get('/internal/consents', authenticate(verifier), requireScope('consent:read'), (req, res) => {
        res.json({ subject: req.principal!.subject, kind: req.principal!.kind, scopes: req.principal!.scopes, municipalityId: req.principal!.municipalityId });
      });
    },
  });
}

describe('client-credentials tokens for internal calls', () => {
  test('a configured client gets a short-lived service token that another service accepts for its scope', async () => {
    const res = await tokenRequest({ grant_type: 'client_credentials', scope: 'consent:read' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'consent:read' });
    expect(res.body.expires_in).toBeGreaterThan(200);
    const used = await request(consumer()).get('/internal/consents').set('authorization', `Bearer ${res.body.access_token}`);
    expect(used.status).toBe(200);
    expect(used.body).toEqual({ subject: 'transitions', kind: 'service', scopes: ['consent:read'], municipalityId: '' });
  });

  test('without a scope the client gets all its scopes; client_secret_post works too', async () => {
    const res = await request(identity.url).post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: 'transitions', client_secret: SECRET });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('consent:read assessments:read');
  });

  test('a staff token, or a service token without the scope, is refused by the scoped route', async () => {
    const staff = await request(consumer()).get('/internal/consents').set('authorization', await bearer(identity));
    expect(staff.status).toBe(403);
    expect(staff.body.code).toBe('SCOPE_REQUIRED');
    const narrow = await tokenRequest({ grant_type: 'client_credentials', scope: 'assessments:read' });
    const res = await request(consumer()).get('/internal/consents').set('authorization', `Bearer ${narrow.body.access_token}`);
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe('requires a service token with the scope consent:read');
  });

  test('identity’s internal person lookup needs a service token with persons:lookup', async () => {
    const staff = await request(identity.url).post('/internal/person-lookups').set('authorization', await bearer(identity)).send({ purpose: 'enrollment import', cprs: ['0101211234'] });
    expect(staff.status).toBe(403);
    const narrow = await tokenRequest({ grant_type: 'client_credentials', scope: 'consent:read' });
    const res = await request(identity.url).post('/internal/person-lookups').set('authorization', `Bearer ${narrow.body.access_token}`).send({ purpose: 'enrollment import', cprs: ['0101211234'] });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('SCOPE_REQUIRED');
  });

  test.each([
    ['a wrong secret', { grant_type: 'client_credentials' }, basic('transitions', 'wrong-secret'), 401, 'invalid_client'],
    ['an unknown client', { grant_type: 'client_credentials' }, basic('reporting', SECRET), 401, 'invalid_client'],
    ['another grant', { grant_type: 'password' }, basic('transitions', SECRET), 400, 'unsupported_grant_type'],
    ['a scope the client may not hold', { grant_type: 'client_credentials', scope: 'consent:read identity:admin' }, basic('transitions', SECRET), 400, 'invalid_scope'],
  ])('%s is refused with problem+json that OAuth clients also understand', async (_case, form, authorization, status, error) => {
    const res = await tokenRequest(form, authorization);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ error, code: error.toUpperCase() });
    expect(res.body.error_description).toBe(res.body.detail);
    if (status === 401) expect(res.headers['www-authenticate']).toBe('Basic realm="spor-identity"');
  });
});
