import { afterEach, describe, expect, test } from '@jest/globals';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { createApp, createLogger, createRegistry, contractViolations, loadOpenApiDocument } from '../src/index.js';

const sink = new Writable({ write: (_c, _e, cb) => cb() });
const DOCUMENT = fileURLToPath(new URL('./fixtures/openapi.yaml', import.meta.url));

// The app answers whatever the test asks for, so each kind of violation can be provoked.
function buildApp(answer: { status?: number; body?: unknown; etag?: boolean } = {}) {
  return createApp({
    service: 'check-test',
    logger: createLogger({ service: 'check-test', destination: sink }),
    registry: createRegistry('check-test'),
    openapi: DOCUMENT,
    routes: (router) => {
      router.post('/children/:childId/plans', (_req, res) => {
        if (answer.etag !== false) res.set('etag', '"1"');
        const status = answer.status ?? 201;
        if (status >= 400) res.status(status).type('application/problem+json').send(JSON.stringify(answer.body));
        else res.status(status).json(answer.body ?? { id: 'p1' });
      });
      router.get('/export', (_req, res) => {
        res.type('text/csv');
        Readable.from(['a,b\n', '1,2\n']).pipe(res);
      });
      router.get('/go', (_req, res) => res.redirect(303, '/elsewhere'));
      router.get('/undocumented', (_req, res) => res.json({}));
    },
  });
}

const CHILD = '0b7e0c1a-6a52-4f0e-9b53-2f7a6c1d9e10';
afterEach(() => {
  contractViolations().splice(0);
});

describe('the OpenAPI contract check (strict in every jest project)', () => {
  test('the document is bundled: shared pieces are hoisted into components, shared path items inlined', () => {
    const document = loadOpenApiDocument(DOCUMENT);
    expect(JSON.stringify(document)).not.toMatch(/common\.yaml/);
    expect(document.components?.headers?.ETag).toBeDefined();
    expect(document.components?.schemas?.Problem).toBeDefined();
    expect(document.paths?.['/healthz']?.get).toBeDefined();
  });

  test('an app with a document serves it bundled at /openapi.json (public), for the gateway', async () => {
    const res = await request(buildApp()).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(loadOpenApiDocument(DOCUMENT))));
    expect(contractViolations()).toEqual([]);
  });

  test('an exchange that keeps the contract passes unchanged: JSON, a streamed CSV, a redirect, health', async () => {
    const app = buildApp();
    const created = await request(app).post(`/children/${CHILD}/plans?limit=3`).send({ goal: 'read' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'p1' });
    expect(created.headers.etag).toBe('"1"');
    const csv = await request(app).get('/export');
    expect(csv.status).toBe(200);
    expect(csv.text).toBe('a,b\n1,2\n');
    expect((await request(app).get('/go')).status).toBe(303);
    expect((await request(app).get('/healthz')).status).toBe(200);
    expect(contractViolations()).toEqual([]);
  });

  test('a response body the document does not allow becomes a 500 naming the violation', async () => {
    const res = await request(buildApp({ body: { id: 'p1', cpr: 'x' } })).post(`/children/${CHILD}/plans`).send({ goal: 'read' });
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/contract violation: the 201 answer of POST \/children\/\{childId\}\/plans does not match: body must NOT have additional properties \(cpr\)/);
    expect(res.headers.etag).toBeUndefined();
    expect(contractViolations()).toHaveLength(1);
  });

  test('an undocumented status, a missing required header and an undocumented route are violations', async () => {
    expect((await request(buildApp({ status: 202 })).post(`/children/${CHILD}/plans`).send({ goal: 'read' })).body.detail).toMatch(/status 202 is not documented/);
    expect((await request(buildApp({ etag: false })).post(`/children/${CHILD}/plans`).send({ goal: 'read' })).body.detail).toMatch(/header ETag is missing/);
    expect((await request(buildApp()).get('/undocumented')).body.detail).toMatch(/no operation for GET \/undocumented/);
    expect(contractViolations()).toHaveLength(3);
  });

  test('a 2xx answer to a request the document calls invalid is a violation; a documented 4xx is not', async () => {
    const app = buildApp();
    const bad = await request(app).post(`/children/not-a-uuid/plans?limit=30&extra=1`).send({ goal: '' });
    expect(bad.status).toBe(500);
    expect(bad.body.detail).toMatch(/does not match the document, yet was answered 201/);
    for (const part of ['path.childId', 'query.limit', 'query parameter extra is not documented', 'body.goal']) expect(bad.body.detail).toContain(part);
    const refused = await request(buildApp({ status: 400, body: { type: 'https://spor.dk/problems/validation-failed', title: 'bad', status: 400, code: 'VALIDATION_FAILED' } })).post(`/children/${CHILD}/plans`).send({});
    expect(refused.status).toBe(400);
    expect((await request(app).get('/no/such/route')).status).toBe(404);
    expect(contractViolations()).toHaveLength(1);
  });
});
