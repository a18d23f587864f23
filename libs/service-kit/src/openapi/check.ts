// The contract check: with SPOR_OPENAPI_CHECK=strict (every jest project sets it), an app that
// registers its OpenAPI document checks every exchange against it. The response is held back
// until it is complete, then:
// - a request no operation of the document matches, yet a route served, is a violation;
// - a 2xx answer to a request the document calls invalid (path, query, header, body) is one;
// - a response whose status, content type, required headers or body the document does not
//   allow is one.
// A violation is logged, recorded (contractViolations(), which jest checks after each test
// file) and the response is replaced by a 500 problem+json "contract violation: ...", so the
// test that made the call fails at that call. 4xx answers to invalid requests are fine when the
// document lists them. Off (the default) nothing is loaded and nothing is wrapped.
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import type { OpenApiDocument } from './document.js';

// ajv-formats is CommonJS; its default export arrives wrapped or bare depending on the loader.
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as (ajv: Ajv2020) => void;

export const CONTRACT_CHECK_ENV = 'SPOR_OPENAPI_CHECK';
export type ContractCheckMode = 'off' | 'strict';

export function contractCheckMode(env: NodeJS.ProcessEnv = process.env): ContractCheckMode {
  return env[CONTRACT_CHECK_ENV] === 'strict' ? 'strict' : 'off';
}

export interface ContractViolation {
  service: string;
  method: string;
  /** The request path without its query (ids only, no personal data). */
  path: string;
  status: number;
  problem: string;
}

// On globalThis, so a test file's teardown sees what every app in its process recorded.
const VIOLATIONS = Symbol.for('spor.openapi.violations');
export function contractViolations(): ContractViolation[] {
  const holder = globalThis as unknown as Record<symbol, ContractViolation[] | undefined>;
  return (holder[VIOLATIONS] ??= []);
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
type Node = Record<string, unknown>;

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  /** Literal segments count first, so /plans/overdue beats /plans/{planId}. */
  literals: number;
  pointer: string;
  node: Node;
  parameters: { node: Node; pointer: string }[];
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
const mediaOf = (contentType: unknown) => (typeof contentType === 'string' ? contentType.split(';')[0]!.trim().toLowerCase() : '');
const isJson = (media: string) => media === 'application/json' || media.endsWith('+json');
const isForm = (media: string) => media === 'application/x-www-form-urlencoded';

function mediaMatch(documented: string[], media: string): string | undefined {
  return documented.find((d) => d === media) ?? documented.find((d) => d.endsWith('/*') && media.startsWith(d.slice(0, -1))) ?? documented.find((d) => d === '*/*');
}

function describe(errors: ErrorObject[] | null | undefined, where: string): string {
  return (errors ?? [])
    .slice(0, 5)
    .map((e) => `${where}${e.instancePath.replace(/\//g, '.')} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`)
    .join('; ');
}

export class ContractChecker {
  private readonly operations: Operation[] = [];
  private readonly bodies = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  private readonly params = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, coerceTypes: 'array' });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly id: string;

  constructor(
    readonly service: string,
    private readonly document: OpenApiDocument,
  ) {
    this.id = `urn:spor:openapi:${service}`;
    for (const ajv of [this.bodies, this.params]) {
      addFormats(ajv);
      ajv.addSchema(document as object, this.id);
    }
    for (const [template, item] of Object.entries(document.paths ?? {})) {
      const [pathItem, itemPointer] = this.deref(item, `/paths/${escapePointer(template)}`);
      const shared = ((pathItem.parameters as Node[] | undefined) ?? []).map((p, i) => this.derefParameter(p, `${itemPointer}/parameters/${i}`));
      const names: string[] = [];
      const segments = template.split('/').map((segment) => segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => (names.push(name), '([^/]+)')));
      for (const method of METHODS) {
        const node = pathItem[method] as Node | undefined;
        if (!node) continue;
        const pointer = `${itemPointer}/${method}`;
        const own = ((node.parameters as Node[] | undefined) ?? []).map((p, i) => this.derefParameter(p, `${pointer}/parameters/${i}`));
        const parameters = [...own, ...shared.filter((s) => !own.some((o) => o.node.name === s.node.name && o.node.in === s.node.in))];
        this.operations.push({ method, template, pattern: new RegExp(`^${segments.join('/')}$`), names: [...names], literals: template.split('/').filter((s) => !s.includes('{')).length, pointer, node, parameters });
      }
    }
    this.operations.sort((a, b) => b.literals - a.literals);
  }

  private deref(node: unknown, pointer: string): [Node, string] {
    let current = node as Node;
    let at = pointer;
    for (let hops = 0; typeof current?.$ref === 'string' && hops < 10; hops++) {
      at = (current.$ref as string).slice(1);
      current = at.split('/').slice(1).reduce<unknown>((n, raw) => (n as Node | undefined)?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')], this.document) as Node;
      if (!current) throw new Error(`${this.service} OpenAPI: $ref #${at} does not exist`);
    }
    return [current, at];
  }

  private derefParameter(node: unknown, pointer: string) {
    const [resolved, at] = this.deref(node, pointer);
    return { node: resolved, pointer: at };
  }

  private validator(ajv: Ajv2020, pointer: string, wrapped: boolean): ValidateFunction {
    const key = `${wrapped}:${pointer}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      const ref = { $ref: `${this.id}#${pointer.split('/').map((s) => encodeURIComponent(s)).join('/')}` };
      validate = ajv.compile(wrapped ? { type: 'object', properties: { value: ref } } : ref);
      this.compiled.set(key, validate);
    }
    return validate;
  }

  match(method: string, path: string): { operation: Operation; pathParams: Record<string, string> } | undefined {
    const wanted = method.toLowerCase() === 'head' ? ['head', 'get'] : [method.toLowerCase()];
    for (const name of wanted) {
      for (const operation of this.operations) {
        if (operation.method !== name) continue;
        const found = operation.pattern.exec(path);
        if (!found) continue;
        const pathParams: Record<string, string> = {};
        operation.names.forEach((n, i) => {
          try {
            pathParams[n] = decodeURIComponent(found[i + 1]!);
          } catch {
            pathParams[n] = found[i + 1]!;
          }
        });
        return { operation, pathParams };
      }
    }
    return undefined;
  }

  /** What makes the request invalid according to the document; empty when it is valid. */
  requestProblems(operation: Operation, pathParams: Record<string, string>, req: Request): string[] {
    const problems: string[] = [];
    const query = new URL(req.originalUrl, 'http://x').searchParams;
    for (const { node, pointer } of operation.parameters) {
      const name = String(node.name);
      let raw: unknown;
      if (node.in === 'path') raw = pathParams[name];
      else if (node.in === 'query') raw = query.has(name) ? query.getAll(name) : undefined;
      else if (node.in === 'header') raw = req.headers[name.toLowerCase()];
      else continue;
      if (raw === undefined) {
        if (node.required) problems.push(`${node.in} parameter ${name} is required`);
        continue;
      }
      const schema = node.schema as Node | undefined;
      const [resolved] = schema ? this.deref(schema, '') : [{} as Node];
      const isArray = resolved.type === 'array' || (Array.isArray(resolved.type) && resolved.type.includes('array'));
      const value = Array.isArray(raw) && !isArray && raw.length === 1 ? raw[0] : raw;
      if (!schema) continue;
      const data = { value };
      const validate = this.validator(this.params, `${pointer}/schema`, true);
      if (!validate(data)) problems.push(describe(validate.errors, `${node.in}.${name}`).replace(`${node.in}.${name}.value`, `${node.in}.${name}`));
    }
    const documentedQuery = new Set(operation.parameters.filter((p) => p.node.in === 'query').map((p) => String(p.node.name)));
    for (const name of new Set(query.keys())) if (!documentedQuery.has(name)) problems.push(`query parameter ${name} is not documented`);

    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const requestBody = operation.node.requestBody;
    if (!requestBody) {
      if (hasBody) problems.push('the operation takes no body, but one was sent');
      return problems;
    }
    const [body, bodyPointer] = this.deref(requestBody, `${operation.pointer}/requestBody`);
    if (!hasBody) {
      if (body.required) problems.push('a body is required');
      return problems;
    }
    const content = (body.content ?? {}) as Record<string, Node>;
    const media = mediaOf(req.headers['content-type']);
    const key = mediaMatch(Object.keys(content), media);
    if (!key) {
      problems.push(`body: content type ${media || '(none)'} is not one of ${Object.keys(content).join(', ')}`);
      return problems;
    }
    if ((isJson(media) || isForm(media)) && content[key]!.schema) {
      const validate = this.validator(this.bodies, `${bodyPointer}/content/${escapePointer(key)}/schema`, false);
      if (!validate(req.body)) problems.push(describe(validate.errors, 'body'));
    }
    return problems;
  }

  /** What the document does not allow in the response; undefined when it is allowed. */
  responseProblem(operation: Operation, status: number, res: Response, body: Buffer, head: boolean): string | undefined {
    const where = `${operation.method.toUpperCase()} ${operation.template}`;
    const responses = (operation.node.responses ?? {}) as Record<string, unknown>;
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
    if (!key) return `status ${status} is not documented for ${where}`;
    const [response, pointer] = this.deref(responses[key], `${operation.pointer}/responses/${key}`);
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, unknown>)) {
      const [resolved] = this.deref(header, '');
      if (resolved.required && res.getHeader(name) === undefined) return `header ${name} is missing from the ${status} answer of ${where}`;
    }
    const content = (response.content ?? {}) as Record<string, Node>;
    const documented = Object.keys(content);
    // Redirects carry express's courtesy text; 204 and 304 carry nothing.
    if (status >= 300 && status < 400) return undefined;
    if (documented.length === 0) return body.length > 0 && !head ? `the ${status} answer of ${where} has a body, the document none` : undefined;
    const media = mediaOf(res.getHeader('content-type'));
    const mediaKey = mediaMatch(documented, media);
    if (!mediaKey) return `content type ${media || '(none)'} of the ${status} answer is not one of ${documented.join(', ')} (${where})`;
    if (head || !isJson(media) || !content[mediaKey]!.schema) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return `the ${status} answer of ${where} is not JSON`;
    }
    const validate = this.validator(this.bodies, `${pointer}/content/${escapePointer(mediaKey)}/schema`, false);
    return validate(parsed) ? undefined : `the ${status} answer of ${where} does not match: ${describe(validate.errors, 'body')}`;
  }

  /** The whole verdict on one exchange: undefined when it keeps the contract. */
  verdict(req: Request, res: Response, status: number, body: Buffer): string | undefined {
    const path = req.originalUrl.split('?')[0]!;
    const matched = this.match(req.method, path);
    if (!matched) {
      const route = (req as { route?: { path?: unknown } }).route;
      if (route) return `no operation for ${req.method} ${req.baseUrl}${String(route.path)} in the document`;
      // Nothing served it: a 4xx problem (unknown route, token refused first) is no contract.
      if (status >= 400 && status < 500 && mediaOf(res.getHeader('content-type')) === 'application/problem+json') return undefined;
      return `no operation for ${req.method} ${path} in the document, answered ${status}`;
    }
    if (status >= 200 && status < 300) {
      const problems = this.requestProblems(matched.operation, matched.pathParams, req);
      if (problems.length > 0) return `the request to ${req.method} ${matched.operation.template} does not match the document, yet was answered ${status}: ${problems.join('; ')}`;
    }
    return this.responseProblem(matched.operation, status, res, body, req.method === 'HEAD');
  }
}

type Chunk = string | Buffer | Uint8Array;
const toBuffer = (chunk: Chunk, encoding?: BufferEncoding) => (typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8') : Buffer.from(chunk));

/**
 * Middleware holding every response back until it ends, then letting it through or replacing
 * it with a 500 naming the violation. Works for res.json/res.send, res.redirect and streams
 * piped into the response (CSV exports), since all of them end in write/end.
 */
export function contractCheck(checker: ContractChecker, logger?: Logger): RequestHandler {
  return holdResponses((req, res, body) => {
    try {
      return checker.verdict(req, res, res.statusCode, body);
    } catch (error) {
      return `the check itself failed: ${(error as Error).message}`;
    }
  }, checker.service, logger);
}

/** Holds each response until it ends; `judge` answers a violation (the response is replaced) or undefined. */
export function holdResponses(judge: (req: Request, res: Response, body: Buffer) => string | undefined, service: string, logger?: Logger): RequestHandler {
  return (req, res, next) => {
    const original = { writeHead: res.writeHead, write: res.write, end: res.end, flushHeaders: res.flushHeaders };
    const chunks: Buffer[] = [];
    let ended = false;
    res.flushHeaders = () => undefined;
    res.writeHead = function (this: Response, status: number, ...rest: unknown[]) {
      res.statusCode = status;
      const headers = rest.find((r) => typeof r === 'object' && r !== null);
      if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(String(headers[i]), headers[i + 1] as string);
      else if (headers) for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value as string);
      return res;
    } as typeof res.writeHead;
    res.write = function (chunk: Chunk, encoding?: unknown, callback?: unknown) {
      chunks.push(toBuffer(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : undefined));
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    } as typeof res.write;
    res.end = function (chunk?: unknown, encoding?: unknown, callback?: unknown) {
      if (ended) return res;
      ended = true;
      if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(toBuffer(chunk as Chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : undefined));
      const done = [chunk, encoding, callback].find((a) => typeof a === 'function') as (() => void) | undefined;
      Object.assign(res, original);
      let body = Buffer.concat(chunks);
      const problem = judge(req, res, body);
      if (problem) {
        const violation: ContractViolation = { service, method: req.method, path: req.originalUrl.split('?')[0]!, status: res.statusCode, problem };
        contractViolations().push(violation);
        logger?.error({ contractViolation: violation }, `contract violation: ${problem}`);
        for (const name of res.getHeaderNames()) if (name !== 'x-request-id') res.removeHeader(name);
        body = Buffer.from(JSON.stringify({ type: 'https://spor.dk/problems/contract-violation', title: 'Contract violation', status: 500, code: 'CONTRACT_VIOLATION', detail: `contract violation: ${problem}` }));
        res.statusCode = 500;
        res.setHeader('content-type', 'application/problem+json; charset=utf-8');
        res.setHeader('content-length', body.length);
      }
      return done ? res.end(body, done) : res.end(body);
    } as typeof res.end;
    next();
  };
}
