// How createApp wires the contract check: only when the environment asks for it, only for an
// app that registers its document (`openapi` option). An app without a document is not
// checked; which services must have one is decided by the contracts test, not here.
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { loadOpenApiDocument } from './document.js';
import { ContractChecker, contractCheck, contractCheckMode, holdResponses } from './check.js';
import { CONTRACT_RECORD_ENV, recorder } from './record.js';

export function contractChecking(service: string, openapi: string | undefined, logger?: Logger): RequestHandler | undefined {
  const recordDir = process.env[CONTRACT_RECORD_ENV];
  if (recordDir) return holdResponses(recorder(recordDir, service), service, logger);
  if (contractCheckMode() !== 'strict' || !openapi) return undefined;
  return contractCheck(new ContractChecker(service, loadOpenApiDocument(openapi)), logger);
}
