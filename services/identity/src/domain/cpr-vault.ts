// CPR numbers at rest: encrypted with AES-256-GCM under a key that carries an id, so keys can
// rotate and records written under an older key still decrypt; findable through a keyed hash
// (HMAC-SHA256) so a person can be looked up by CPR without storing it in clear.
// The ciphertext is bound to the person's pseudonymous id (additional authenticated data), so
// a ciphertext copied onto another person's record does not decrypt.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SealedBoxError, keyIdOf, open, seal } from './sealed-box.js';
import type { Cpr } from './cpr.js';

export interface VaultKey {
  id: string;
  key: Buffer;
}

export interface CprVaultOptions {
  /** Every key that may have encrypted a stored record; the active one encrypts new ones. */
  encryptionKeys: VaultKey[];
  activeKeyId: string;
  /** The HMAC key of the lookup hash. Changing it means re-hashing every record. */
  lookupKey: VaultKey;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export class CprVaultError extends Error {}

/** Parses `id:base64,id:base64` as configuration gives it. */
export function parseVaultKeys(value: string, variable: string): VaultKey[] {
  const keys = value.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const [id, material] = entry.split(':');
    if (!id || !material || !KEY_ID.test(id)) throw new CprVaultError(`${variable}: each key must be <id>:<base64 of 32 bytes>, with an id of letters, digits, - or _`);
    const key = Buffer.from(material, 'base64');
    if (key.length !== 32) throw new CprVaultError(`${variable}: key ${id} is ${key.length} bytes; AES-256 and HMAC-SHA256 keys here are 32 bytes`);
    return { id, key };
  });
  if (keys.length === 0) throw new CprVaultError(`${variable}: no keys`);
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new CprVaultError(`${variable}: a key id is used twice`);
  return keys;
}

export class CprVault {
  private readonly keys: Map<string, Buffer>;
  private readonly active: VaultKey;

  constructor(private readonly options: CprVaultOptions) {
    this.keys = new Map(options.encryptionKeys.map((k) => [k.id, k.key]));
    const active = this.keys.get(options.activeKeyId);
    if (!active) throw new CprVaultError(`the active key ${options.activeKeyId} is not among the encryption keys`);
    this.active = { id: options.activeKeyId, key: active };
  }

  /** `v1.<key id>.<iv>.<ciphertext>.<tag>`, base64url parts. */
  encrypt(cpr: Cpr, personId: string): string {
    return seal(cpr, this.active, this.context(personId));
  }

  decrypt(sealed: string, personId: string): Cpr {
    try {
      return open(sealed, this.keys, this.context(personId)) as Cpr;
    } catch (error) {
      if (error instanceof SealedBoxError) {
        throw new CprVaultError(error.message.replace('the sealed value does not open here', 'the sealed CPR number does not decrypt for this person').replace('not a sealed value', 'not a sealed CPR number'));
      }
      throw error;
    }
  }

  /** Seals any other text that holds CPR numbers (an import file while it is applied). */
  sealText(text: string, context: string): string {
    return seal(text, this.active, `spor:text:${context}`);
  }

  openText(sealed: string, context: string): string {
    return open(sealed, this.keys, `spor:text:${context}`);
  }

  /** The key id a sealed value was written under: records under old keys can be re-sealed. */
  keyIdOf(sealed: string): string | undefined {
    return keyIdOf(sealed);
  }

  needsReseal(sealed: string): boolean {
    return this.keyIdOf(sealed) !== this.active.id;
  }

  /** `<lookup key id>:<hex HMAC>`: equal for equal CPR numbers, useless without the key. */
  lookupHash(cpr: Cpr): string {
    return `${this.options.lookupKey.id}:${createHmac('sha256', this.options.lookupKey.key).update(cpr, 'utf8').digest('hex')}`;
  }

  /**
   * A keyed digest of text that holds CPR numbers (an import file), for an id that is equal for
   * equal text: a plain hash of a small file could be reversed by trying the CPR numbers of a
   * birth date, and such ids go into logs, URLs and the audit trail.
   */
  keyedDigest(text: string): string {
    return createHmac('sha256', this.options.lookupKey.key).update(text, 'utf8').digest('hex');
  }

  matches(cpr: Cpr, hash: string): boolean {
    const expected = Buffer.from(this.lookupHash(cpr));
    const actual = Buffer.from(hash);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  private context(personId: string): string {
    return `spor:cpr:${personId}`;
  }
}
