// Gives every request an id (taken from X-Request-Id when it is well-formed), returns it
// in the response, and runs the rest of the request inside that async context.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { runWithContext } from '../logging/context.js';

export const REQUEST_ID_HEADER = 'x-request-id';
export const CORRELATION_ID_HEADER = 'x-correlation-id';
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function acceptId(value: unknown): string | undefined {
  return typeof value === 'string' && SAFE_ID.test(value) ? value : undefined;
}

export const requestContext: RequestHandler = (req, res, next) => {
  const requestId = acceptId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
  const correlationId = acceptId(req.headers[CORRELATION_ID_HEADER]) ?? requestId;
  (req as { id?: string }).id = requestId;
  res.setHeader('X-Request-Id', requestId);
  runWithContext({ requestId, correlationId }, () => next());
};
