// CORS for the browser clients on the allow-list; everyone else gets no CORS headers, and a
// preflight from an origin not on the list is refused outright so the mistake is visible.
import type { RequestHandler } from 'express';
import { AppError } from '@spor/service-kit';

const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE';
const ALLOWED_HEADERS = 'Authorization, Content-Type, If-Match, X-Request-Id, X-Correlation-Id';
const EXPOSED_HEADERS = 'ETag, Location, Retry-After, X-Request-Id';

export function cors(allowed: readonly string[]): RequestHandler {
  const origins = new Set(allowed);
  return (req, res, next) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    if (!origin) return next();
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!origins.has(origin)) {
      if (preflight) throw new AppError({ status: 403, code: 'CORS_ORIGIN_NOT_ALLOWED', title: 'Origin not allowed', detail: `origin ${origin} is not on the gateway's CORS allow-list` });
      return next();
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (!preflight) return next();
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}
