// Prometheus metrics: one registry per service with process defaults and HTTP timings.
import type { RequestHandler, Request } from 'express';
import { Registry, collectDefaultMetrics, Histogram } from 'prom-client';

export { Registry } from 'prom-client';

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

function routeLabel(req: Request): string {
  // The route template, never the concrete path: ids in labels would explode cardinality
  // and could carry personal data.
  const route = req.route?.path;
  return typeof route === 'string' ? `${req.baseUrl}${route}` : 'unmatched';
}

export function httpMetrics(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => end({ method: req.method, route: routeLabel(req), status: String(res.statusCode) }));
    next();
  };
}
