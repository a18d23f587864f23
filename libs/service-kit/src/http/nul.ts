// No text Spor keeps may hold U+0000 (NUL). PostgreSQL, which FerretDB stores documents in,
// cannot hold it in text (SQLSTATE 22P05): a request with one anywhere in its body failed its
// write with a 500, and an import row with one failed each time the job was applied, so the job
// never finished. No person writes one; a file full of them is UTF-16, not UTF-8. So it is
// refused where requests come in, naming where it is, whichever store a municipality runs.

export const NUL = '\u0000';

/**
 * The dotted path (as validation names fields: `goals.0.text`) of the first string in `value`
 * that holds U+0000, or of the object whose key holds one; null when there is none.
 */
export function nulAt(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes(NUL) ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [key, v] of entries) {
    if (key.includes(NUL)) return path;
    const found = nulAt(v, path ? `${path}.${key}` : key);
    if (found !== null) return found;
  }
  return null;
}

export const NUL_MESSAGE = 'holds a NUL character (U+0000), which no text here may hold';
