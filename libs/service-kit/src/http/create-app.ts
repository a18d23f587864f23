// The express app every Spor service is built from: the same security headers, logging,
// limits, health endpoints and error shape everywhere; the service adds only its routes.
import express, { type Express, type Request, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { AppError, validationFailed, type FieldError } from '../errors/app-error.js';
import { scrubCpr } from '../privacy/personal-data.js';
import { NUL_MESSAGE, nulAt } from './nul.js';
import { notFoundHandler, problemHandler } from '../errors/problem.js';
import { requestContext } from './request-context.js';
import { httpMetrics, type Registry } from './metrics.js';
import { runReadiness, type ReadinessCheck } from './health.js';
import { contractChecking } from '../openapi/app.js';
import { loadOpenApiDocument } from '../openapi/document.js';

export interface CreateAppOptions {
  service: string;
  logger: Logger;
  registry: Registry;
  readiness?: ReadinessCheck[];
  /** Answers not-ready while true, so a draining pod leaves the load balancer first. */
  isDraining?: () => boolean;
  bodyLimit?: string;
  /** Media types (besides JSON) that some route parses itself, for example text/csv. */
  extraBodyTypes?: string[];
  /** Number of proxies in front (the gateway, an ingress) whose X-Forwarded-For to trust. */
  trustProxy?: number;
  /**
   * The service's OpenAPI document (absolute path, YAML), served bundled at /openapi.json. With
   * SPOR_OPENAPI_CHECK=strict every exchange is checked against it (see openapi/check.ts).
   */
  openapi?: string;
  /**
   * Exchanges the document does not describe because another one does: the gateway passes
   * /api/<service>/... through, and each service's own document judges those. Not checked.
   */
  openapiExempt?: (req: Request) => boolean;
  /**
   * Whether bodies are checked and parsed here (default true). The gateway passes bodies on
   * untouched as streams, so parsing them would consume what it must forward.
   */
  parseBodies?: boolean;
  routes: (router: Router) => void;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function createApp(options: CreateAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? 0);
  app.set('etag', false);

  app.use(requestContext);
  const contract = contractChecking(options.service, options.openapi, options.logger, options.openapiExempt);
  if (contract) app.use(contract);
  app.use(
    pinoHttp({
      logger: options.logger,
      genReqId: (req) => (req as { id?: string }).id ?? 'unknown',
      customAttributeKeys: { reqId: 'requestId' },
      quietReqLogger: true,
      // Health probes every few seconds would drown the log.
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: {
        // The query string is dropped: it is where personal data would leak into logs.
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
        // pino-http hands over its own serialisation, whose statusCode is null until headers
        // are sent; the raw response always has it.
        res: (res: { statusCode: number | null; raw?: { statusCode: number } }) => ({ statusCode: res.raw?.statusCode ?? res.statusCode }),
      },
    }),
  );
  app.use(helmet());
  app.use(httpMetrics(options.registry));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: options.service });
  });
  app.get('/readyz', async (_req, res) => {
    if (options.isDraining?.()) {
      res.status(503).json({ status: 'draining', checks: {} });
      return;
    }
    const report = await runReadiness(options.readiness ?? []);
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not-ready', checks: report.checks });
  });
  if (options.openapi) {
    // The service's own contract, bundled, so the gateway can fetch it from the running service.
    const file = options.openapi;
    app.get('/openapi.json', (_req, res) => {
      res.set('cache-control', 'public, max-age=300').json(loadOpenApiDocument(file));
    });
  }
  app.get('/metrics', async (_req, res) => {
    res.type(options.registry.contentType).send(await options.registry.metrics());
  });

  const accepted = ['application/json', 'application/*+json', ...(options.extraBodyTypes ?? [])];
  if (options.parseBodies !== false) useBodyParsing(app, accepted, options.bodyLimit);
  app.use(refuseNul);

  const router = express.Router();
  options.routes(router);
  app.use(router);

  app.use(notFoundHandler);
  app.use(
    problemHandler((error) => {
      if (error.status >= 500) options.logger.error({ err: error.cause ?? error, code: error.code }, 'request failed');
    }),
  );
  return app;
}

function useBodyParsing(app: Express, accepted: string[], bodyLimit: string | undefined): void {
  app.use((req, _res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (BODY_METHODS.has(req.method) && hasBody && !req.is(accepted)) {
      next(
        new AppError({
          status: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
          title: 'Unsupported media type',
          detail: `Content-Type must be one of ${accepted.join(', ')}`,
        }),
      );
      return;
    }
    next();
  });
  app.use(express.json({ limit: bodyLimit ?? '100kb', type: ['application/json', 'application/*+json'], strict: true }));
}

/** A NUL character in the query string or a parsed body is refused before any route reads it (see nul.ts). */
const refuseNul: RequestHandler = (req, _res, next) => {
  const errors: FieldError[] = [];
  for (const part of ['query', 'body'] as const) {
    const value: unknown = req[part];
    const at = typeof value === 'object' && value !== null ? nulAt(value) : null;
    // The path is made of the request's own keys, which may be anything a client sent.
    if (at !== null) errors.push({ in: part, field: scrubCpr(at), message: NUL_MESSAGE });
  }
  next(errors.length > 0 ? validationFailed(errors) : undefined);
};
