// identity's tokens as the other services see them: verified by the auth lib against the JWKS.
import { describe, expect, test } from '@jest/globals';
import { createLocalJWKSet } from 'jose';
import { createTokenVerifier, NSIS_LEVELS } from '@spor/auth';
import { generateSigningKey, SigningKeyRing } from '../src/domain/signing-keys.js';
import { issueAccessToken } from '../src/domain/access-token.js';

const settings = { issuer: 'https://identity.spor.test', audience: 'spor-api', ttlSeconds: 300 };
const policy = { rotateAfterMs: 24 * 3600_000, tokenTtlMs: 300_000, clockSkewMs: 5_000 };
const parent = { personId: '5b0c1a2e-9d8f-4e7a-b6c5-d4e3f2a1b0c9', kind: 'parent' as const, municipalityId: '510', roles: [], acr: NSIS_LEVELS.substantial, children: ['c-1', 'c-2'] };

function verifierFor(ring: SigningKeyRing) {
  return createTokenVerifier({ jwksUrl: 'http://unused.invalid', issuer: settings.issuer, audience: settings.audience }, createLocalJWKSet(ring.jwks()));
}

describe('access tokens', () => {
  test('a token identity issues is accepted by the auth lib, with its claims', async () => {
    const now = new Date();
    const ring = new SigningKeyRing([await generateSigningKey(now)], policy);
    const { token, expiresAt } = await issueAccessToken(ring, settings, parent, now);
    expect(expiresAt.getTime() - now.getTime()).toBeLessThanOrEqual(300_000);
    const principal = await verifierFor(ring).verify(token);
    expect(principal).toMatchObject({ subject: parent.personId, kind: 'parent', municipalityId: '510', nsisLevel: 'substantial', children: ['c-1', 'c-2'], roles: [] });
  });

  test('after rotation, tokens of the old key verify until they expire; then its key leaves the JWKS', async () => {
    const t0 = new Date('2026-11-23T08:00:00Z');
    const ring = new SigningKeyRing([await generateSigningKey(t0)], policy);
    const oldKid = ring.active().kid;
    const t1 = new Date(t0.getTime() + policy.rotateAfterMs);
    expect(ring.needsRotation(t1)).toBe(true);
    ring.rotate(await generateSigningKey(t1), t1);
    expect(ring.active().kid).not.toBe(oldKid);
    expect(ring.jwks().keys.map((k) => k.kid)).toContain(oldKid);
    expect(ring.prune(new Date(t1.getTime() + 60_000))).toEqual([]);
    const dropped = ring.prune(new Date(t1.getTime() + policy.tokenTtlMs + policy.clockSkewMs + 1));
    expect(dropped.map((k) => k.kid)).toEqual([oldKid]);
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual([ring.active().kid]);
  });

  test('a token signed by a key that left the JWKS is refused', async () => {
    const now = new Date();
    const ring = new SigningKeyRing([await generateSigningKey(now)], policy);
    const { token } = await issueAccessToken(ring, settings, parent, now);
    ring.rotate(await generateSigningKey(now), now);
    ring.prune(new Date(now.getTime() + policy.tokenTtlMs + policy.clockSkewMs + 1));
    await expect(verifierFor(ring).verify(token)).rejects.toMatchObject({ status: 401, detail: 'the token is signed with an unknown key' });
  });

  test('a tampered token is refused', async () => {
    const now = new Date();
    const ring = new SigningKeyRing([await generateSigningKey(now)], policy);
    const { token } = await issueAccessToken(ring, settings, parent, now);
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, children: ['someone-else'] })).toString('base64url')}.${s}`;
    await expect(verifierFor(ring).verify(forged)).rejects.toMatchObject({ status: 401 });
  });

  test('the JWKS publishes public keys only', async () => {
    const ring = new SigningKeyRing([await generateSigningKey(new Date())], policy);
    for (const key of ring.jwks().keys) expect(key).not.toHaveProperty('d');
  });
});
