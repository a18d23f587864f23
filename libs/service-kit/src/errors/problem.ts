// RFC 9457 problem details: the only shape an error ever leaves a Spor service in.
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { AppError, isAppError } from './app-error.js';
import { currentRequestId } from '../logging/context.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://spor.dk/problems/';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  rule?: string;
  errors?: AppError['errors'];
  requestId?: string;
  [extension: string]: unknown;
}

export function toProblem(error: AppError, instance?: string): ProblemDocument {
  // A 500 is an unexpected failure whose text may hold internals (driver messages, hosts): it goes
  // to the log only. 502–504 are raised on purpose (an upstream or a provider is unavailable)
  // and say what to do.
  const hidden = error.status === 500;
  return {
    // First, so no extension can overwrite a standard member.
    ...(hidden ? {} : error.extensions),
    type: `${TYPE_BASE}${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: error.title,
    status: error.status,
    ...(hidden ? {} : error.detail ? { detail: error.detail } : {}),
    ...(instance ? { instance } : {}),
    code: error.code,
    ...(error.rule ? { rule: error.rule } : {}),
    ...(!hidden && error.errors ? { errors: error.errors } : {}),
    ...(currentRequestId() ? { requestId: currentRequestId() } : {}),
  };
}

export function sendProblem(res: Response, error: AppError): void {
  const problem = toProblem(error, res.req?.originalUrl?.split('?')[0]);
  for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
  res.status(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** Maps errors thrown by express's own middleware (body parser and friends) to AppErrors. */
export function normaliseError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const e = error as { type?: string; status?: number; statusCode?: number; message?: string; limit?: number };
  const status = e?.status ?? e?.statusCode;
  switch (e?.type) {
    case 'entity.parse.failed':
      return new AppError({ status: 400, code: 'MALFORMED_JSON', title: 'The body is not valid JSON', detail: 'body: could not be parsed as JSON', cause: error });
    case 'entity.too.large':
      return new AppError({ status: 413, code: 'BODY_TOO_LARGE', title: 'The body is too large', detail: `body: larger than the limit of ${e.limit} bytes`, cause: error });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError({ status: 415, code: 'UNSUPPORTED_ENCODING', title: 'Unsupported body encoding', detail: e.message, cause: error });
    case 'request.aborted':
      return new AppError({ status: 400, code: 'REQUEST_ABORTED', title: 'The request was aborted', cause: error });
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError({ status, code: 'BAD_REQUEST', title: 'Bad request', detail: e.message, cause: error });
  }
  return new AppError({ status: 500, code: 'INTERNAL', title: 'Internal error', detail: e?.message, cause: error, catastrophic: false });
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError({ status: 404, code: 'ROUTE_NOT_FOUND', title: 'Not found', detail: `no route for ${req.method} ${req.path}` }));
};

export function problemHandler(onError?: (error: AppError) => void): ErrorRequestHandler {
  return (error, _req, res, next) => {
    const appError = normaliseError(error);
    onError?.(appError);
    if (res.headersSent) {
      next(error);
      return;
    }
    sendProblem(res, appError);
  };
}
