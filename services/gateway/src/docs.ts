// The API documentation, served by the gateway: its own OpenAPI document (the routes it answers
// itself), each service's, fetched from the running service (so it always describes what is
// deployed) with its server set to the gateway's prefix, and a browsable page (Swagger UI,
// served from this process, no CDN).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Router } from 'express';
import { AppError, loadOpenApiDocument, TtlCache } from '@spor/service-kit';
import { UPSTREAM_VARIABLES, type UpstreamName } from './config.js';

const SWAGGER_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png', 'favicon-16x16.png'];

function swaggerUiDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

const page = (services: string[]) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Spor API documentation</title>
<link rel="icon" href="assets/favicon-32x32.png">
<link rel="stylesheet" href="assets/swagger-ui.css">
</head>
<body>
<nav style="font-family:sans-serif;padding:8px 16px">Spor API · services: ${services.map((s) => `<a href="openapi/${s}.json">${s}</a>`).join(' · ')} · events: <a href="asyncapi.json">AsyncAPI</a></nav>
<div id="swagger-ui"></div>
<script src="assets/swagger-ui-bundle.js"></script>
<script src="assets/swagger-ui-standalone-preset.js"></script>
<script src="init.js"></script>
</body>
</html>
`;

// A file of its own, not an inline script: the page keeps helmet's Content-Security-Policy.
const init = (services: string[]) => `window.ui = SwaggerUIBundle({
  urls: ${JSON.stringify(services.map((name) => ({ name, url: `openapi/${name}.json` })))},
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
`;

export interface DocsOptions {
  upstreams: Record<UpstreamName, string>;
  timeoutMs: number;
  /** The AsyncAPI document of every topic, when the contracts library provides one. */
  asyncApi?: () => unknown;
  /** The gateway's own document, listed first under its name. */
  own?: { name: string; openapi: string };
}

export function docsRoutes(router: Router, options: DocsOptions): void {
  const upstreamNames = Object.keys(UPSTREAM_VARIABLES);
  const own = options.own;
  const services = [...(own ? [own.name] : []), ...upstreamNames];
  const cache = new TtlCache<object>(60_000);
  const assets = swaggerUiDir();

  // /docs without the slash would resolve the page's relative links against /.
  router.get('/docs', (req, res, next) => (req.originalUrl.split('?')[0] === '/docs' ? res.redirect(301, '/docs/') : next()));
  router.get('/docs/', (_req, res) => {
    res.type('html').send(page(services));
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(init(services));
  });
  for (const file of SWAGGER_ASSETS) {
    router.get(`/docs/assets/${file}`, (_req, res) => res.sendFile(join(assets, file), { maxAge: '1h' }));
  }
  router.get('/docs/openapi/:file', async (req, res) => {
    const name = (req.params.file ?? '').replace(/\.json$/, '');
    if (own && name === own.name) {
      // Read from this process's own file; its paths are full gateway paths already.
      res.json({ ...loadOpenApiDocument(own.openapi), servers: [{ url: '/', description: 'the gateway' }] });
      return;
    }
    if (!upstreamNames.includes(name)) throw new AppError({ status: 404, code: 'UNKNOWN_SERVICE', title: 'Unknown service', detail: `no service named ${name}; known: ${services.join(', ')}` });
    res.json(await cache.get(name, () => fetchDocument(name as UpstreamName, options)));
  });
  router.get('/docs/asyncapi.json', (_req, res) => {
    if (!options.asyncApi) throw new AppError({ status: 404, code: 'NO_ASYNCAPI', title: 'No AsyncAPI document', detail: 'this build has no AsyncAPI document' });
    res.json(options.asyncApi());
  });
}

async function fetchDocument(name: UpstreamName, options: DocsOptions): Promise<object> {
  const url = `${options.upstreams[name].replace(/\/$/, '')}/openapi.json`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs) });
  } catch {
    throw new AppError({ status: 503, code: 'UPSTREAM_UNAVAILABLE', title: 'The service is unavailable', detail: `${name} cannot be reached for its API document`, headers: { 'Retry-After': '5' } });
  }
  if (!response.ok) throw new AppError({ status: 502, code: 'NO_API_DOCUMENT', title: 'No API document', detail: `${name} answered ${response.status} for its API document` });
  const document = (await response.json()) as Record<string, unknown>;
  // "Try it out" goes through the gateway, where the service lives under its prefix.
  return { ...document, servers: [{ url: `/api/${name}`, description: `${name} through the gateway` }] };
}
