// Signing keys at rest: the private key sealed (AES-256-GCM under SIGNING_KEY_SEAL_KEY), the
// public key in clear. A key's id is its rotation period, so replicas that rotate at the same
// moment insert the same _id and exactly one wins; a key retires when the next one is created.
// Only inserts and deletes by _id: safe without transactions, on MongoDB and FerretDB alike.
import type { Collection } from 'mongodb';
import type { JWK } from 'jose';
import { isDuplicateKeyError } from '@spor/mongo';
import { generateSigningKey, SigningKeyRing, type RotationPolicy, type SigningKey } from '../domain/signing-keys.js';
import { open, seal, type BoxKey } from '../domain/sealed-box.js';

interface StoredSigningKey {
  _id: string;
  period: number;
  createdAt: Date;
  publicJwk: JWK;
  sealedPrivateJwk: string;
}

/** How long before its period a key is published: past two reloads (60 s each) and the services' JWKS cooldown (30 s). */
export const PUBLISH_AHEAD_MS = 5 * 60_000;

export class SigningKeyStore {
  constructor(
    private readonly collection: Collection<StoredSigningKey>,
    private readonly sealKey: BoxKey,
    private readonly policy: RotationPolicy,
  ) {}

  private periodOf(now: Date): number {
    return Math.floor(now.getTime() / this.policy.rotateAfterMs);
  }

  /**
   * The ring as stored, with a key for the current period if it has none, and one for the next
   * period once that is less than PUBLISH_AHEAD_MS away. Published ahead, the next key is in every
   * replica's key set (each reloads every minute) and in the services' caches before any replica
   * signs with it: each switches at the period's start by the clock, not when it reloads.
   */
  async load(now: Date): Promise<SigningKeyRing> {
    const period = this.periodOf(now);
    const wanted = [period, ...((period + 1) * this.policy.rotateAfterMs - now.getTime() <= PUBLISH_AHEAD_MS ? [period + 1] : [])];
    let stored = await this.collection.find({}).sort({ period: 1 }).toArray();
    const missing = wanted.filter((p) => !stored.some((k) => k.period === p));
    if (missing.length > 0) {
      for (const p of missing) await this.insert(await generateSigningKey(now, `p${p}`), p, now);
      stored = await this.collection.find({}).sort({ period: 1 }).toArray();
    }
    const startOf = (p: number) => new Date(p * this.policy.rotateAfterMs);
    const keys: SigningKey[] = stored.map((k, i) => ({
      kid: k._id,
      createdAt: k.createdAt,
      activeFrom: startOf(k.period),
      ...(stored[i + 1] ? { retiredAt: startOf(stored[i + 1]!.period) } : {}),
      publicJwk: k.publicJwk,
      privateJwk: JSON.parse(open(k.sealedPrivateJwk, new Map([[this.sealKey.id, this.sealKey.key]]), `spor:signing-key:${k._id}`)) as JWK,
    }));
    const ring = new SigningKeyRing(keys, this.policy);
    for (const dropped of ring.prune(now)) await this.collection.deleteOne({ _id: dropped.kid });
    return ring;
  }

  private async insert(key: SigningKey, period: number, now: Date): Promise<void> {
    try {
      await this.collection.insertOne({
        _id: key.kid,
        period,
        createdAt: now,
        publicJwk: key.publicJwk,
        sealedPrivateJwk: seal(JSON.stringify(key.privateJwk), this.sealKey, `spor:signing-key:${key.kid}`),
      });
    } catch (error) {
      // Another replica created this period's key first: use theirs.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}
