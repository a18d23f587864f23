// How createApp wires the contract check: only when the environment asks for it, only for an
// app that registers its document (`openapi` option). An app without a document is not
// checked; which services must have one is decided by the contracts test, not here.
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { loadOpenApiDocument } from './document.js';
import { ContractChecker, contractCheck, contractCheckMode, holdResponses } from './check.js';
import { CONTRACT_RECORD_ENV, recorder } from './record.js';

export function contractChecking(service: string, openapi: string | undefined, logger?: Logger, exempt?: (req: Request) => boolean): RequestHandler | undefined {
  const recordDir = process.env[CONTRACT_RECORD_ENV];
  const handler = recordDir ? holdResponses(recorder(recordDir, service), service, logger) : contractCheckMode() === 'strict' && openapi ? contractCheck(new ContractChecker(service, loadOpenApiDocument(openapi)), logger) : undefined;
  if (!handler || !exempt) return handler;
  // Exchanges another document judges (the gateway's pass-through to each service) are left alone.
  return (req, res, next) => (exempt(req) ? next() : handler(req, res, next));
}
