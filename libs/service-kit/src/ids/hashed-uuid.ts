// Ids derived from what they name: the same input always gives the same id, so writing the same
// thing twice finds it instead of making a copy (a consent per child, purpose and scope; an audit
// entry's event). Shaped as a UUID, version 8 (RFC 9562: custom), so every id in Spor looks alike.
import { createHash } from 'node:crypto';

/** A version 8 UUID from the SHA-256 of `input` (the variant bits set, the rest of the hash kept). */
export function hashedUuid(input: string): string {
  const hex = createHash('sha256').update(input).digest('hex');
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}
