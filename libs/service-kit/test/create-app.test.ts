import { describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { z } from 'zod';
import { createApp, createLogger, createRegistry, readCsv, ruleViolation, validated, type ReadinessCheck } from '../src/index.js';
import { Writable } from 'node:stream';

const sink = new Writable({ write: (_c, _e, cb) => cb() });

function buildApp(options: { readiness?: ReadinessCheck[]; draining?: () => boolean } = {}) {
  const registry = createRegistry('test');
  return createApp({
    service: 'test',
    logger: createLogger({ service: 'test', destination: sink }),
    registry,
    readiness: options.readiness,
    isDraining: options.draining,
    bodyLimit: '1kb',
    routes: (router) => {
      router.post(
        '/children/:childId/plans',
        validated(
          {
            params: z.object({ childId: z.uuid() }),
            query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
            body: z.strictObject({
              goals: z.array(z.strictObject({ text: z.string().min(1), signs: z.array(z.string().min(1)).min(1) })).min(1),
              evaluateOn: z.iso.date(),
            }),
          },
          ({ params, body }, _req, res) => {
            res.status(201).json({ childId: params.childId, goals: body.goals.length });
          },
        ),
      );
      router.post('/escalate', () => {
        throw ruleViolation({ code: 'ESCALATION_REQUIRES_EVALUATED_PRIOR_EFFORTS', rule: 'R5', detail: 'no evaluated anticipatory effort' });
      });
      router.get('/boom', () => {
        throw new Error('connection to db-7.internal:27017 lost at Socket.read');
      });
    },
  });
}

const childId = '3f1c2a60-9f7e-4c1e-8a3b-2d6f0c9b1e11';

describe('createApp', () => {
  test('when the body is valid, then the handler answers', async () => {
    const res = await request(buildApp())
      .post(`/children/${childId}/plans`)
      .send({ goals: [{ text: 'Leger med andre', signs: ['Tager initiativ'] }], evaluateOn: '2027-01-15' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ childId, goals: 1 });
  });

  test('when body, query and path are bad, then one 400 problem names every field', async () => {
    const res = await request(buildApp())
      .post('/children/not-a-uuid/plans?dryRun=maybe')
      .send({ goals: [{ text: '', signs: [] }], evaluateOn: '15/01/2027', extra: 1 });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', title: expect.any(String) });
    const fields = (res.body.errors as { in: string; field: string }[]).map((e) => `${e.in}:${e.field}`).sort();
    expect(fields).toEqual(['body:', 'body:evaluateOn', 'body:goals.0.signs', 'body:goals.0.text', 'params:childId', 'query:dryRun']);
    expect(res.body.detail).toContain('body.goals.0.signs');
  });

  test('when a text or a key of the body or the query holds a NUL character, then 400 names where (no store here can keep one)', async () => {
    const res = await request(buildApp()).post(`/children/${childId}/plans`).send({ goals: [{ text: 'ok', signs: ['ok', 'a\u0000b'] }], evaluateOn: '2027-01-15' });
    expect([res.status, res.body.code, res.body.errors]).toEqual([400, 'VALIDATION_FAILED', [{ in: 'body', field: 'goals.0.signs.1', message: expect.stringContaining('U+0000') }]]);
    const key = await request(buildApp()).post(`/children/${childId}/plans`).send({ goals: [{ text: 'ok', signs: ['ok'], 'x\u0000': 1 }], evaluateOn: '2027-01-15' });
    expect([key.status, key.body.errors[0].field]).toEqual([400, 'goals.0']);
    const query = await request(buildApp()).post(`/children/${childId}/plans?dryRun=true%00`).send({ goals: [{ text: 'ok', signs: ['ok'] }], evaluateOn: '2027-01-15' });
    expect([query.status, query.body.errors]).toEqual([400, [{ in: 'query', field: 'dryRun', message: expect.stringContaining('U+0000') }]]);
  });

  test('a CSV file with a NUL character (one saved as UTF-16) is 422 naming its line', () => {
    expect(() => readCsv('a,b\n1,2\n3,\u0000\n', ['a', 'b'], 'test')).toThrow(expect.objectContaining({ status: 422, code: 'CSV_MALFORMED', detail: expect.stringContaining('line 3 holds a NUL') }));
    expect(readCsv('a,b\n1,2\n', ['a', 'b'], 'test')).toEqual([{ a: '1', b: '2' }]);
  });

  test('when the body is missing, then 400 says so', async () => {
    const res = await request(buildApp()).post(`/children/${childId}/plans`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ in: 'body', field: '' });
  });

  test('when the JSON is malformed, then 400 MALFORMED_JSON', async () => {
    const res = await request(buildApp()).post(`/children/${childId}/plans`).set('content-type', 'application/json').send('{"goals": [');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('MALFORMED_JSON');
  });

  test('when the body is larger than the limit, then 413', async () => {
    const res = await request(buildApp()).post(`/children/${childId}/plans`).send({ goals: [{ text: 'x'.repeat(2_000), signs: ['y'] }], evaluateOn: '2027-01-15' });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('BODY_TOO_LARGE');
  });

  test('when the body is not JSON, then 415', async () => {
    const res = await request(buildApp()).post(`/children/${childId}/plans`).set('content-type', 'text/plain').send('hello');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  test('when the route is unknown, then 404 problem+json', async () => {
    const res = await request(buildApp()).get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'ROUTE_NOT_FOUND', detail: 'no route for GET /nowhere' });
  });

  test('when a rule refuses, then the problem carries its code and rule id', async () => {
    const res = await request(buildApp()).post('/escalate');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'ESCALATION_REQUIRES_EVALUATED_PRIOR_EFFORTS', rule: 'R5' });
  });

  test('when a handler crashes, then 500 hides the message and the stack', async () => {
    const res = await request(buildApp()).get('/boom');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(JSON.stringify(res.body)).not.toMatch(/db-7|Socket|at /);
  });

  test('when a request id is given, then it is returned; otherwise one is made', async () => {
    const app = buildApp();
    const given = await request(app).get('/healthz').set('x-request-id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await request(app).get('/healthz').set('x-request-id', 'bad id with spaces');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await request(app).get('/nowhere').set('x-request-id', 'trace-9');
    expect(problem.body.requestId).toBe('trace-9');
  });

  test('the request log line carries the status code answered', async () => {
    const lines: { msg?: string; res?: { statusCode: number | null } }[] = [];
    const capture = new Writable({ write: (chunk, _e, cb) => (lines.push(JSON.parse(chunk.toString())), cb()) });
    const app = createApp({ service: 'test', logger: createLogger({ service: 'test', destination: capture }), registry: createRegistry('logs'), routes: () => undefined });
    await request(app).get('/nowhere').expect(404);
    expect(lines.find((l) => l.msg === 'request completed')?.res).toEqual({ statusCode: 404 });
  });

  test('security headers are set and the framework is not announced', async () => {
    const res = await request(buildApp()).get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  test('readiness reports each check, and 503 when one is down or the service drains', async () => {
    let storeUp = true;
    let draining = false;
    const app = buildApp({
      readiness: [
        { name: 'mongo', check: async () => { if (!storeUp) throw new Error('ping failed'); } },
        { name: 'kafka', check: async () => undefined },
      ],
      draining: () => draining,
    });
    expect((await request(app).get('/readyz')).status).toBe(200);
    storeUp = false;
    const down = await request(app).get('/readyz');
    expect(down.status).toBe(503);
    expect(down.body.checks).toEqual({ mongo: { status: 'down', error: 'ping failed' }, kafka: { status: 'up' } });
    storeUp = true;
    draining = true;
    expect((await request(app).get('/readyz')).body.status).toBe('draining');
  });

  test('metrics expose request timings by route template', async () => {
    const app = buildApp();
    await request(app).post(`/children/${childId}/plans`).send({ goals: [{ text: 'a', signs: ['b'] }], evaluateOn: '2027-01-15' });
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    const countLine = res.text.split('\n').find((l) => l.startsWith('http_request_duration_seconds_count{') && l.includes('route="/children/:childId/plans"'));
    expect(countLine).toMatch(/status="201"/);
    expect(countLine).toMatch(/ 1$/);
    expect(res.text).not.toContain(childId);
  });
});
