// Drafts a service's OpenAPI document from what its tests did: run the tests with
// SPOR_OPENAPI_RECORD=<dir> (libs/service-kit/src/openapi/record.ts), then
//   tsx test/tools/openapi-draft.ts <dir> <service> > services/<service>/openapi.yaml
// Request parts come from the routes' zod schemas, responses from the answers observed. The
// draft is a start: edit it by hand (descriptions, enums, public routes), then let the strict
// check and the linter judge it.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

type Schema = Record<string, unknown>;
interface Route { path: string | string[]; methods: string[]; schemas: { params?: Schema; query?: Schema; body?: Schema } }
interface Exchange { method: string; route: string | null; status: number; contentType: string; body?: unknown; ifMatch: boolean; headers: Record<string, unknown>; requestType: string | null }

const [dir, service] = process.argv.slice(2) as [string, string];
const routes = JSON.parse(readFileSync(join(dir, `${service}.routes.json`), 'utf8')) as Route[];
const exchanges = existsSync(join(dir, `${service}.jsonl`))
  ? readFileSync(join(dir, `${service}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Exchange)
  : [];

const COMMON = '../../libs/contracts/openapi/common.yaml';
const RESPONSES: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 412: 'PreconditionFailed', 413: 'PayloadTooLarge', 415: 'UnsupportedMediaType', 422: 'Unprocessable', 500: 'InternalError', 503: 'ServiceUnavailable' };
const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content', 302: 'Found: the browser goes to Location', 303: 'See other: the browser goes to Location', 304: 'Not modified' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function infer(values: unknown[]): Schema {
  const kinds = new Set(values.map((v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v)));
  if (kinds.has('integer') && kinds.has('number')) kinds.delete('integer');
  const schema: Schema = {};
  const types = [...kinds];
  schema.type = types.length === 1 ? types[0] : types;
  if (kinds.has('object')) {
    const objects = values.filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v));
    const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
    schema.properties = Object.fromEntries(keys.map((k) => [k, infer(objects.filter((o) => k in o).map((o) => o[k]))]));
    const required = keys.filter((k) => objects.every((o) => k in o));
    if (required.length) schema.required = required;
  }
  if (kinds.has('array')) schema.items = infer(values.filter(Array.isArray).flat());
  if (kinds.size === 1 && kinds.has('string')) {
    const strings = values as string[];
    if (strings.every((s) => UUID.test(s))) schema.format = 'uuid';
    else if (strings.every((s) => DATETIME.test(s))) schema.format = 'date-time';
    else if (strings.every((s) => DATE.test(s))) schema.format = 'date';
  }
  if (values.length === 0) return {};
  return schema;
}

const clean = (schema: Schema | undefined): Schema | undefined => {
  if (!schema) return undefined;
  const { $schema: _drop, ...rest } = schema;
  return rest;
};

const template = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const operationId = (method: string, path: string) =>
  method + path.split('/').filter(Boolean).map((s) => s.replace(/[{}.:]/g, '').replace(/(^|[-_])([a-z])/g, (_m, _p, c: string) => c.toUpperCase())).map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('');

const paths: Record<string, Record<string, unknown>> = {};
for (const route of routes) {
  for (const raw of Array.isArray(route.path) ? route.path : [route.path]) {
    if (['/healthz', '/readyz', '/metrics', '/openapi.json'].includes(raw)) {
      paths[raw] = { $ref: `${COMMON}#/paths/${raw.replace(/\//g, '~1')}` };
      continue;
    }
    const observed = exchanges.filter((e) => e.route === raw);
    const methods = route.methods.includes('_all') ? [...new Set(observed.map((e) => e.method.toLowerCase()))] : route.methods;
    for (const method of methods) {
      const mine = observed.filter((e) => e.method.toLowerCase() === method);
      const parameters: Schema[] = [];
      const params = clean(route.schemas.params) as { properties?: Record<string, Schema> } | undefined;
      for (const name of raw.match(/:([A-Za-z0-9_]+)/g)?.map((m) => m.slice(1)) ?? []) {
        parameters.push({ name, in: 'path', required: true, schema: params?.properties?.[name] ?? { type: 'string' } });
      }
      const query = clean(route.schemas.query) as { properties?: Record<string, Schema>; required?: string[] } | undefined;
      for (const [name, schema] of Object.entries(query?.properties ?? {})) {
        parameters.push({ name, in: 'query', required: query?.required?.includes(name) ?? false, schema });
      }
      if (mine.some((e) => e.ifMatch) || mine.some((e) => e.headers.etag && ['put', 'post', 'patch', 'delete'].includes(method))) parameters.push({ $ref: `${COMMON}#/components/parameters/IfMatch` });
      const operation: Schema = { operationId: operationId(method, template(raw)), tags: [service], summary: `${method.toUpperCase()} ${template(raw)}` };
      if (parameters.length) operation.parameters = parameters;
      const body = clean(route.schemas.body);
      const bodyTypes = [...new Set(mine.map((e) => e.requestType?.split(';')[0]).filter(Boolean))] as string[];
      if (body || bodyTypes.length) {
        const content = Object.fromEntries((bodyTypes.length ? bodyTypes : ['application/json']).map((t) => [t, { schema: t.includes('json') ? (body ?? {}) : { type: 'string' } }]));
        operation.requestBody = { required: true, content };
      }
      const responses: Record<string, unknown> = {};
      const statuses = [...new Set(mine.map((e) => e.status))].sort();
      for (const status of statuses) {
        const answers = mine.filter((e) => e.status === status);
        const type = answers[0]!.contentType.split(';')[0]!;
        if (type === 'application/problem+json' && RESPONSES[status]) {
          responses[status] = { $ref: `${COMMON}#/components/responses/${RESPONSES[status]}` };
          continue;
        }
        const response: Schema = { description: REASONS[status] ?? `${status}` };
        const headers: Schema = {};
        if (answers.every((e) => e.headers.etag)) headers.ETag = { $ref: `${COMMON}#/components/headers/ETag` };
        if (status >= 300 && status < 400) headers.Location = { $ref: `${COMMON}#/components/headers/Location` };
        if (Object.keys(headers).length) response.headers = headers;
        if (status !== 204 && !(status >= 300 && status < 400) && type) {
          response.content = { [type]: { schema: type.includes('json') ? infer(answers.map((e) => e.body)) : { type: 'string' } } };
        }
        responses[status] = response;
      }
      if (!responses['401'] && raw !== '/.well-known/jwks.json') responses['401'] = { $ref: `${COMMON}#/components/responses/Unauthorized` };
      if ((params || query || body) && !responses['400']) responses['400'] = { $ref: `${COMMON}#/components/responses/BadRequest` };
      responses['500'] = { $ref: `${COMMON}#/components/responses/InternalError` };
      if (!Object.keys(responses).some((s) => s.startsWith('2') || s.startsWith('3'))) responses['200'] = { description: 'NOT OBSERVED IN TESTS: describe by hand' };
      operation.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
      (paths[template(raw)] ??= {})[method] = operation;
    }
  }
}

const document = {
  openapi: '3.1.0',
  info: { title: `Spor ${service}`, version: '1.0.0', license: { name: 'EUPL-1.2', identifier: 'EUPL-1.2' }, description: `The HTTP API of ${service}.` },
  servers: [{ url: `/api/${service}`, description: 'through the gateway' }],
  security: [{ bearer: [] }],
  tags: [{ name: service, description: `What ${service} serves.` }, { name: 'health', description: 'Liveness, readiness and metrics.' }],
  paths,
  components: { securitySchemes: { bearer: { $ref: `${COMMON}#/components/securitySchemes/bearer` } } },
};
process.stdout.write(stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }));
