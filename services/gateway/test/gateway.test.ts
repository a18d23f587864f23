// The gateway in front of a running identity service (real tokens, real routes) and of
// services that are down or silent: what a web client meets at the edge.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import request from 'supertest';
import { memoryLogger, uniqueName } from '@spor/testkit';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, startTestIdentity } from '../../identity/test/support.js';
import type { RunningGateway } from '../src/service.js';
import { startTestGateway } from './support.js';

let identity: RunningIdentity;
let gateway: RunningGateway;
let admin: string;
let educator: string;
let silent: Server;
let echo: Server;
let echoed: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
const logs = memoryLogger();
const TIMEOUT_MS = 1_500;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
}

beforeAll(async () => {
  identity = await startTestIdentity(logs.logger);
  admin = await bearer(identity, '516');
  educator = await bearer(identity, '516', 'educator');
  // A service that takes the connection and never answers.
  silent = http.createServer(() => undefined);
  // A service that answers with what reached it, to see what the gateway forwards.
  echo = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      echoed.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'a=b; Path=/' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  gateway = await startTestGateway({
    identityUrl: identity.url,
    tokenIssuer: identity.config.TOKEN_ISSUER,
    upstreams: { 'action-plans': await listen(silent), consent: await listen(echo) },
    env: { UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS), GATEWAY_BODY_LIMIT_BYTES: '4096', CORS_ORIGINS: 'https://spor.kommune.test', RATE_LIMIT_USER_PER_MINUTE: '1000' },
    logger: logs.logger,
  });
});

afterAll(async () => {
  if (process.env.DEBUG_GATEWAY_TEST) console.error(logs.text());
  await gateway?.runtime.shutdown();
  await identity?.runtime.shutdown();
  silent?.closeAllConnections();
  await new Promise((r) => silent?.close(r));
  await new Promise((r) => echo?.close(r));
});

describe('tokens and roles', () => {
  test('a call without a token is answered 401 at the gateway and never reaches the service', async () => {
    echoed = [];
    const res = await request(gateway.url).get('/api/consent/consents');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 401, code: 'TOKEN_MISSING' });
    expect(echoed).toHaveLength(0);
  });

  test('a token that does not verify is answered 401', async () => {
    const res = await request(gateway.url).get('/api/consent/consents').set('authorization', `${educator}x`);
    expect(res.status).toBe(401);
  });

  test('a valid token passes, and the service refuses a wrong role with 403', async () => {
    const res = await request(gateway.url).post('/api/identity/admin/org-units').set('authorization', educator).send({ kind: 'municipality', name: 'K', parentId: null, municipalityCode: '516' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'ROLE_REQUIRED' });
  });

  test('the right role reaches the service, bodies included, and gets its answer', async () => {
    const created = await request(gateway.url).post('/api/identity/admin/org-units').set('authorization', admin).send({ kind: 'municipality', name: uniqueName('K'), parentId: null, municipalityCode: '516' });
    expect(created.status).toBe(201);
    const read = await request(gateway.url).get(`/api/identity/admin/org-units/${created.body.id}`).set('authorization', admin);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: created.body.id, kind: 'municipality' });
  });

  test('login routes are public: they pass without a token', async () => {
    const res = await request(gateway.url).get('/api/identity/auth/citizen/login');
    // identity itself answers (no IdP configured in this test), not the gateway's 401.
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('LOGIN_NOT_CONFIGURED');
    expect((await request(gateway.url).get('/api/identity/.well-known/jwks.json')).body.keys.length).toBeGreaterThan(0);
  });

  test('internal and operational routes of a service are not reachable from outside, however the path is spelt', async () => {
    for (const path of ['/api/identity/internal/person-lookups', '/api/identity/INTERNAL/person-lookups', '/api/identity/auth/../internal/person-lookups', '/api/identity/auth/%2e%2e/internal/x', '/api/identity/metrics']) {
      const res = await request(gateway.url).post(path).set('authorization', admin).send({});
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });

  test.each(['payroll', 'constructor', 'toString', '__proto__'])('an unknown service (%s) is 404 naming the known ones, also for a name every object has', async (name) => {
    for (const auth of [admin, undefined]) {
      const res = await (auth ? request(gateway.url).get(`/api/${name}/x`).set('authorization', auth) : request(gateway.url).get(`/api/${name}/x`));
      expect(res.status).toBe(404);
      expect(res.body.detail).toContain('identity');
    }
  });
});

describe('what the gateway forwards', () => {
  test('the request id is taken from the client, passed to the service and returned', async () => {
    echoed = [];
    const res = await request(gateway.url).get('/api/consent/consents?childId=abc').set('authorization', educator).set('x-request-id', 'client-chosen-id-1');
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('client-chosen-id-1');
    expect(echoed[0]).toMatchObject({ url: '/consents?childId=abc', headers: { 'x-request-id': 'client-chosen-id-1', 'x-forwarded-prefix': '/api/consent', authorization: educator } });
    expect(res.headers['set-cookie']).toEqual(['a=b; Path=/']);
  });

  test('a request id is created when the client sends none (or a malformed one)', async () => {
    echoed = [];
    const res = await request(gateway.url).get('/api/consent/consents').set('authorization', educator).set('x-request-id', 'bad id with spaces');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(echoed[0]?.headers['x-request-id']).toBe(res.headers['x-request-id']);
  });

  test('security headers are set on every answer', async () => {
    const res = await request(gateway.url).get('/api/consent/consents').set('authorization', educator);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  test('a body over the limit is refused with 413 before it reaches the service, whether its length is declared or streamed', async () => {
    echoed = [];
    const big = JSON.stringify({ text: 'x'.repeat(5000) });
    const declared = await request(gateway.url).post('/api/consent/consents').set('authorization', educator).set('content-type', 'application/json').send(big);
    expect(declared.status).toBe(413);
    expect(declared.body).toMatchObject({ code: 'BODY_TOO_LARGE' });

    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${gateway.url}/api/consent/consents`, { method: 'POST', headers: { authorization: educator, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (let i = 0; i < 5; i++) req.write('x'.repeat(1000));
      req.end();
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body)).toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(echoed.filter((e) => e.body.length > 4096)).toHaveLength(0);
  });
});

describe('when a service is down or slow', () => {
  test('a service that cannot be reached is answered 503 at once, well within the time-out', async () => {
    const started = Date.now();
    const res = await request(gateway.url).get('/api/assessments/instruments').set('authorization', educator);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(res.headers['retry-after']).toBe('5');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
  });

  test('a service that does not answer is answered 504 after the time-out, never a hanging request', async () => {
    const started = Date.now();
    const res = await request(gateway.url).get('/api/action-plans/plans').set('authorization', educator);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 2_000);
  });
});

describe('CORS', () => {
  test('an allowed origin gets CORS headers and its preflight is answered', async () => {
    const preflight = await request(gateway.url).options('/api/consent/consents').set('origin', 'https://spor.kommune.test').set('access-control-request-method', 'POST');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://spor.kommune.test');
    expect(preflight.headers['access-control-allow-headers']).toContain('Authorization');
    const res = await request(gateway.url).get('/api/consent/consents').set('authorization', educator).set('origin', 'https://spor.kommune.test');
    expect(res.headers['access-control-allow-origin']).toBe('https://spor.kommune.test');
  });

  test('another origin gets no CORS headers, and its preflight is refused naming the origin', async () => {
    const preflight = await request(gateway.url).options('/api/consent/consents').set('origin', 'https://evil.example').set('access-control-request-method', 'POST');
    expect(preflight.status).toBe(403);
    expect(preflight.body.detail).toContain('https://evil.example');
    const res = await request(gateway.url).get('/api/consent/consents').set('authorization', educator).set('origin', 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('rate limits', () => {
  let limited: RunningGateway;
  beforeAll(async () => {
    limited = await startTestGateway({ identityUrl: identity.url, tokenIssuer: identity.config.TOKEN_ISSUER, env: { RATE_LIMIT_USER_PER_MINUTE: '3', RATE_LIMIT_IP_PER_MINUTE: '7' } });
  });
  afterAll(() => limited?.runtime.shutdown());

  test('a user over the limit gets 429 with Retry-After; another user is not affected; then the address limit applies to all', async () => {
    const other = await bearer(identity, '516', 'educator', { personId: '0b6f2c9e-1d2a-4b3c-8d4e-5f6a7b8c9d0e' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(limited.url).get('/api/identity/admin/org-units/x').set('authorization', educator)).status);
    expect(statuses.slice(0, 3)).not.toContain(429);
    const refused = await request(limited.url).get('/api/identity/admin/org-units/x').set('authorization', educator);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(20);

    expect((await request(limited.url).get('/api/identity/admin/org-units/x').set('authorization', other)).status).not.toBe(429);
    // 6 requests from this address so far; the 8th within the minute is over the address limit, token or not.
    expect((await request(limited.url).get('/api/identity/.well-known/jwks.json')).status).toBe(200);
    const byAddress = await request(limited.url).get('/api/identity/.well-known/jwks.json');
    expect(byAddress.status).toBe(429);
    expect(byAddress.body.detail).toContain('address');
  });
});

describe('documentation', () => {
  test('the browsable page and its assets are served from the gateway', async () => {
    const page = await request(gateway.url).get('/docs/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger-ui');
    for (const name of ['identity', 'assessments', 'action-plans', 'consent', 'transitions', 'reporting']) expect(page.text).toContain(`openapi/${name}.json`);
    expect((await request(gateway.url).get('/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
    expect((await request(gateway.url).get('/docs/init.js')).text).toContain('SwaggerUIBundle');
  });

  test('the AsyncAPI document of every topic is served, with the event schemas inlined', async () => {
    const res = await request(gateway.url).get('/docs/asyncapi.json');
    expect(res.status).toBe(200);
    expect(res.body.asyncapi).toMatch(/^3\./);
    expect(Object.keys(res.body.channels).length).toBeGreaterThan(5);
    const fileRefs = JSON.stringify(res.body).match(/"\$ref":"[^"#][^"]*"/g) ?? [];
    expect(fileRefs).toEqual([]);
  });

  test("a running service's OpenAPI document is served with the gateway as its server", async () => {
    const res = await request(gateway.url).get('/docs/openapi/identity.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\.1/);
    expect(res.body.servers).toEqual([expect.objectContaining({ url: '/api/identity' })]);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/admin/org-units', '/auth/token']));
  });

  test("a service that is down makes its document 503, and an unknown one is 404", async () => {
    expect((await request(gateway.url).get('/docs/openapi/assessments.json')).status).toBe(503);
    const unknown = await request(gateway.url).get('/docs/openapi/payroll.json');
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain('known: gateway, identity');
  });

  test("the gateway's own document is listed on the page first and served, with the routes it answers itself and none it passes on", async () => {
    const page = await request(gateway.url).get('/docs/');
    expect(page.text).toContain('<a href="openapi/gateway.json">gateway</a>');
    const init = (await request(gateway.url).get('/docs/init.js')).text;
    expect(init).toContain('{"name":"gateway","url":"openapi/gateway.json"}');
    expect(init.indexOf('"gateway"')).toBeLessThan(init.indexOf('"identity"'));

    const res = await request(gateway.url).get('/docs/openapi/gateway.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\.1\./);
    expect(res.body.info.title).toBe('Spor gateway');
    expect(res.body.servers).toEqual([expect.objectContaining({ url: '/' })]);
    const paths = Object.keys(res.body.paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/children/{childId}/insight', '/api/children/{childId}/export', '/docs/openapi/{file}', '/docs/asyncapi.json', '/healthz', '/readyz', '/openapi.json']));
    // The proxied routes belong to each service's document, never to the gateway's.
    expect(paths.filter((p) => p.startsWith('/api/') && !p.startsWith('/api/children/'))).toEqual([]);
    expect(JSON.stringify(res.body)).not.toMatch(/"\$ref":"[^#]/);

    const own = await request(gateway.url).get('/openapi.json');
    expect(own.status).toBe(200);
    expect(Object.keys(own.body.paths)).toEqual(paths);
  });
});

describe("the gateway's own child-data routes at the edge", () => {
  // identity runs; every other service that keeps records about children is down.
  let edge: RunningGateway;
  const child = '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
  beforeAll(async () => {
    edge = await startTestGateway({ identityUrl: identity.url, tokenIssuer: identity.config.TOKEN_ISSUER, env: { RATE_LIMIT_USER_PER_MINUTE: '2' } });
  });
  afterAll(() => edge?.runtime.shutdown());

  test('no token is 401, a child id that is no uuid 400, services that cannot be reached 503 with Retry-After, and a user over the limit 429', async () => {
    const anonymous = await request(edge.url).get(`/api/children/${child}/insight`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);

    const invalid = await request(edge.url).get('/api/children/not-a-uuid/export').set('authorization', admin);
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toEqual([expect.objectContaining({ in: 'params', field: 'childId' })]);

    const down = await request(edge.url).get(`/api/children/${child}/insight`).set('authorization', admin);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(down.headers['retry-after']).toBe('5');

    // Two requests of this user so far, the limit: the third within the minute is refused.
    const limited = await request(edge.url).get(`/api/children/${child}/export`).set('authorization', admin);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
