/**
 * Whether a write was refused by a unique index. MongoDB and FerretDB's inserts answer code 11000;
 * FerretDB 1.x answers an update that would break a unique index with an internal error that
 * carries PostgreSQL's unique violation (SQLSTATE 23505) instead.
 */
export function isDuplicateKey(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 11000 || (typeof message === 'string' && message.includes('SQLSTATE 23505'));
}
