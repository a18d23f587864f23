// Optimistic concurrency over HTTP: a resource's version is its ETag, and a change sent with
// If-Match applies only to that version (RFC 9110 §13.1.1). Without If-Match the change
// applies to the version just read; the store still refuses a write that lost a race.
import type { Request, Response } from 'express';
import { AppError, isAppError } from '../errors/app-error.js';

export function setVersionTag(res: Response, version: number): void {
  res.set('etag', `"${version}"`);
}

const mismatch = (current: string) => new AppError({ status: 412, code: 'VERSION_MISMATCH', title: 'The resource has changed', detail: `it is at ${current} now; read it again and reapply the change` });

/** The version a change must apply to: the If-Match one when given, else the current one. */
export function versionToChange(req: Request, current: number): number {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return current;
  const tags = header.split(',').map((tag) => /^\s*(?:W\/)?"(\d+)"\s*$/.exec(tag)?.[1]);
  if (tags.some((tag) => tag === undefined)) {
    throw new AppError({ status: 400, code: 'VALIDATION_FAILED', title: 'The request is not valid', detail: 'headers.if-match: must be the ETag of a version, like "3"', errors: [{ in: 'headers', field: 'if-match', message: 'must be the ETag of a version, like "3"' }] });
  }
  if (!tags.includes(String(current))) {
    throw mismatch(`version ${current}`);
  }
  return current;
}

/**
 * Runs the write of a change checked by `versionToChange`. Sent with If-Match, a write that
 * lost a race to another change after the check (the store's VERSION_CONFLICT) is the same to
 * the client as a stale If-Match: 412, as promised, not a 409 of its own making.
 */
export async function writeAtVersion<T>(req: Request, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (req.headers['if-match'] !== undefined && isAppError(error, 'VERSION_CONFLICT')) throw mismatch('a newer version');
    throw error;
  }
}
