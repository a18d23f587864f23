// Token verification against a real JWKS endpoint served over HTTP, with real keys.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type JWK, type CryptoKey } from 'jose';
import { createApp, createLogger, createRegistry } from '@spor/service-kit';
import { Writable } from 'node:stream';
import { NSIS_LEVELS, authenticate, createTokenVerifier, principalOf, requireNsisLevel, requireRelation, requireRole } from '../src/index.js';

const ISSUER = 'https://identity.spor.test';
const AUDIENCE = 'spor-api';
const keys: { kid: string; privateKey: CryptoKey; jwk: JWK }[] = [];
const published: JWK[] = [];
let jwksRequests = 0;
let server: Server;
let jwksUrl: string;

async function addKey(kid: string, publish = true) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  keys.push({ kid, privateKey, jwk });
  if (publish) published.push(jwk);
  return kid;
}

function sign(claims: Record<string, unknown>, options: { kid?: string; expiresIn?: string; issuer?: string; audience?: string } = {}) {
  const key = keys.find((k) => k.kid === (options.kid ?? 'key-1'))!;
  return new SignJWT({ kind: 'staff', mun: '510', roles: [{ role: 'educator', unit: 'inst-1' }], ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setSubject('7d2c9c1e-2f0b-4a53-9a4e-0c1d2e3f4a5b')
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(key.privateKey);
}

beforeAll(async () => {
  await addKey('key-1');
  const jwks = express();
  jwks.get('/.well-known/jwks.json', (_req, res) => {
    jwksRequests++;
    res.json({ keys: published });
  });
  server = await new Promise<Server>((resolve) => {
    const s = jwks.listen(0, '127.0.0.1', () => resolve(s));
  });
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function buildApp() {
  const verifier = createTokenVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, cooldownMs: 0 });
  return createApp({
    service: 'auth-test',
    logger: createLogger({ service: 'auth-test', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    registry: createRegistry('auth-test'),
    routes: (router) => {
      router.use(authenticate(verifier));
      router.get('/me', (req, res) => {
        const p = principalOf(req);
        res.json({ subject: p.subject, kind: p.kind, municipalityId: p.municipalityId, roles: p.roles, nsisLevel: p.nsisLevel ?? null });
      });
      router.get('/leaders', requireRole('leader'), (_req, res) => void res.json({ ok: true }));
      router.get('/parents', requireNsisLevel('substantial'), (_req, res) => void res.json({ ok: true }));
      router.get('/institutions/:id', requireRelation('staff of this institution', (p, req) => p.roles.some((r) => r.unitId === req.params.id)), (_req, res) => void res.json({ ok: true }));
    },
  });
}

describe('authentication', () => {
  test('when the token is valid, then the principal is available', async () => {
    const res = await request(buildApp()).get('/me').set('authorization', `Bearer ${await sign({})}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ subject: '7d2c9c1e-2f0b-4a53-9a4e-0c1d2e3f4a5b', kind: 'staff', municipalityId: '510', roles: [{ role: 'educator', unitId: 'inst-1' }], nsisLevel: null });
  });

  test.each([
    ['no header', undefined, 'TOKEN_MISSING'],
    ['a Basic header', 'Basic dXNlcjpwYXNz', 'TOKEN_MISSING'],
    ['garbage', 'Bearer not.a.jwt', 'UNAUTHENTICATED'],
  ])('when there is %s, then 401 problem with WWW-Authenticate', async (_what, header, code) => {
    const req = request(buildApp()).get('/me');
    const res = header ? await req.set('authorization', header) : await req;
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    expect(res.body.code).toBe(code);
  });

  test('when the token expired, then 401 TOKEN_EXPIRED', async () => {
    const res = await request(buildApp()).get('/me').set('authorization', `Bearer ${await sign({}, { expiresIn: '-1m' })}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_EXPIRED');
  });

  test.each([
    ['issuer', { issuer: 'https://evil.test' }, 'iss'],
    ['audience', { audience: 'other-api' }, 'aud'],
  ])('when the %s is wrong, then 401 names the claim', async (_what, options, claim) => {
    const res = await request(buildApp()).get('/me').set('authorization', `Bearer ${await sign({}, options)}`);
    expect(res.status).toBe(401);
    expect(res.body.detail).toContain(`${claim} claim`);
  });

  test('when the token lacks a municipality, then 401', async () => {
    const res = await request(buildApp()).get('/me').set('authorization', `Bearer ${await sign({ mun: undefined })}`);
    expect(res.status).toBe(401);
    expect(res.body.detail).toContain('municipality');
  });

  test('when the keys rotate, then a token with the new kid verifies after one JWKS refetch', async () => {
    const app = buildApp();
    await request(app).get('/me').set('authorization', `Bearer ${await sign({})}`);
    const before = jwksRequests;
    await addKey('key-2');
    const res = await request(app).get('/me').set('authorization', `Bearer ${await sign({}, { kid: 'key-2' })}`);
    expect(res.status).toBe(200);
    expect(jwksRequests).toBe(before + 1);
  });

  test('when a token verified once comes again, then its signature is not checked again, up to its expiry', async () => {
    let lookups = 0;
    const keySet = createLocalJWKSet({ keys: published });
    const verifier = createTokenVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE }, (header, token) => {
      lookups++;
      return keySet(header, token);
    });
    const token = await sign({});
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first);
    expect(lookups).toBe(1);
    expect(Object.isFrozen(first) && Object.isFrozen(first.roles)).toBe(true);
    // Another token, even of the same person, is verified on its own.
    await verifier.verify(await sign({ mun: '461' }));
    expect(lookups).toBe(2);
    // Past its expiry (still within the clock tolerance) a token is checked every time.
    const expiring = await sign({}, { expiresIn: '-2s' });
    await verifier.verify(expiring);
    await verifier.verify(expiring);
    expect(lookups).toBe(4);
    // A forged token never matches a remembered one.
    await expect(verifier.verify(`${token.slice(0, -4)}AAAA`)).rejects.toMatchObject({ status: 401 });
  });

  test('when identity cannot be reached, then a key that verified before still does; a key never seen is 503, not 401', async () => {
    let reachable = true;
    // As the remote set: what identity publishes at the time of the fetch.
    const verifier = createTokenVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, rememberMs: 0 }, async (header, token) => {
      if (!reachable) throw new TypeError('fetch failed');
      return createLocalJWKSet({ keys: [...published] })(header, token);
    });
    await verifier.verify(await sign({}));
    await addKey('key-3');
    reachable = false;
    expect((await verifier.verify(await sign({ mun: '461' }))).municipalityId).toBe('461');
    await expect(verifier.verify(await sign({}, { kid: 'key-3' }))).rejects.toMatchObject({ status: 503, code: 'UPSTREAM_UNAVAILABLE' });
    // Reached again, the set decides: a key it lacks is the token's fault.
    reachable = true;
    expect((await verifier.verify(await sign({}, { kid: 'key-3' }))).subject).toBeDefined();
    await addKey('never-published', false);
    await expect(verifier.verify(await sign({}, { kid: 'never-published' }))).rejects.toMatchObject({ status: 401 });
  });

  test('when identity’s key set is not there at all, then 503 with Retry-After', async () => {
    const verifier = createTokenVerifier({ jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json', issuer: ISSUER, audience: AUDIENCE });
    await expect(verifier.verify(await sign({}))).rejects.toMatchObject({ status: 503, code: 'UPSTREAM_UNAVAILABLE', headers: { 'Retry-After': '5' } });
  });

  test('when a key is not in the JWKS, then 401', async () => {
    await addKey('rogue', false);
    const res = await request(buildApp()).get('/me').set('authorization', `Bearer ${await sign({}, { kid: 'rogue' })}`);
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe('the token is signed with an unknown key');
  });

  test('when the token is unsigned (alg none), then 401', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'x', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 60, iat: Math.floor(Date.now() / 1000), kind: 'staff', mun: '510' })).toString('base64url');
    const res = await request(buildApp()).get('/me').set('authorization', `Bearer ${header}.${payload}.`);
    expect(res.status).toBe(401);
  });
});

describe('authorisation', () => {
  test('when the role is missing, then 403 ROLE_REQUIRED; with it, 200', async () => {
    const app = buildApp();
    const denied = await request(app).get('/leaders').set('authorization', `Bearer ${await sign({})}`);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'ROLE_REQUIRED', detail: 'requires one of the roles: leader' });
    const allowed = await request(app).get('/leaders').set('authorization', `Bearer ${await sign({ roles: [{ role: 'leader', unit: 'inst-1' }] })}`);
    expect(allowed.status).toBe(200);
  });

  test('when a parent logged in below NSIS substantial, then 403', async () => {
    const app = buildApp();
    const low = await request(app).get('/parents').set('authorization', `Bearer ${await sign({ kind: 'parent', roles: [], acr: NSIS_LEVELS.low })}`);
    expect(low.status).toBe(403);
    expect(low.body.code).toBe('NSIS_LEVEL_TOO_LOW');
    const ok = await request(app).get('/parents').set('authorization', `Bearer ${await sign({ kind: 'parent', roles: [], acr: NSIS_LEVELS.substantial })}`);
    expect(ok.status).toBe(200);
  });

  test('when staff have no relation to the institution, then 403', async () => {
    const app = buildApp();
    const token = await sign({});
    expect((await request(app).get('/institutions/inst-1').set('authorization', `Bearer ${token}`)).status).toBe(200);
    const other = await request(app).get('/institutions/inst-2').set('authorization', `Bearer ${token}`);
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ code: 'RELATION_REQUIRED', detail: 'no access: staff of this institution' });
  });
});
