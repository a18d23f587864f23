// Access tokens: short-lived JWTs signed with the ring's active key, carrying what services
// need to decide access (pseudonymous person id, municipality, roles per unit, NSIS level,
// and for parents the children in their custody), never a CPR number or a name.
import { SignJWT, importJWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { SIGNING_ALGORITHM, type SigningKeyRing } from './signing-keys.js';

export interface TokenSubject {
  personId: string;
  kind: 'staff' | 'parent';
  municipalityId: string;
  roles: { role: string; unitId: string }[];
  acr?: string;
  /** For parents: ids of the children they hold custody of. */
  children?: string[];
}

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** A token for an internal caller (client-credentials grant): its client id and scopes, no person, no municipality. */
export async function issueServiceToken(ring: SigningKeyRing, settings: AccessTokenSettings, clientId: string, scopes: string[], now: Date): Promise<{ token: string; expiresAt: Date }> {
  return sign(ring, settings, clientId, { kind: 'service', scope: scopes.join(' ') }, now);
}

async function sign(ring: SigningKeyRing, settings: AccessTokenSettings, subject: string, claims: Record<string, unknown>, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const key = ring.active(now);
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = issuedAt + settings.ttlSeconds;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'at+jwt' })
    .setSubject(subject)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .setJti(randomUUID())
    .sign(await importJWK(key.privateJwk, SIGNING_ALGORITHM));
  return { token, expiresAt: new Date(expiresAt * 1000) };
}

export async function issueAccessToken(ring: SigningKeyRing, settings: AccessTokenSettings, subject: TokenSubject, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const claims = {
    kind: subject.kind,
    mun: subject.municipalityId,
    roles: subject.roles.map((r) => ({ role: r.role, unit: r.unitId })),
    ...(subject.acr ? { acr: subject.acr } : {}),
    ...(subject.children ? { children: subject.children } : {}),
  };
  return sign(ring, settings, subject.personId, claims, now);
}
