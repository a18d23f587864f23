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

export class SigningKeyStore {
  constructor(
    private readonly collection: Collection<StoredSigningKey>,
    private readonly sealKey: BoxKey,
    private readonly policy: RotationPolicy,
  ) {}

  private periodOf(now: Date): number {
    return Math.floor(now.getTime() / this.policy.rotateAfterMs);
  }

  /** The ring as stored, with a new key first if the current period has none. */
  async load(now: Date): Promise<SigningKeyRing> {
    const period = this.periodOf(now);
    let stored = await this.collection.find({}).sort({ period: 1 }).toArray();
    if (!stored.some((k) => k.period === period)) {
      await this.insert(await generateSigningKey(now, `p${period}`), period, now);
      stored = await this.collection.find({}).sort({ period: 1 }).toArray();
    }
    const keys: SigningKey[] = stored.map((k, i) => ({
      kid: k._id,
      createdAt: k.createdAt,
      ...(stored[i + 1] ? { retiredAt: stored[i + 1]!.createdAt } : {}),
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
