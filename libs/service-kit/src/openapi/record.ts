// A drafting aid, never used in production: with SPOR_OPENAPI_RECORD=<dir>, every exchange an
// app serves is appended to <dir>/<service>.jsonl (route template, status, content type, JSON
// body), and the app's route table with the zod schemas of `validated` to <dir>/<service>.routes.json.
// scripts/openapi-draft.ts turns them into a first OpenAPI document to edit by hand.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Request, Response } from 'express';
import { z } from 'zod';

export const CONTRACT_RECORD_ENV = 'SPOR_OPENAPI_RECORD';

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean>; stack: { handle: { schemas?: Record<string, z.ZodType> } }[] };
}

function routeTable(req: Request) {
  const stack = ((req.app as unknown as { router?: { stack: Layer[] } }).router?.stack ?? []) as Layer[];
  const nested = stack.flatMap((layer) => {
    const inner = (layer as unknown as { handle?: { stack?: Layer[] } }).handle?.stack;
    return inner ? inner : [layer];
  });
  return nested
    .filter((layer) => layer.route)
    .map(({ route }) => {
      const schemas = route!.stack.map((s) => s.handle.schemas).find(Boolean) ?? {};
      const json = Object.fromEntries(Object.entries(schemas).map(([part, schema]) => {
        try {
          return [part, z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' })];
        } catch (error) {
          return [part, { description: `not representable: ${(error as Error).message}` }];
        }
      }));
      return { path: route!.path, methods: Object.keys(route!.methods), schemas: json };
    });
}

export function recorder(dir: string, service: string) {
  let wroteRoutes = false;
  return (req: Request, res: Response, body: Buffer): undefined => {
    mkdirSync(dir, { recursive: true });
    if (!wroteRoutes) {
      wroteRoutes = true;
      writeFileSync(join(dir, `${service}.routes.json`), JSON.stringify(routeTable(req), null, 1));
    }
    const contentType = String(res.getHeader('content-type') ?? '');
    let json: unknown;
    if (/json/.test(contentType)) {
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
    }
    const route = (req as { route?: { path?: unknown } }).route;
    appendFileSync(join(dir, `${service}.jsonl`), `${JSON.stringify({
      method: req.method,
      route: route ? `${req.baseUrl}${String(route.path)}` : null,
      path: req.originalUrl.split('?')[0],
      query: [...new URL(req.originalUrl, 'http://x').searchParams.keys()],
      requestType: req.headers['content-type'] ?? null,
      requestBody: /json|urlencoded/.test(String(req.headers['content-type'] ?? '')) ? req.body : undefined,
      ifMatch: req.headers['if-match'] !== undefined,
      status: res.statusCode,
      contentType,
      headers: { etag: res.getHeader('etag') ?? null, location: res.getHeader('location') ?? null, 'retry-after': res.getHeader('retry-after') ?? null },
      body: json,
    })}\n`);
    return undefined;
  };
}
