// The keys identity signs access tokens with. One key is active; on rotation a new key takes
// over and the old one stays published in the JWKS until every token it signed has expired,
// so services that verify tokens never meet a valid token whose key they cannot find.
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';

export const SIGNING_ALGORITHM = 'ES256';

export interface SigningKey {
  kid: string;
  createdAt: Date;
  /** When it begins to sign (its rotation period's start); unset: from `createdAt`. A key is published before it signs. */
  activeFrom?: Date;
  /** When it stopped signing; unset while it is the active key. */
  retiredAt?: Date;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface RotationPolicy {
  /** How long a key signs before a new one takes over. */
  rotateAfterMs: number;
  /** Access-token lifetime: a retired key is published this long (plus skew) after retiring. */
  tokenTtlMs: number;
  clockSkewMs: number;
}

export async function generateSigningKey(now: Date, kid = `${now.toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const base = { kid, alg: SIGNING_ALGORITHM, use: 'sig' };
  return { kid, createdAt: now, privateJwk: { ...(await exportJWK(privateKey)), ...base }, publicJwk: { ...(await exportJWK(publicKey)), ...base } };
}

export class SigningKeyRing {
  constructor(
    private keys: SigningKey[],
    private readonly policy: RotationPolicy,
  ) {}

  all(): SigningKey[] {
    return [...this.keys];
  }

  /** The key that signs at `now`: the latest begun and not retired. A key published ahead waits for its period. */
  active(now = new Date()): SigningKey {
    const from = (k: SigningKey) => (k.activeFrom ?? k.createdAt).getTime();
    const active = this.keys
      .filter((k) => from(k) <= now.getTime() && (!k.retiredAt || k.retiredAt.getTime() > now.getTime()))
      .sort((a, b) => from(b) - from(a))[0];
    if (!active) throw new Error('there is no active signing key; rotate first');
    return active;
  }

  needsRotation(now: Date): boolean {
    const active = this.keys.find((k) => !k.retiredAt);
    return !active || now.getTime() - active.createdAt.getTime() >= this.policy.rotateAfterMs;
  }

  /** Puts `next` in charge and retires the key it replaces. */
  rotate(next: SigningKey, now: Date): void {
    this.keys = this.keys.map((k) => (k.retiredAt ? k : { ...k, retiredAt: now }));
    this.keys.push(next);
  }

  /** Drops retired keys no valid token can carry any more; returns what was dropped. */
  prune(now: Date): SigningKey[] {
    const expired = (k: SigningKey) => k.retiredAt !== undefined && now.getTime() > k.retiredAt.getTime() + this.policy.tokenTtlMs + this.policy.clockSkewMs;
    const dropped = this.keys.filter(expired);
    this.keys = this.keys.filter((k) => !expired(k));
    return dropped;
  }

  /** The public keys for `/.well-known/jwks.json`: the active one and those still within grace. */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
}
