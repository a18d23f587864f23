// Imports of external test results from municipal IT, with identity and transitions beside
// assessments on the real broker and store: children by CPR number (mapped by identity over an
// audited service call) or by id; the file is checked whole; a good file becomes a job applied
// in the background; the same file again writes nothing; a correction keeps what it replaced;
// no CPR number is kept or logged.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import { MongoClient } from 'mongodb';
import { memoryLogger, quietLogger, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import { EventFactory, KeyedMutex, topicFor } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { ExternalResults } from '../src/store/external-results.js';
import { resultId } from '../src/domain/external-result.js';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, freshCpr, startTestIdentity } from '../../identity/test/support.js';
import { startTransitions, type RunningTransitions } from '../../transitions/src/service.js';
import { startAssessments, type RunningAssessments } from '../src/service.js';

const { brokers, mongoUrl } = testInfra();
const SECRET = 'assessments-import-secret-0123456789';
const logs = memoryLogger();
const dbName = uniqueName('assessments-import-test');
let identity: RunningIdentity;
let transitions: RunningTransitions;
let assessments: RunningAssessments;
let store: MongoClient;
let admin: string;
let educator: string;
const cpr = { anna: freshCpr(), bo: freshCpr(), elsewhere: freshCpr(), parent: `0101801${Math.floor(100 + Math.random() * 899)}` };
const ids: Record<string, string> = {};

beforeAll(async () => {
  identity = await startTestIdentity(undefined, { SERVICE_CLIENTS: JSON.stringify([{ id: 'assessments', secretSha256: createHash('sha256').update(SECRET).digest('hex'), scopes: ['persons:lookup'] }]) });
  const root = await bearer(identity, '510');
  const post = async (path: string, body: object, token = root) => (await request(identity.url).post(path).set('authorization', token).send(body)).body.id as string;
  ids.mun = await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' });
  const district = await post('/admin/org-units', { kind: 'district', name: 'D', parentId: ids.mun });
  ids.school = await post('/admin/org-units', { kind: 'institution', name: 'Skolen', parentId: district, institutionType: 'skole' });
  for (const name of ['anna', 'bo'] as const) ids[name] = await post('/admin/persons', { kind: 'child', cpr: cpr[name], givenName: name, familyName: 'Test' });
  ids.parent = await post('/admin/persons', { kind: 'parent', cpr: cpr.parent, givenName: 'P', familyName: 'Test' });
  ids.elsewhere = await post('/admin/persons', { kind: 'child', cpr: cpr.elsewhere, givenName: 'E', familyName: 'Test' }, await bearer(identity, '461'));
  admin = await bearer(identity, '510', 'administration', { roles: [{ role: 'administration', unitId: ids.mun! }] });
  educator = await bearer(identity, '510', 'educator', { roles: [{ role: 'educator', unitId: ids.school! }] });

  const common = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` };
  transitions = await startTransitions({ ...common, TRANSITIONS_DB_NAME: uniqueName('transitions-test'), TRANSITIONS_CONSUMER_GROUP: uniqueName('transitions') }, { logger: quietLogger() });
  assessments = await startAssessments({ ...common, ASSESSMENTS_DB_NAME: dbName, ASSESSMENTS_CONSUMER_GROUP: uniqueName('assessments'), IDENTITY_URL: identity.url, ASSESSMENTS_CLIENT_SECRET: SECRET, ASSESSMENTS_IMPORT_SWEEP_SECONDS: '3600' }, { logger: logs.logger });
  store = await MongoClient.connect(mongoUrl);
  const system = await bearer(identity, '510', 'system-administrator', { roles: [{ role: 'system-administrator', unitId: ids.mun! }] });
  await waitFor('Anna enrolled', async () => (await request(transitions.url).post(`/children/${ids.anna}/placements`).set('authorization', system).send({ institutionId: ids.school, from: '2024-08-01' })).status === 201, 60_000);
  await waitFor('assessments to know the placement and the people', async () => (await request(assessments.url).get(`/children/${ids.anna}/external-results`).set('authorization', educator)).status === 200 && (await request(assessments.url).get(`/children/${ids.bo}/external-results`).set('authorization', educator)).status === 403, 60_000);
  // Fresh consumer groups replay the shared topics from the start: slow on a busy machine.
}, 180_000);

afterAll(async () => {
  await store.close();
  await assessments.runtime.shutdown();
  await transitions.runtime.shutdown();
  await identity.runtime.shutdown();
});

const row = (over: object = {}) => ({ childCpr: cpr.anna, source: 'nationale-test-laesning', testName: 'Nationale test, læsning 2. kl.', testedOn: '2026-03-10', score: 61, maxScore: 100, interpretation: 'as-expected', ...over });
const importJson = (body: object, token = admin) => request(assessments.url).post('/imports/external-results').set('authorization', token).send(body);
const importAs = (type: string, text: string) => request(assessments.url).post('/imports/external-results').set('authorization', admin).set('content-type', type).send(text);
const resultsOf = async (childId: string) => (await request(assessments.url).get(`/children/${childId}/external-results`).set('authorization', educator)).body.items as Record<string, unknown>[];
const finished = async (location: string) => {
  let job: request.Response | undefined;
  await waitFor('the import job to finish', async () => (job = await request(assessments.url).get(location).set('authorization', admin)).body.status === 'done');
  return job!.body as { jobId: string; status: string; rows: number; counts: Record<string, number> };
};

describe('external test result imports', () => {
  test('a file with bad rows is refused whole, naming every row and field; nothing is written', async () => {
    const res = await importJson({
      results: [
        row(),
        row({ childCpr: freshCpr() }),
        row({ childCpr: cpr.parent }),
        row({ childCpr: cpr.elsewhere }),
        row({ score: 120 }),
        row({ testedOn: '2099-01-01' }),
        row({ childId: ids.bo }),
        row({ childCpr: undefined, childId: ids.parent }),
        row({ testName: 'NATIONALE TEST, læsning 2. kl.' }),
        row({ interpretation: 'fine' }),
        { ...row(), [cpr.bo]: 'a CPR number where it does not belong' },
        // Older than results are kept (3 years from the day of the test): it would be deleted at once.
        row({ testedOn: '2020-01-01' }),
      ],
    });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('IMPORT_INVALID');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'results[2].childCpr',
      'results[3].childCpr',
      'results[4].childCpr',
      'results[5].score',
      'results[6].testedOn',
      'results[7].childCpr',
      'results[8].childId',
      'results[9].testedOn',
      'results[10].interpretation',
      'results[11].(row)',
      'results[12].testedOn',
    ]);
    expect(res.body.errors[10].message).toMatch(/results are kept 1095 days from the day of the test/);
    expect(JSON.stringify(res.body)).not.toMatch(new RegExp(Object.values(cpr).join('|')));
    expect(await resultsOf(ids.anna!)).toEqual([]);
  });

  test('a good CSV file becomes a job; the results land in the child’s history; the same file again writes nothing', async () => {
    const csv = `childCpr;childId;source;testName;testedOn;score;maxScore;interpretation\n${cpr.anna};;ordblindetesten;Ordblindetesten;2026-02-03;"38,5";52;below-expected\n;${ids.bo};nationale-test-matematik;"Nationale test, matematik 3. kl.";2026-04-01;72;100;above-expected\n`;
    const first = await importAs('text/csv', csv);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'applying', rows: 2 });
    expect(first.headers.location).toBe(`/imports/external-results/${first.body.jobId}`);
    expect(await finished(first.headers.location!)).toMatchObject({ status: 'done', rows: 2, counts: { created: 2, updated: 0, unchanged: 0 } });
    expect(await resultsOf(ids.anna!)).toEqual([expect.objectContaining({ childId: ids.anna, institutionId: ids.school, source: 'ordblindetesten', testedOn: '2026-02-03', score: 38.5, maxScore: 52, interpretation: 'below-expected', importJobId: first.body.jobId })]);

    const again = await importAs('text/csv', csv);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ jobId: first.body.jobId, status: 'done', repeated: true, counts: { created: 2 } });
    expect(await resultsOf(ids.anna!)).toHaveLength(1);
  });

  test('JSON lines: a row seen before is unchanged, a corrected score replaces it and keeps what it replaced', async () => {
    const lines = [
      { childCpr: cpr.anna, source: 'ordblindetesten', testName: 'Ordblindetesten', testedOn: '2026-02-03', score: 38.5, maxScore: 52, interpretation: 'below-expected' },
      { childId: ids.bo, source: 'nationale-test-matematik', testName: 'Nationale test, matematik 3. kl.', testedOn: '2026-04-01', score: 64, maxScore: 100, interpretation: 'as-expected' },
    ];
    const res = await importAs('application/x-ndjson', `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    expect(res.status).toBe(202);
    expect(await finished(res.headers.location!)).toMatchObject({ counts: { created: 0, updated: 1, unchanged: 1 } });
    const system = await bearer(identity, '510', 'system-administrator', { roles: [{ role: 'system-administrator', unitId: ids.mun! }] });
    await waitFor('Bo enrolled', async () => (await request(transitions.url).post(`/children/${ids.bo}/placements`).set('authorization', system).send({ institutionId: ids.school, from: '2026-05-01' })).status === 201);
    let bo: Record<string, unknown>[] = [];
    await waitFor('assessments to know Bo’s placement', async () => (bo = (await resultsOf(ids.bo!)) ?? []).length === 1);
    // Tested before Bo was placed anywhere Spor knows.
    expect(bo[0]).toMatchObject({ score: 64, interpretation: 'as-expected', institutionId: null, corrections: [expect.objectContaining({ score: 72, interpretation: 'above-expected', importJobId: expect.any(String) })] });
    // Both writes are published, the correction with the values now in force; no test names on the topic.
    const events = (await readTopicUntil(brokers, topicFor('assessments', 'external-result'), 'Bo’s correction', (rs) => rs.some((r) => r.key === ids.bo && r.value!.includes('corrected'))))
      .filter((r) => r.key === ids.bo)
      .map((r) => JSON.parse(r.value!) as { type: string; aggregateversion: number; data: Record<string, unknown> });
    expect(events.map((e) => [e.type.split('.')[4], e.aggregateversion, e.data.score, e.data.interpretation])).toEqual([
      ['recorded', 1, 72, 'above-expected'],
      ['corrected', 2, 64, 'as-expected'],
    ]);
    expect(events.every((e) => e.data.resultId === bo[0]!.id && e.data.source === 'nationale-test-matematik' && e.data.institutionId === null)).toBe(true);
    expect(JSON.stringify(events)).not.toContain('Nationale test');

    const broken = await importAs('application/x-ndjson', `${JSON.stringify(lines[0])}\n{"childCpr": "${cpr.anna}", \n`);
    expect(broken.status).toBe(422);
    expect(broken.body.errors).toEqual([{ in: 'body', field: 'results[2].(row)', message: 'is not a JSON object' }]);
    expect(JSON.stringify(broken.body)).not.toContain(cpr.anna);

    // A NUL character cannot be stored (FerretDB's PostgreSQL refuses it): a row with one would fail each time the job was applied.
    const nul = await importAs('application/x-ndjson', `${JSON.stringify(lines[0])}\n${JSON.stringify({ ...lines[0], testName: 'Ordblinde\u0000testen' })}\n`);
    expect([nul.status, nul.body.errors]).toEqual([422, [{ in: 'body', field: 'results[2].testName', message: expect.stringContaining('U+0000') }]]);
    const utf16 = await importAs('text/csv', Buffer.from('childId,source\r\n', 'utf16le').toString('latin1'));
    expect([utf16.status, utf16.body.code, utf16.body.detail]).toEqual([422, 'CSV_MALFORMED', expect.stringContaining('line 1 holds a NUL')]);
  });

  test('a job a stopped process left half-applied is finished at the next sweep', async () => {
    const jobId = 'f'.repeat(32);
    const rows = [{ row: 1, childId: ids.anna, institutionId: ids.school, source: 'ordblindetesten', testName: 'Ordblindetesten, opfølgning', testedOn: '2026-05-05', score: 44, maxScore: 52, interpretation: 'as-expected' }];
    await store.db(dbName).collection('external_result_imports').insertOne({ _id: jobId as never, municipalityId: '510', actor: 'importer-1', status: 'applying', payload: { rows, roles: [{ role: 'administration', unitId: ids.mun }] }, startedAt: new Date() });
    expect(await assessments.resumeImports()).toBeGreaterThanOrEqual(1);
    expect(await finished(`/imports/external-results/${jobId}`)).toMatchObject({ counts: { created: 1 } });
    expect((await resultsOf(ids.anna!)).map((r) => r.testName)).toEqual(['Ordblindetesten', 'Ordblindetesten, opfølgning']);
    const audit = (await assessments.audit.forChild(ids.anna!)).filter((e) => e.actor === 'importer-1');
    expect(audit).toEqual([expect.objectContaining({ action: 'create', operation: 'import', recordType: 'external-result', purpose: `import job ${jobId}`, roles: [`administration@${ids.mun}`] })]);

    // Stopped after its rows were written but before it was marked done: at the next start the
    // rows count as what this job did (not `unchanged`), and are audited again rather than missing.
    await store.db(dbName).collection('external_result_imports').updateOne({ _id: jobId as never }, { $set: { status: 'applying', payload: { rows, roles: [{ role: 'administration', unitId: ids.mun }] } }, $unset: { counts: '', finishedAt: '' } });
    expect(await assessments.resumeImports()).toBeGreaterThanOrEqual(1);
    expect(await finished(`/imports/external-results/${jobId}`)).toMatchObject({ counts: { created: 1, updated: 0, unchanged: 0 } });
    expect((await assessments.audit.forChild(ids.anna!)).filter((e) => e.actor === 'importer-1' && e.operation === 'import')).toHaveLength(2);
    expect((await resultsOf(ids.anna!)).map((r) => r.testName)).toEqual(['Ordblindetesten', 'Ordblindetesten, opfølgning']);
  });

  test('a result stored before results were published gets version 1 and its recorded event at the next start', async () => {
    const db = store.db(dbName);
    const earlier = { _id: randomUUID(), municipalityId: '510', childId: ids.anna!, institutionId: ids.school!, source: 'nationale-test-laesning', testName: 'Nationale test, læsning 4. kl.', testedOn: '2025-03-10', score: 55, maxScore: 100, interpretation: 'as-expected', recordedBy: 'importer-0', recordedAt: new Date() };
    // As an earlier version stored it: no version, no outbox.
    await db.collection('external_results').insertOne(earlier as never);
    const repository = new ExternalResults(db.collection('external_results') as never, new EventFactory('assessments', contractRegistry()), new KeyedMutex());
    expect(await repository.publishEarlierResults()).toBe(1);
    expect(await repository.publishEarlierResults()).toBe(0);
    expect(await db.collection('external_results').findOne({ _id: earlier._id as never })).toMatchObject({ version: 1, outboxSeq: 1 });
    // The running service's relay finds it at its sweep.
    const records = await readTopicUntil(brokers, topicFor('assessments', 'external-result'), 'the earlier result', (rs) => rs.some((r) => r.value!.includes(earlier._id)));
    expect(records.filter((r) => r.value!.includes(earlier._id)).map((r) => JSON.parse(r.value!))).toEqual([
      expect.objectContaining({ type: 'dk.spor.assessments.external-result.recorded.v1', aggregateversion: 1, data: expect.objectContaining({ resultId: earlier._id, score: 55, testedOn: '2025-03-10' }) }),
    ]);
    const listed = (await resultsOf(ids.anna!)).find((r) => r.id === earlier._id);
    expect(listed).toMatchObject({ source: 'nationale-test-laesning', score: 55 });
    expect(listed).not.toHaveProperty('version');
  });

  test('a row the store cannot take: the job is tried again after each back-off, ends as failed at its last attempt with its rows dropped, and starts anew when the file is sent again', async () => {
    const values = { source: 'nationale-test-laesning', testName: 'Nationale test, læsning 6. kl.', testedOn: '2026-04-20', score: 70, maxScore: 100, interpretation: 'as-expected' };
    const id = resultId('510', ids.anna!, values);
    const results = store.db(dbName).collection('external_results');
    // A stored result the importer cannot correct (its corrections are no list): a cause that no retry mends.
    await results.insertOne({ _id: id as never, municipalityId: '510', childId: ids.anna, institutionId: ids.school, ...values, score: 10, interpretation: 'below-expected', recordedBy: 'importer-0', recordedAt: new Date(), version: 1, corrections: 5 });
    const sent = await importJson({ results: [{ childId: ids.anna, ...values }] });
    expect(sent.status).toBe(202);
    const location = sent.headers.location as string;
    const jobs = store.db(dbName).collection('external_result_imports');
    const job = async () => (await request(assessments.url).get(location).set('authorization', admin)).body;
    await waitFor('the first attempt to fail', async () => (await job()).lastFailure !== undefined);
    expect(await job()).toMatchObject({ status: 'applying', attempts: 1, rows: 1, lastFailure: { error: 'TypeError' } });
    // Inside its back-off the sweep leaves it.
    expect(await assessments.resumeImports()).toBe(0);
    for (let attempt = 2; attempt <= 8; attempt++) {
      // The back-off over (moved in the store: it is 30 seconds, doubling).
      await jobs.updateOne({ _id: sent.body.jobId }, { $set: { leaseUntil: new Date(Date.now() - 1) } });
      expect(await assessments.resumeImports()).toBe(1);
      expect((await job()).attempts).toBe(attempt);
    }
    const failed = await job();
    expect(failed).toMatchObject({ status: 'failed', attempts: 8, lastFailure: { error: 'TypeError' }, finishedAt: expect.any(String) });
    expect(await jobs.findOne({ _id: sent.body.jobId })).not.toHaveProperty('payload');
    expect(logs.lines().filter((l) => l.jobId === sent.body.jobId).map((l) => l.msg)).toEqual([...Array(7).fill(expect.stringContaining('tried again')), expect.stringContaining('last attempt')]);
    await jobs.updateOne({ _id: sent.body.jobId }, { $set: { leaseUntil: new Date(0) } });
    expect(await assessments.resumeImports()).toBe(0);

    // The cause mended, the same file sent again starts the job anew.
    await results.deleteOne({ _id: id as never });
    const again = await importJson({ results: [{ childId: ids.anna, ...values }] });
    expect([again.status, again.body]).toEqual([202, { jobId: sent.body.jobId, status: 'applying', rows: 1, repeated: true }]);
    expect(await finished(location)).toMatchObject({ status: 'done', attempts: 1, counts: { created: 1, updated: 0, unchanged: 0 } });
    expect(await job()).not.toHaveProperty('lastFailure');
    expect((await resultsOf(ids.anna!)).find((r) => r.id === id)).toMatchObject({ score: 70, interpretation: 'as-expected' });
  });

  test('only the municipality’s administration imports and reads jobs; staff with the child read the results', async () => {
    expect((await importJson({ results: [row()] }, educator)).status).toBe(403);
    const jobs = await store.db(dbName).collection('external_result_imports').find({}).toArray();
    const location = `/imports/external-results/${String(jobs[0]!._id)}`;
    expect((await request(assessments.url).get(location).set('authorization', await bearer(identity, '461', 'administration'))).status).toBe(404);
    expect((await request(assessments.url).get(location).set('authorization', educator)).status).toBe(403);
    const stranger = await bearer(identity, '510', 'educator', { roles: [{ role: 'educator', unitId: ids.mun + '0' }] });
    expect((await request(assessments.url).get(`/children/${ids.anna}/external-results`).set('authorization', stranger)).status).toBe(403);
  });

  test('imports are audited here and the CPR lookups at identity; no CPR number is stored or logged', async () => {
    const audit = await assessments.audit.forChild(ids.anna!);
    expect(audit.filter((e) => e.recordType === 'external-result').map((e) => e.operation)).toEqual(expect.arrayContaining(['import', 'read']));
    const bo = await assessments.audit.forChild(ids.bo!);
    expect(bo.filter((e) => e.recordType === 'external-result').map((e) => e.operation)).toEqual(expect.arrayContaining(['import', 'import-correct']));
    const lookups = await identity.db.collection('audit_log').find({ actor: 'assessments' }).toArray();
    expect(lookups[0]).toMatchObject({ action: 'search', operation: 'lookup-cpr', purpose: expect.stringMatching(/^external test results import from municipal IT \(\d+ CPR numbers\)$/) });

    const everything: string[] = [];
    for (const { name } of await store.db(dbName).listCollections().toArray()) everything.push(JSON.stringify(await store.db(dbName).collection(name).find({}).toArray()));
    for (const value of Object.values(cpr)) {
      expect(everything.join('\n')).not.toContain(value);
      expect(logs.text()).not.toContain(value);
    }
  });

  test('a child whose entry leaves the directory takes its results here with it: archived as a fingerprint, deleted, logged and published', async () => {
    const results = store.db(dbName).collection('external_results');
    const root = await bearer(identity, '510');
    // A child registered in error, never placed nor linked to a parent, with a result imported by its id.
    const stray = (await request(identity.url).post('/admin/persons').set('authorization', root).send({ kind: 'child', cpr: freshCpr(), givenName: 'Forkert', familyName: 'Registreret' })).body.id as string;
    let sent!: request.Response;
    await waitFor('assessments to know the child', async () => (sent = await importJson({ results: [{ childId: stray, source: 'ordblindetesten', testName: 'Ordblindetesten', testedOn: '2026-05-05', score: 30, maxScore: 52, interpretation: 'as-expected' }] })).status === 202, 60_000);
    await finished(sent.headers.location as string);
    expect(await results.countDocuments({ childId: stray })).toBe(1);
    const erased = await request(identity.url).post(`/admin/persons/${stray}/erasure`).set('authorization', root).send({ reason: 'Oprettet ved en fejl' });
    expect([erased.status, erased.body.detail]).toEqual([200, undefined]);
    await waitFor('assessments to dispose of the child’s result', async () => (await results.countDocuments({ childId: stray })) === 0, 60_000);
    expect((await assessments.privacy.retention.disposalsOf(stray)).map((d) => [d.kind, d.status])).toEqual([['external-result', 'disposed']]);
    expect((await assessments.audit.forChild(stray)).filter((e) => e.purpose === 'person-removed').map((e) => e.operation)).toEqual(['archive', 'delete']);
  });

  test('a child under a legal hold whose entry leaves the directory: its result stays, the hold is read and released and the export made by the child’s id alone; the release lets the result go', async () => {
    const results = store.db(dbName).collection('external_results');
    const root = await bearer(identity, '510');
    const held = (await request(identity.url).post('/admin/persons').set('authorization', root).send({ kind: 'child', cpr: freshCpr(), givenName: 'Holdt', familyName: 'Tilbage' })).body.id as string;
    let sent!: request.Response;
    await waitFor('assessments to know the child', async () => (sent = await importJson({ results: [{ childId: held, source: 'ordblindetesten', testName: 'Ordblindetesten', testedOn: '2026-05-06', score: 31, maxScore: 52, interpretation: 'as-expected' }] })).status === 202, 60_000);
    await finished(sent.headers.location as string);
    const hold = await request(assessments.url).post(`/children/${held}/legal-holds`).set('authorization', admin).send({ caseRef: 'SAG-2026-88' });
    expect(hold.status).toBe(201);
    await request(identity.url).post(`/admin/persons/${held}/erasure`).set('authorization', root).send({ reason: 'Oprettet ved en fejl' }).expect(200);
    await waitFor('assessments to forget the child', async () => (await store.db(dbName).collection('directory_persons').countDocuments({ _id: held, removed: true } as never)) === 1, 60_000);
    expect(await results.countDocuments({ childId: held })).toBe(1);
    // The directory no longer knows the child; what is kept here still answers for it, in its municipality only.
    expect((await request(assessments.url).get(`/children/${held}/legal-holds`).set('authorization', admin)).body.items).toHaveLength(1);
    const dpo = await bearer(identity, '510', 'dpo', { roles: [{ role: 'dpo', unitId: ids.mun! }] });
    const exported = await request(assessments.url).get(`/children/${held}/export`).set('authorization', dpo);
    expect([exported.status, exported.body.records['external-result']?.length]).toEqual([200, 1]);
    expect((await request(assessments.url).get(`/children/${held}/export`).set('authorization', await bearer(identity, '999', 'dpo', { roles: [{ role: 'dpo', unitId: ids.mun! }] }))).status).toBe(404);
    await request(assessments.url).post(`/children/${held}/legal-holds/${hold.body._id}/release`).set('authorization', admin).expect(200);
    expect(await results.countDocuments({ childId: held })).toBe(0);
    expect((await assessments.audit.forChild(held)).filter((e) => e.purpose === 'person-removed').map((e) => e.operation)).toEqual(['archive', 'delete']);
  });
});
