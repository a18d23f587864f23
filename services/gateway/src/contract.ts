// The gateway's own contract (openapi.yaml): the routes it answers itself. It is not given to
// createApp, whose check (SPOR_OPENAPI_CHECK=strict) judges every exchange of the app: every
// proxied /api/<service>/... answer would be "no operation in the document". Each service's own
// document judges those, in that service's tests. So the gateway mounts service-kit's check
// itself, in its router, for everything except
// - the proxied routes /api/<service>/... of the known services, and
// - the browsable page and its static files (/docs, /docs/, /docs/init.js, /docs/assets/*),
//   HTML, JavaScript and images for people; `/docs/` cannot be an OpenAPI path under the linter.
// What createApp answers before the router (/healthz, /readyz, /metrics) is documented through
// common.yaml but not checked here; /openapi.json is served by this router and checked.
import type { RequestHandler, Router } from 'express';
import { ContractChecker, contractCheck, contractCheckMode, loadOpenApiDocument, type Logger } from '@spor/service-kit';
import { UPSTREAM_VARIABLES } from './config.js';

export interface OwnContractOptions {
  service: string;
  /** The gateway's OpenAPI document (absolute path, YAML). */
  openapi: string;
  logger: Logger;
}

const UPSTREAM = /^\/api\/([A-Za-z0-9-]+)(?:\/|$)/;
const PAGE = /^\/docs(?:\/|\/init\.js|\/assets\/.*)?$/;

/** Whether the gateway's document leaves this path to someone else: a service's document, or none (the page). */
export function outsideOwnContract(path: string): boolean {
  const service = UPSTREAM.exec(path)?.[1]?.toLowerCase();
  return (service !== undefined && service in UPSTREAM_VARIABLES) || PAGE.test(path);
}

/** Serves the document at /openapi.json and, with SPOR_OPENAPI_CHECK=strict, checks the gateway's own routes against it. */
export function ownContract(router: Router, options: OwnContractOptions): void {
  const bundled = () => loadOpenApiDocument(options.openapi);
  if (contractCheckMode() === 'strict') {
    const check = contractCheck(new ContractChecker(options.service, bundled()), options.logger);
    const scoped: RequestHandler = (req, res, next) => (outsideOwnContract(req.originalUrl.split('?')[0]!) ? next() : check(req, res, next));
    router.use(scoped);
  }
  router.get('/openapi.json', (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(bundled());
  });
}
