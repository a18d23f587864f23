// Wires the gateway together: CORS, rate limits per client address and per user, the token
// check for everything not on the public list, and the pass-through to each service.
import { fileURLToPath } from 'node:url';
import type { Request, RequestHandler } from 'express';
import { AppError, createApp, currentRequestId, notFound, prepareService, type Logger, type ServiceRuntime } from '@spor/service-kit';
import { authenticateRequest, verifierFromConfig, type TokenVerifier } from '@spor/auth';
import { Counter } from 'prom-client';
import { asyncApiDocument } from '@spor/contracts';
import { gatewayConfigSchema, upstreamsOf, UPSTREAM_VARIABLES, type GatewayConfig, type UpstreamName } from './config.js';
import { exemptFromOwnContract } from './contract.js';
import { cors } from './cors.js';
import { docsRoutes } from './docs.js';
import { forward } from './proxy.js';
import { childDataRoutes } from './child-data.js';
import { RateLimiter } from './rate-limit.js';
import { isInternalPath, isLongRunning, isPublicRoute, normalisePath } from './routes-policy.js';

/** The gateway's own contract: the routes it answers itself (src/contract.ts). */
const OWN = { openapi: fileURLToPath(new URL('../openapi.yaml', import.meta.url)) };
export const SERVICE = 'gateway';

export interface RunningGateway {
  url: string;
  runtime: ServiceRuntime;
  config: GatewayConfig;
}

export interface GatewayOptions {
  logger?: Logger;
  verifier?: TokenVerifier;
  /** The AsyncAPI document to serve at /docs/asyncapi.json (default: the one in @spor/contracts). */
  asyncApi?: () => unknown;
}

interface Routed {
  service: UpstreamName;
  path: string;
  query: string;
}

const API_PATH = /^\/api\/([A-Za-z0-9-]+)(\/[^?]*)?(\?.*)?$/;

function routeOf(req: Request): Routed {
  const match = API_PATH.exec(req.originalUrl);
  const service = match?.[1]?.toLowerCase();
  if (!match || !service || !Object.hasOwn(UPSTREAM_VARIABLES, service)) throw notFound(`service ${match?.[1] ?? ''}; known: ${Object.keys(UPSTREAM_VARIABLES).join(', ')}`);
  return { service: service as UpstreamName, path: normalisePath(match[2] ?? '/'), query: match[3] ?? '' };
}

function tooManyRequests(retryAfterSeconds: number, per: string): AppError {
  return new AppError({
    status: 429,
    code: 'RATE_LIMITED',
    title: 'Too many requests',
    detail: `the limit of requests per ${per} is used up; retry after ${retryAfterSeconds} s`,
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

/** The document never changes while the process runs: read it on first use only. */
function once<T>(load: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: load() }).v;
}

export async function startGateway(environment: NodeJS.ProcessEnv, options: GatewayOptions = {}): Promise<RunningGateway> {
  const { config, log, runtime, metrics } = prepareService(SERVICE, gatewayConfigSchema, environment, options.logger);
  const upstreams = upstreamsOf(config);
  const verifier = options.verifier ?? verifierFromConfig(config);
  const byIp = new RateLimiter(config.RATE_LIMIT_IP_PER_MINUTE);
  const byUser = new RateLimiter(config.RATE_LIMIT_USER_PER_MINUTE);
  runtime.every('rate-limit-sweep', 60_000, async () => {
    byIp.sweep();
    byUser.sweep();
  });
  const limited = new Counter({ name: 'gateway_rate_limited_total', help: 'Requests answered 429, by the limit that was hit', labelNames: ['limit'], registers: [metrics] });

  /** The rate limit per address, and for anything not public the token and the limit per user. */
  const admit = async (req: Request, publicRoute: boolean) => {
    const ip = byIp.take(req.ip ?? 'unknown');
    if (!ip.allowed) {
      limited.inc({ limit: 'ip' });
      throw tooManyRequests(ip.retryAfterSeconds, 'minute from this address');
    }
    if (!publicRoute) {
      const principal = await authenticateRequest(verifier, req);
      const user = byUser.take(principal.subject);
      if (!user.allowed) {
        limited.inc({ limit: 'user' });
        throw tooManyRequests(user.retryAfterSeconds, 'minute for this user');
      }
    }
  };

  const api: RequestHandler = async (req, res) => {
    const routed = routeOf(req);
    if (isInternalPath(routed.path)) throw notFound(`route ${req.method} ${routed.path} of ${routed.service}`);
    await admit(req, isPublicRoute(routed.service, req.method, routed.path));
    await forward(routed.service, req, res, {
      base: upstreams[routed.service],
      pathAndQuery: `${routed.path}${routed.query}`,
      prefix: `/api/${routed.service}`,
      requestId: currentRequestId() ?? '',
      timeoutMs: isLongRunning(routed.service, req.method, routed.path) ? config.UPSTREAM_IMPORT_TIMEOUT_MS : config.UPSTREAM_TIMEOUT_MS,
      bodyLimitBytes: config.GATEWAY_BODY_LIMIT_BYTES,
    });
  };

  const app = createApp({
    service: SERVICE,
    logger: log,
    registry: metrics,
    isDraining: () => runtime.isDraining,
    trustProxy: config.TRUST_PROXY_HOPS,
    parseBodies: false,
    // The gateway's own routes only, not the proxied ones (each service's document covers those).
    openapi: OWN.openapi,
    openapiExempt: exemptFromOwnContract,
    routes: (router) => {
      router.use(cors(config.CORS_ORIGINS));
      docsRoutes(router, { upstreams, timeoutMs: config.UPSTREAM_TIMEOUT_MS, asyncApi: options.asyncApi ?? once(asyncApiDocument), own: { name: SERVICE, openapi: OWN.openapi } });
      // Before /api/<service>: "children" names no service.
      childDataRoutes(router, { upstreams, timeoutMs: config.UPSTREAM_TIMEOUT_MS, admit: (req) => admit(req, false) });
      router.use('/api', api);
    },
  });
  const server = await runtime.listen(app, config.PORT);
  const { port } = server.address() as { port: number };
  log.info({ upstreams: Object.keys(upstreams) }, 'gateway routing /api/<service>');
  return { url: `http://127.0.0.1:${port}`, runtime, config };
}
