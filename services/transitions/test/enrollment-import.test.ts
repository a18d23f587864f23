// Enrollment import from municipal IT: children by CPR number (mapped by identity over an
// audited service call), units by institution number; all or nothing, and idempotent.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { memoryLogger, testInfra, uniqueName, waitFor } from '@spor/testkit';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, freshCpr, startTestIdentity } from '../../identity/test/support.js';
import { startTransitions, type RunningTransitions } from '../src/service.js';

const { brokers, mongoUrl } = testInfra();
const SECRET = 'transitions-import-secret-0123456789';
const logs = memoryLogger();
let identity: RunningIdentity;
let transitions: RunningTransitions;
let admin: string;
const cpr = { anna: freshCpr(), bo: freshCpr(), cille: freshCpr(), parent: `0101801${Math.floor(100 + Math.random() * 899)}` };
const ids: Record<string, string> = {};
// Unique per run: every test run's identity publishes to the same topics, so institution numbers must not repeat.
const run = Math.random().toString(36).slice(2, 8);
const ext = (id: string) => `${id}-${run}`;

beforeAll(async () => {
  identity = await startTestIdentity(undefined, { SERVICE_CLIENTS: JSON.stringify([{ id: 'transitions', secretSha256: createHash('sha256').update(SECRET).digest('hex'), scopes: ['persons:lookup'] }]) });
  const root = await bearer(identity, '510');
  const post = async (path: string, body: object) => (await request(identity.url).post(path).set('authorization', root).send(body)).body.id as string;
  const mun = await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' });
  const district = await post('/admin/org-units', { kind: 'district', name: 'D', parentId: mun });
  ids.kindergarten = await post('/admin/org-units', { kind: 'institution', name: 'Børnehaven', parentId: district, institutionType: 'boernehave', externalId: ext('INST-100') });
  ids.nursery = await post('/admin/org-units', { kind: 'institution', name: 'Vuggestuen', parentId: district, institutionType: 'vuggestue', externalId: ext('INST-200') });
  ids.group = await post('/admin/org-units', { kind: 'group', name: 'Bjørnene', parentId: ids.kindergarten, externalId: ext('GRP-101') });
  for (const name of ['anna', 'bo', 'cille'] as const) ids[name] = await post('/admin/persons', { kind: 'child', cpr: cpr[name], givenName: name, familyName: 'Test' });
  await post('/admin/persons', { kind: 'parent', cpr: cpr.parent, givenName: 'P', familyName: 'Test' });
  admin = await bearer(identity, '510', 'system-administrator', { roles: [{ role: 'system-administrator', unitId: mun }] });

  transitions = await startTransitions(
    {
      MONGO_URL: mongoUrl,
      KAFKA_BROKERS: brokers.join(','),
      PORT: '0',
      TRANSITIONS_DB_NAME: uniqueName('transitions-test'),
      TRANSITIONS_CONSUMER_GROUP: uniqueName('transitions'),
      TOKEN_ISSUER: identity.config.TOKEN_ISSUER,
      IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json`,
      IDENTITY_URL: identity.url,
      TRANSITIONS_CLIENT_SECRET: SECRET,
    },
    { logger: logs.logger },
  );
  await waitFor('the units in transitions', async () => (await request(transitions.url).get(`/institutions/${ids.kindergarten}/children`).set('authorization', admin)).status === 200 && (await request(transitions.url).get(`/institutions/${ids.nursery}/children`).set('authorization', admin)).status === 200);
});

afterAll(async () => {
  await transitions.runtime.shutdown();
  await identity.runtime.shutdown();
});

const importJson = (body: object) => request(transitions.url).post('/imports/enrollments').set('authorization', admin).send(body);
const placementsOf = async (childId: string) => (await request(transitions.url).get(`/children/${childId}/placements`).set('authorization', admin)).body.items ?? [];

describe('enrollment import', () => {
  test('a file with bad rows is refused whole, naming every row and field; nothing is written', async () => {
    const res = await importJson({
      enrollments: [
        { childCpr: cpr.anna, institutionExternalId: ext('INST-100'), groupExternalId: ext('GRP-101'), from: '2025-08-01' },
        { childCpr: freshCpr(), institutionExternalId: ext('INST-100'), from: '2025-08-01' },
        { childCpr: cpr.bo, institutionExternalId: ext('INST-999'), from: '2025-08-01' },
        { childCpr: cpr.bo, institutionExternalId: ext('INST-200'), groupExternalId: ext('GRP-101'), from: '2025-08-01' },
        { childCpr: cpr.parent, institutionExternalId: ext('INST-100'), from: '2025-08-01' },
        { childCpr: cpr.anna, institutionExternalId: ext('INST-200'), from: '2025-09-01' },
        { childCpr: cpr.cille, institutionExternalId: ext('INST-100'), from: '2025-08-01', to: '2025-01-01' },
      ],
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('IMPORT_INVALID');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'enrollments[2].childCpr',
      'enrollments[3].institutionExternalId',
      'enrollments[4].groupExternalId',
      'enrollments[5].childCpr',
      'enrollments[6].from',
      'enrollments[7].to',
    ]);
    expect(res.body.errors[4].message).toContain('(row 1 of this file)');
    expect(JSON.stringify(res.body)).not.toContain(cpr.anna);
    expect(await placementsOf(ids.anna!)).toEqual([]);
  });

  test('a file of more rows than identity looks up at once is looked up in parts: the last row is checked like the first', async () => {
    const rows = Array.from({ length: 5_001 }, (_, i) => ({ childCpr: i === 5_000 ? cpr.parent : cpr.anna, institutionExternalId: ext('INST-100'), from: '2025-08-01', to: '2025-08-01' }));
    const res = await importJson({ enrollments: rows });
    expect(res.status).toBe(422);
    // Every row of Anna's after the first overlaps it; the last names the parent, who is no child.
    expect(res.body.errors.at(-1)).toMatchObject({ field: 'enrollments[5001].childCpr', message: expect.stringContaining('not as a child') });
    expect(await placementsOf(ids.anna!)).toEqual([]);
  }, 60_000);

  test('a good file is applied; the same file again changes nothing; CSV works the same', async () => {
    const file = {
      enrollments: [
        { childCpr: cpr.anna, institutionExternalId: ext('INST-100'), groupExternalId: ext('GRP-101'), from: '2025-08-01' },
        { childCpr: cpr.bo, institutionExternalId: ext('INST-200'), from: '2025-02-01', to: '2025-12-31' },
      ],
    };
    const first = await importJson(file);
    expect(first.status).toBe(201);
    expect(first.body.counts).toEqual({ created: 2, unchanged: 0 });
    const again = await importJson(file);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ repeated: true, counts: { created: 2, unchanged: 0 } });
    expect((await placementsOf(ids.anna!)).map((p: { institutionId: string; groupId: string }) => [p.institutionId, p.groupId])).toEqual([[ids.kindergarten, ids.group]]);

    const csv = `childCpr;institutionExternalId;groupExternalId;from;to\n${cpr.bo};${ext('INST-200')};;2025-02-01;2025-12-31\n${cpr.bo};${ext('INST-100')};;2026-01-01;\n`;
    const viaCsv = await request(transitions.url).post('/imports/enrollments').set('authorization', admin).set('content-type', 'text/csv').send(csv);
    expect(viaCsv.status).toBe(201);
    expect(viaCsv.body.counts).toEqual({ created: 1, unchanged: 1 });
    expect((await placementsOf(ids.bo!)).map((p: { institutionId: string; from: string }) => [p.institutionId, p.from])).toEqual([
      [ids.nursery, '2025-02-01'],
      [ids.kindergarten, '2026-01-01'],
    ]);

    // On the record: each file the importer sent (once per request), and each placement it made on the child's, as the importer's.
    const jobs = [first.body.jobId, viaCsv.body.jobId] as string[];
    expect(await Promise.all(jobs.map(async (id) => (await transitions.audit.forRecord(id)).map((e) => e.operation)))).toEqual([['import', 'import'], ['import']]);
    const placed = (await transitions.audit.forChild(ids.bo!)).filter((e) => e.recordType === 'placement');
    expect(placed.map((e) => [e.operation, e.institutionId, e.purpose])).toEqual([
      ['import', ids.nursery, `import job ${jobs[0]}`],
      ['import', ids.kindergarten, `import job ${jobs[1]}`],
    ]);
    expect(new Set(placed.map((e) => e.actorKind))).toEqual(new Set(['staff']));
    // The importer reads how far a job is; another municipality finds nothing.
    const job = await request(transitions.url).get(`/imports/enrollments/${jobs[1]}`).set('authorization', admin);
    expect([job.status, job.body]).toEqual([200, { jobId: jobs[1], status: 'done', startedAt: expect.any(String), finishedAt: expect.any(String), counts: { created: 1, unchanged: 1 }, attempts: 1 }]);
    expect((await request(transitions.url).get(`/imports/enrollments/${jobs[1]}`).set('authorization', await bearer(identity, '461', 'system-administrator'))).status).toBe(404);
  });

  test('identity audits the lookups with the calling service; no CPR number reaches transitions’ log', async () => {
    const audit = await identity.db.collection('audit_log').find({ actor: 'transitions' }).toArray();
    expect(audit.length).toBeGreaterThanOrEqual(3);
    expect(audit[0]).toMatchObject({ action: 'search', operation: 'lookup-cpr', purpose: expect.stringMatching(/^enrollment import from municipal IT \(\d+ CPR numbers\)$/) });
    for (const value of Object.values(cpr)) expect(logs.text()).not.toContain(value);
  });

  test('only the municipality’s administration imports', async () => {
    const res = await request(transitions.url).post('/imports/enrollments').set('authorization', await bearer(identity, '510', 'educator')).send({ enrollments: [] });
    expect(res.status).toBe(403);
  });
});
