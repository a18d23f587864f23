// Access tokens: short-lived JWTs signed with the ring's active key, carrying what services
// need to decide access (pseudonymous person id, municipality, roles per unit, NSIS level,
// and for parents the children in their custody), never a CPR number or a name.
import { SignJWT, importJWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { SIGNING_ALGORITHM, type SigningKeyRing } from './signing-keys.js';

export interface TokenSubject {
  personId: string;
  kind: 'staff' | 'parent' | 'service';
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

export async function issueAccessToken(ring: SigningKeyRing, settings: AccessTokenSettings, subject: TokenSubject, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const key = ring.active();
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = issuedAt + settings.ttlSeconds;
  const token = await new SignJWT({
    kind: subject.kind,
    mun: subject.municipalityId,
    roles: subject.roles.map((r) => ({ role: r.role, unit: r.unitId })),
    ...(subject.acr ? { acr: subject.acr } : {}),
    ...(subject.children ? { children: subject.children } : {}),
  })
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'at+jwt' })
    .setSubject(subject.personId)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .setJti(randomUUID())
    .sign(await importJWK(key.privateJwk, SIGNING_ALGORITHM));
  return { token, expiresAt: new Date(expiresAt * 1000) };
}
