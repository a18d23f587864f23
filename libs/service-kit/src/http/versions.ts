// Optimistic concurrency over HTTP: a resource's version is its ETag, and a change sent with
// If-Match applies only to that version (RFC 9110 §13.1.1). Without If-Match the change
// applies to the version just read; the store still refuses a write that lost a race.
import type { Request, Response } from 'express';
import { AppError } from '../errors/app-error.js';

export function setVersionTag(res: Response, version: number): void {
  res.set('etag', `"${version}"`);
}

/** The version a change must apply to: the If-Match one when given, else the current one. */
export function versionToChange(req: Request, current: number): number {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return current;
  const tags = header.split(',').map((tag) => /^\s*(?:W\/)?"(\d+)"\s*$/.exec(tag)?.[1]);
  if (tags.some((tag) => tag === undefined)) {
    throw new AppError({ status: 400, code: 'VALIDATION_FAILED', title: 'The request is not valid', detail: 'headers.if-match: must be the ETag of a version, like "3"', errors: [{ in: 'headers', field: 'if-match', message: 'must be the ETag of a version, like "3"' }] });
  }
  if (!tags.includes(String(current))) {
    throw new AppError({ status: 412, code: 'VERSION_MISMATCH', title: 'The resource has changed', detail: `it is at version ${current} now; read it again and reapply the change` });
  }
  return current;
}
