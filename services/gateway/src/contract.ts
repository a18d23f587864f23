// The gateway's own contract (openapi.yaml) covers the routes it answers itself. createApp
// checks every exchange against it in tests (SPOR_OPENAPI_CHECK=strict) except these:
// - the proxied routes /api/<service>/... of the known services: each service's own document
//   judges them, in that service's tests;
// - the browsable page and its static files (/docs, /docs/, /docs/init.js, /docs/assets/*),
//   HTML, JavaScript and images for people; `/docs/` cannot be an OpenAPI path under the linter;
// - CORS preflights, which the CORS step answers for any path.
import type { Request } from 'express';
import { UPSTREAM_VARIABLES } from './config.js';

const UPSTREAM = /^\/api\/([A-Za-z0-9-]+)(?:\/|$)/;
const PAGE = /^\/docs(?:\/|\/init\.js|\/assets\/.*)?$/;

/** Whether the gateway's document leaves this path to someone else: a service's document, or none (the page). */
export function outsideOwnContract(path: string): boolean {
  const service = UPSTREAM.exec(path)?.[1]?.toLowerCase();
  return (service !== undefined && Object.hasOwn(UPSTREAM_VARIABLES, service)) || PAGE.test(path);
}

/** createApp's `openapiExempt` for the gateway. */
export function exemptFromOwnContract(req: Request): boolean {
  const preflight = req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
  return preflight || outsideOwnContract(req.originalUrl.split('?')[0]!);
}
