// AES-256-GCM sealing with a key id, bound to a context string: the one way identity keeps
// secrets at rest (CPR numbers, private signing keys). `v1.<key id>.<iv>.<ciphertext>.<tag>`.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface BoxKey {
  id: string;
  key: Buffer;
}

export class SealedBoxError extends Error {}

const FORMAT = 'v1';

export function seal(plain: string, key: BoxKey, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [FORMAT, key.id, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

export function keyIdOf(sealed: string): string | undefined {
  return sealed.split('.')[1];
}

export function open(sealed: string, keys: ReadonlyMap<string, Buffer>, context: string): string {
  const [format, keyId, iv, ciphertext, tag] = sealed.split('.');
  if (format !== FORMAT || !keyId || !iv || !ciphertext || !tag) throw new SealedBoxError('not a sealed value');
  const key = keys.get(keyId);
  if (!key) throw new SealedBoxError(`sealed under key ${keyId}, which is not configured`);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SealedBoxError('the sealed value does not open here (wrong key, wrong record or tampering)');
  }
}

/** Parses `id:base64` (one key) as configuration gives it. */
export function parseBoxKey(value: string): BoxKey {
  const [id, material] = value.split(':');
  return { id: id!, key: Buffer.from(material!, 'base64') };
}
