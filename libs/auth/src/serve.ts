// What every service behind identity's tokens serves the same way: the app factory (health,
// readiness, metrics, problem+json) with every other route behind the token check, listening
// on the configured port, draining on shutdown.
import type { Router } from 'express';
import type { Registry } from 'prom-client';
import { createApp, type Logger, type ReadinessCheck, type ServiceRuntime } from '@spor/service-kit';
import { authenticate } from './middleware.js';
import { verifierFromConfig } from './config.js';
import type { TokenVerifier } from './token-verifier.js';

export interface AuthenticatedServiceOptions {
  service: string;
  config: { PORT: number; HTTP_BODY_LIMIT: string; TOKEN_ISSUER: string; TOKEN_AUDIENCE: string; IDENTITY_JWKS_URL?: string | undefined };
  runtime: ServiceRuntime;
  logger: Logger;
  metrics: Registry;
  readiness: ReadinessCheck[];
  extraBodyTypes?: string[];
  verifier?: TokenVerifier;
  /** The service's OpenAPI document (absolute path); see createApp. */
  openapi?: string;
  routes: (router: Router) => void;
}

/** Serves the routes behind identity's tokens; answers the service's base URL. */
export async function serveAuthenticated(options: AuthenticatedServiceOptions): Promise<string> {
  const verifier = options.verifier ?? verifierFromConfig(options.config);
  const app = createApp({
    service: options.service,
    bodyLimit: options.config.HTTP_BODY_LIMIT,
    ...(options.extraBodyTypes ? { extraBodyTypes: options.extraBodyTypes } : {}),
    ...(options.openapi ? { openapi: options.openapi } : {}),
    logger: options.logger,
    registry: options.metrics,
    isDraining: () => options.runtime.isDraining,
    readiness: options.readiness,
    routes: (router) => {
      router.use(authenticate(verifier));
      options.routes(router);
    },
  });
  const server = await options.runtime.listen(app, options.config.PORT);
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}`;
}
