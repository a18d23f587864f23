// Passes one request on to a service and its answer back, as streams (bodies are never
// parsed or buffered here). Every failure ends in a problem+json answer within the time-out:
// an unreachable service is 503, a silent one 504, a body over the limit 413.
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { Transform, pipeline } from 'node:stream';
import type { Request, Response } from 'express';
import { AppError, sendProblem } from '@spor/service-kit';

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus what the gateway sets itself. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);
const FORWARDING = new Set(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-prefix', 'x-request-id', 'forwarded']);

const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 256 }), https: new https.Agent({ keepAlive: true, maxSockets: 256 }) };

export interface ForwardTarget {
  /** The service's base URL. */
  base: string;
  /** The path (already normalised) and query to ask it for. */
  pathAndQuery: string;
  /** The public prefix the service sits under, e.g. /api/consent. */
  prefix: string;
  requestId: string;
  timeoutMs: number;
  bodyLimitBytes: number;
}

export function bodyTooLarge(limit: number): AppError {
  return new AppError({ status: 413, code: 'BODY_TOO_LARGE', title: 'The body is too large', detail: `body: larger than the gateway's limit of ${limit} bytes` });
}

export function upstreamUnavailable(service: string): AppError {
  return new AppError({
    status: 503,
    code: 'UPSTREAM_UNAVAILABLE',
    title: 'The service is unavailable',
    detail: `${service} cannot be reached right now; try again shortly`,
    headers: { 'Retry-After': '5' },
  });
}

export function upstreamTimeout(service: string, timeoutMs: number): AppError {
  return new AppError({ status: 504, code: 'UPSTREAM_TIMEOUT', title: 'The service did not answer in time', detail: `${service} gave no answer within ${timeoutMs} ms` });
}

function requestHeaders(req: Request, target: ForwardTarget, upstreamHost: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!HOP_BY_HOP.has(name) && !FORWARDING.has(name) && value !== undefined) headers[name] = value;
  }
  // A chunked body stays chunked upstream; node sets transfer-encoding itself when there is no length.
  const priorFor = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = [typeof priorFor === 'string' && req.app.get('trust proxy') ? priorFor : undefined, req.socket.remoteAddress].filter(Boolean).join(', ');
  headers['x-forwarded-proto'] = req.protocol;
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  headers['x-forwarded-prefix'] = target.prefix;
  headers['x-request-id'] = target.requestId;
  headers.host = upstreamHost;
  return headers;
}

function copyResponseHeaders(from: IncomingMessage, res: Response): void {
  for (const [name, value] of Object.entries(from.headers)) {
    if (HOP_BY_HOP.has(name) || value === undefined) continue;
    res.setHeader(name, value);
  }
}

/** Counts the bytes of a body and fails once they pass the limit. */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > limit ? bodyTooLarge(limit) : null, chunk);
    },
  });
}

/** Resolves when the answer has been passed on (or the client is gone); never rejects. */
export function forward(service: string, req: Request, res: Response, target: ForwardTarget): Promise<void> {
  return new Promise((resolve) => {
    const url = new URL(target.base);
    url.pathname = `${url.pathname.replace(/\/$/, '')}${target.pathAndQuery.split('?')[0]}`;
    url.search = target.pathAndQuery.includes('?') ? target.pathAndQuery.slice(target.pathAndQuery.indexOf('?')) : '';
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve();
    };
    const fail = (error: AppError) => {
      upstream.destroy();
      if (!res.headersSent) sendProblem(res, error);
      else res.destroy();
      finish();
    };

    const upstream = client.request(url, { method: req.method, headers: requestHeaders(req, target, url.host), agent: client === https ? agents.https : agents.http });
    // The whole answer must start within the time-out; once it streams, a silence as long fails it too.
    const deadline = setTimeout(() => fail(upstreamTimeout(service, target.timeoutMs)), target.timeoutMs);
    upstream.setTimeout(target.timeoutMs, () => fail(upstreamTimeout(service, target.timeoutMs)));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      // A reset after the request was sent still means the service is not there to answer.
      fail(upstreamUnavailable(service));
      void error;
    });
    upstream.on('response', (answer) => {
      clearTimeout(deadline);
      res.status(answer.statusCode ?? 502);
      copyResponseHeaders(answer, res);
      pipeline(answer, res, () => finish());
    });
    // The client hanging up ends the upstream call too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
      finish();
    });

    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > target.bodyLimitBytes) {
      fail(bodyTooLarge(target.bodyLimitBytes));
      return;
    }
    pipeline(req, byteLimit(target.bodyLimitBytes), upstream, (error) => {
      if (error && !settled) fail(error instanceof AppError ? error : upstreamUnavailable(service));
    });
  });
}
