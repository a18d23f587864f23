// assessments with identity and transitions beside it, on the real broker and store: the child
// and its placement arrive as events; staff assess over HTTP; results are computed here and
// published as categories only.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { NSIS_LEVELS } from '@spor/auth';
import { contractRegistry } from '@spor/contracts';
import { eventsPublished, memoryLogger, quietLogger, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, cprBornOn, cprOfAge, startTestIdentity } from '../../identity/test/support.js';
import { danishDay } from '@spor/directory';
import { startTransitions, type RunningTransitions } from '../../transitions/src/service.js';
import { startAssessments, type RunningAssessments } from '../src/service.js';
import { AssessmentRepository, CHILD_KEY } from '../src/store/assessment-repository.js';
import { MongoClient } from 'mongodb';
import { EventFactory, KeyedMutex, topicFor } from '@spor/events';

const { brokers, mongoUrl } = testInfra();
const logs = memoryLogger();
let identity: RunningIdentity;
let transitions: RunningTransitions;
let assessments: RunningAssessments;
let now = new Date();
const units = {} as Record<'mun' | 'district' | 'kindergarten' | 'group' | 'other' | 'school' | 'sibling', string>;
let childId: string;
let mother: string;
let stranger: string;
let educator: string;
let colleague: string;
let otherInstitution: string;
let unplaced: string;
let toddler: string;

const as = (role: string, unitId: string, personId?: string) => bearer(identity, '510', role, { roles: [{ role, unitId }], ...(personId ? { personId } : {}) });
const parent = (personId: string) => bearer(identity, '510', 'educator', { personId, kind: 'parent', roles: [], acr: NSIS_LEVELS.substantial });
// Born four years and two months ago: the 5-year band of the language screening.
const birth = new Date(Date.now() - (4 * 365 + 62) * 86_400_000);
const cprOf = (serial: number) => cprBornOn(birth, 4000 + serial);

beforeAll(async () => {
  identity = await startTestIdentity();
  const root = await bearer(identity, '510');
  const post = async (path: string, body: object) => (await request(identity.url).post(path).set('authorization', root).send(body)).body.id as string;
  units.mun = await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' });
  units.district = await post('/admin/org-units', { kind: 'district', name: 'D', parentId: units.mun });
  units.kindergarten = await post('/admin/org-units', { kind: 'institution', name: 'Børnehaven', parentId: units.district, institutionType: 'boernehave' });
  units.group = await post('/admin/org-units', { kind: 'group', name: 'Mariehønen', parentId: units.kindergarten });
  units.sibling = await post('/admin/org-units', { kind: 'group', name: 'Sommerfuglen', parentId: units.kindergarten });
  units.other = await post('/admin/org-units', { kind: 'institution', name: 'Den anden', parentId: units.district, institutionType: 'boernehave' });
  units.school = await post('/admin/org-units', { kind: 'institution', name: 'Skolen', parentId: units.district, institutionType: 'skole' });
  const serial = Math.floor(Math.random() * 900);
  childId = await post('/admin/persons', { kind: 'child', cpr: cprOf(serial), givenName: 'Barn', familyName: 'Test' });
  // Two children around three: one in no daycare, one in the kindergarten.
  // Three years and six weeks: 37 or 38 months on any day, inside motor skills' ages and the three-year window.
  const three = new Date(Date.now() - (3 * 365 + 45) * 86_400_000);
  const cprThree = (serial: number) => cprBornOn(three, 4000 + serial);
  unplaced = await post('/admin/persons', { kind: 'child', cpr: cprThree(serial + 1), givenName: 'Ikke', familyName: 'Indskrevet' });
  toddler = await post('/admin/persons', { kind: 'child', cpr: cprThree(serial + 2), givenName: 'Lille', familyName: 'Test' });
  mother = await post('/admin/persons', { kind: 'parent', cpr: `0101851${100 + Math.floor(Math.random() * 899)}`, givenName: 'Mor', familyName: 'Test' });
  stranger = await post('/admin/persons', { kind: 'parent', cpr: `0202851${100 + Math.floor(Math.random() * 899)}`, givenName: 'Anden', familyName: 'Test' });
  await request(identity.url).put('/admin/guardianships').set('authorization', root).send({ parentId: mother, childId, custody: true });
  educator = await as('educator', units.group, '11111111-1111-4111-8111-111111111111');
  colleague = await as('educator', units.kindergarten, '22222222-2222-4222-8222-222222222222');
  otherInstitution = await as('educator', units.other);

  const common = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` };
  transitions = await startTransitions({ ...common, TRANSITIONS_DB_NAME: uniqueName('transitions-test'), TRANSITIONS_CONSUMER_GROUP: uniqueName('transitions') }, { logger: quietLogger() });
  assessments = await startAssessments({ ...common, ASSESSMENTS_DB_NAME: uniqueName('assessments-test'), ASSESSMENTS_CONSUMER_GROUP: uniqueName('assessments') }, { logger: logs.logger, clock: () => now });
  const admin = await as('system-administrator', units.mun);
  await waitFor('the child enrolled', async () => (await request(transitions.url).post(`/children/${childId}/placements`).set('authorization', admin).send({ institutionId: units.kindergarten, groupId: units.group, from: '2024-01-01' })).status === 201, 60_000);
  await waitFor('the toddler enrolled', async () => (await request(transitions.url).post(`/children/${toddler}/placements`).set('authorization', admin).send({ institutionId: units.kindergarten, from: '2025-01-01' })).status === 201, 60_000);
  await waitFor('assessments to know the placement', async () => (await request(assessments.url).get(`/children/${childId}/assessments`).set('authorization', educator)).status === 200, 60_000);
  // Fresh consumer groups replay the shared topics from the start: slow on a busy machine.
}, 180_000);

afterAll(async () => {
  await assessments.runtime.shutdown();
  await transitions.runtime.shutdown();
  await identity.runtime.shutdown();
});

const start = (body: object, token = educator) => request(assessments.url).post('/assessments').set('authorization', token).send(body);
const yes = (n: number) => Object.fromEntries(['forstaar-instruktion', 'benaevner', 'saetninger', 'fortaeller', 'spoergeord', 'rim', 'lyde', 'samtale', 'begreber', 'bogstaver', 'genfortaeller', 'ordforraad'].map((id, i) => [id, i < n]));

describe('assessments', () => {
  test('a language screening is scored here from the answers, for the child’s age band, and published as categories', async () => {
    const draft = await start({ instrumentId: 'sprogvurdering', childId, answers: yes(8) });
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ status: 'draft', instrumentVersion: 2, institutionId: units.kindergarten, ageMonths: expect.any(Number) });
    expect(draft.body.ageMonths).toBeGreaterThanOrEqual(50);
    expect(draft.body.ageMonths).toBeLessThanOrEqual(52);
    await request(assessments.url).patch(`/assessments/${draft.body.id}`).set('authorization', educator).send({ answers: { note: 'Taler mest med de voksne' } }).expect(200);
    const done = await request(assessments.url).post(`/assessments/${draft.body.id}/complete`).set('authorization', educator);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', results: [{ section: 'sprog', score: 8, category: 'focused' }] });

    const again = await request(assessments.url).post(`/assessments/${draft.body.id}/complete`).set('authorization', educator);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ASSESSMENT_COMPLETED');
    const locked = await request(assessments.url).patch(`/assessments/${draft.body.id}`).set('authorization', educator).send({ answers: { rim: true } });
    expect(locked.status).toBe(409);

    const records = await readTopicUntil(brokers, topicFor('assessments', 'assessment'), 'the completion', (rs) => rs.some((r) => r.value!.includes(draft.body.id)));
    const event = records.map((r) => JSON.parse(r.value!)).find((e) => e.subject === draft.body.id);
    expect(event).toMatchObject({ type: 'dk.spor.assessments.assessment.completed.v1', data: { childId, institutionId: units.kindergarten, instrumentId: 'sprogvurdering', results: [{ section: 'sprog', category: 'focused' }] } });
    expect(contractRegistry().checkEnvelope(event)).toEqual([]);
    expect(JSON.stringify(event)).not.toContain('Taler mest');

    // An amendment keeps the original, with who and why.
    const amended = await request(assessments.url).post(`/assessments/${draft.body.id}/amendments`).set('authorization', colleague).send({ answers: yes(9), reason: 'Et svar var registreret forkert' });
    expect(amended.status).toBe(201);
    expect(amended.body.results[0].category).toBe('general');
    expect(amended.body.amendments).toEqual([expect.objectContaining({ reason: 'Et svar var registreret forkert', previousResults: [{ section: 'sprog', score: 8, category: 'focused' }] })]);
  });

  test('answers that do not fit are 422 listing the item ids; a wrong version or target is named', async () => {
    const bad = await start({ instrumentId: 'motorik', childId, answers: { hopper: 3, ukendt: 1, kaster: 'to' } });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('ANSWERS_INVALID');
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['answers.hopper', 'answers.kaster', 'answers.ukendt']);
    const draft = await start({ instrumentId: 'motorik', childId, answers: { hopper: 2 } });
    const incomplete = await request(assessments.url).post(`/assessments/${draft.body.id}/complete`).set('authorization', educator);
    expect(incomplete.status).toBe(422);
    expect(incomplete.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['answers.balance', 'answers.knapper']));
    // Clearing an answer names an item too: an unknown one, or one of the parents' part, is no staff answer to clear.
    const clearing = await request(assessments.url).patch(`/assessments/${draft.body.id}`).set('authorization', educator).send({ answers: { ukendt: null, hopper: null } });
    expect([clearing.status, clearing.body.code, clearing.body.errors?.map((e: { field: string }) => e.field)]).toEqual([422, 'ANSWERS_INVALID', ['answers.ukendt']]);
    const read = await request(assessments.url).get(`/assessments/${draft.body.id}`).set('authorization', educator);
    expect([read.body.version, read.body.answers, read.headers.etag]).toEqual([1, { hopper: 2 }, '"1"']);
    // A change sent with If-Match applies to that version only: a stale one is 412, and leaves no entry.
    const patch = (etag: string) => request(assessments.url).patch(`/assessments/${draft.body.id}`).set('authorization', educator).set('if-match', etag).send({ answers: { balance: 2 } });
    const stale = await patch('"7"');
    expect([stale.status, stale.body.code]).toEqual([412, 'VERSION_MISMATCH']);
    expect((await assessments.audit.forRecord(draft.body.id)).map((e) => e.operation)).toEqual(['create', 'read']);
    const fresh = await patch(read.headers.etag!);
    expect([fresh.status, fresh.headers.etag, fresh.body.answers]).toEqual([200, '"2"', { hopper: 2, balance: 2 }]);
    expect((await patch(read.headers.etag!)).status).toBe(412);
    expect((await start({ instrumentId: 'motorik', instrumentVersion: 1, childId })).body).toMatchObject({ code: 'WRONG_INSTRUMENT_VERSION' });
    expect((await start({ instrumentId: 'laeringsmiljoe', childId })).body).toMatchObject({ code: 'WRONG_TARGET' });
  });

  test('staff of another institution get 403; a parent sees the shared results of their own child only', async () => {
    // Filled in at once: created and completed in one call.
    const created = await start({ instrumentId: 'motorik', childId, complete: true, answers: { hopper: 2, balance: 2, kaster: 2, trapper: 2, loeber: 2, blyant: 1, klipper: 1, perler: 1, tegner: 1, knapper: 1 } });
    expect(created.body.status).toBe('completed');
    const id = created.body.id as string;
    const foreign = await request(assessments.url).get(`/assessments/${id}`).set('authorization', otherInstitution);
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('RELATION_REQUIRED');
    expect((await start({ instrumentId: 'motorik', childId }, otherInstitution)).status).toBe(403);

    expect((await request(assessments.url).get(`/assessments/${id}`).set('authorization', await parent(mother))).status).toBe(404);
    await request(assessments.url).post(`/assessments/${id}/sharing`).set('authorization', educator).send({ sharedWithParents: true }).expect(200);
    const shared = await request(assessments.url).get(`/assessments/${id}`).set('authorization', await parent(mother));
    expect(shared.status).toBe(200);
    expect(shared.body).toMatchObject({ results: [{ section: 'grovmotorik', category: 'as-expected' }, { section: 'finmotorik', category: 'watch' }] });
    expect(shared.body).not.toHaveProperty('answers');
    expect((await request(assessments.url).get(`/assessments/${id}`).set('authorization', await parent(stranger))).status).toBe(404);
    const history = await request(assessments.url).get(`/children/${childId}/assessments`).set('authorization', await parent(mother));
    expect(history.body.items.map((a: { id: string }) => a.id)).toEqual([id]);

    // Another child's assessment, shared with its parents, is not the mother's to see.
    // (The toddler is placed in the kindergarten, in no group: a colleague on the institution assesses.)
    const other = await start({ instrumentId: 'motorik', childId: toddler, complete: true, answers: { hopper: 1, balance: 1, kaster: 1, trapper: 1, loeber: 1, blyant: 1, klipper: 1, perler: 1, tegner: 1, knapper: 1 } }, colleague);
    expect(other.status).toBe(201);
    await request(assessments.url).post(`/assessments/${other.body.id}/sharing`).set('authorization', colleague).send({ sharedWithParents: true }).expect(200);
    expect((await request(assessments.url).get(`/assessments/${other.body.id}`).set('authorization', await parent(mother))).status).toBe(404);
    // A parent without custody learns nothing of the child, not even an empty list.
    expect((await request(assessments.url).get(`/children/${toddler}/assessments`).set('authorization', await parent(mother))).status).toBe(404);

    // Another institution's staff change nothing either; parents do not complete.
    const draft = await start({ instrumentId: 'motorik', childId, answers: { hopper: 2 } });
    const foreignPatch = await request(assessments.url).patch(`/assessments/${draft.body.id}`).set('authorization', otherInstitution).send({ answers: { balance: 2 } });
    expect([foreignPatch.status, foreignPatch.body.code]).toEqual([403, 'RELATION_REQUIRED']);
    expect((await request(assessments.url).post(`/assessments/${draft.body.id}/complete`).set('authorization', otherInstitution)).status).toBe(403);
    expect((await request(assessments.url).post(`/assessments/${id}/complete`).set('authorization', await parent(mother))).status).toBe(403);
  });

  test('the parents’ part: custody holders answer it while the dialog is prepared and shared with them; staff see it; completed, it is locked with the rest', async () => {
    const themes = ['personlig', 'social', 'sprog', 'krop', 'natur', 'kultur'];
    const dialog = await start({ instrumentId: 'alsidig-udvikling', childId, answers: Object.fromEntries(themes.flatMap((t) => [[`${t}-engagement`, 3], [`${t}-mestring`, 3]])) });
    expect(dialog.status).toBe(201);
    const id = dialog.body.id as string;
    const answerAs = async (token: string, answers: object) => request(assessments.url).put(`/assessments/${id}/parent-answers`).set('authorization', token).send({ answers });
    const mine = await parent(mother);
    // Not shared yet: to the parents it does not exist.
    expect((await answerAs(mine, { 'foraeldre-trivsel': 4 })).status).toBe(404);
    await request(assessments.url).post(`/assessments/${id}/sharing`).set('authorization', educator).send({ sharedWithParents: true }).expect(200);
    const bad = await answerAs(mine, { 'foraeldre-trivsel': 9, 'social-engagement': 2, ukendt: 'x' });
    expect([bad.status, bad.body.code, bad.body.errors.map((e: { field: string }) => e.field).sort()]).toEqual([422, 'ANSWERS_INVALID', ['answers.foraeldre-trivsel', 'answers.social-engagement', 'answers.ukendt']]);
    const missing = await answerAs(mine, { 'foraeldre-styrker': 'Glad for at tegne' });
    expect([missing.status, missing.body.errors.map((e: { field: string }) => e.field)]).toEqual([422, ['answers.foraeldre-trivsel']]);
    const answered = await answerAs(mine, { 'foraeldre-trivsel': 4, 'foraeldre-styrker': 'Glad for at tegne' });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ status: 'draft', parentAnswers: { 'foraeldre-trivsel': 4, 'foraeldre-styrker': 'Glad for at tegne' } });
    expect(answered.body).not.toHaveProperty('answers');
    // Another parent does not learn it exists; staff do not answer for the parents.
    expect((await answerAs(await parent(stranger), { 'foraeldre-trivsel': 1 })).status).toBe(404);
    const byStaff = await answerAs(educator, { 'foraeldre-trivsel': 1 });
    expect([byStaff.status, byStaff.body.code]).toEqual([403, 'PARENT_REQUIRED']);
    expect((await request(assessments.url).get(`/assessments/${id}`).set('authorization', educator)).body.parentAnswers).toEqual([{ parentId: mother, answers: { 'foraeldre-trivsel': 4, 'foraeldre-styrker': 'Glad for at tegne' }, answeredAt: now.toISOString() }]);

    expect((await request(assessments.url).post(`/assessments/${id}/complete`).set('authorization', educator)).status).toBe(200);
    const late = await answerAs(mine, { 'foraeldre-trivsel': 1 });
    expect([late.status, late.body.code]).toEqual([409, 'ASSESSMENT_COMPLETED']);
    expect((await request(assessments.url).get(`/assessments/${id}`).set('authorization', mine)).body.parentAnswers['foraeldre-trivsel']).toBe(4);
    expect((await assessments.audit.forRecord(id)).filter((e) => e.operation !== 'read').map((e) => [e.operation, e.actor === mother ? 'mother' : 'staff'])).toEqual([
      ['create', 'staff'],
      ['share', 'staff'],
      ['answer-as-parent', 'mother'],
      ['complete', 'staff'],
    ]);

    // An instrument without a parents' part has nothing for them to answer.
    const motor = await start({ instrumentId: 'motorik', childId, answers: { hopper: 2 } });
    await request(assessments.url).post(`/assessments/${motor.body.id}/sharing`).set('authorization', educator).send({ sharedWithParents: true }).expect(200);
    const none = await request(assessments.url).put(`/assessments/${motor.body.id}/parent-answers`).set('authorization', mine).send({ answers: { hopper: 1 } });
    expect([none.status, none.body.code]).toEqual([409, 'NO_PARENTS_PART']);
  });

  test('well-being: two independent ratings, then a joint red rating prompts the duty-to-notify consideration', async () => {
    const rate = async (token: string, light: string) => {
      const r = await start({ instrumentId: 'trivselsvurdering', childId, answers: { samlet: light, omraader: ['socialt'] } }, token);
      expect(r.body.rating).toBe('independent');
      return (await request(assessments.url).post(`/assessments/${r.body.id}/complete`).set('authorization', token)).body.id as string;
    };
    const first = await rate(educator, 'yellow');
    const tooFew = await start({ instrumentId: 'trivselsvurdering', childId, rating: 'joint', basedOn: [first], answers: { samlet: 'red' } });
    expect(tooFew.status).toBe(422);
    expect(tooFew.body.code).toBe('RATINGS_MISSING');
    const second = await rate(colleague, 'red');
    const joint = await start({ instrumentId: 'trivselsvurdering', childId, rating: 'joint', basedOn: [first, second], answers: { samlet: 'red', omraader: ['familie'] } });
    expect(joint.status).toBe(201);
    await request(assessments.url).post(`/assessments/${joint.body.id}/complete`).set('authorization', educator).expect(200);
    const records = await readTopicUntil(brokers, topicFor('assessments', 'assessment'), 'the concern prompt', (rs) => rs.some((r) => r.value!.includes('concern-raised') && r.value!.includes(joint.body.id)));
    const types = records.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === joint.body.id).map((e) => e.type);
    expect(types).toEqual(['dk.spor.assessments.assessment.completed.v1', 'dk.spor.assessments.assessment.concern-raised.v1']);
    // The independent red rating alone raised no prompt.
    expect(records.some((r) => r.value!.includes('concern-raised') && r.value!.includes(second))).toBe(false);

    // The prompt is visible on the child for the team, whatever instrument is asked for, and not for the parents.
    const history = (token: string, query = '') => request(assessments.url).get(`/children/${childId}/assessments${query}`).set('authorization', token);
    const prompt = { kind: 'consider-duty-to-notify', law: 'Barnets lov § 133', assessmentId: joint.body.id, raisedAt: now.toISOString(), institutionId: units.kindergarten };
    expect((await history(colleague)).body.prompts).toEqual([prompt]);
    expect((await history(educator, '?instrumentId=motorik')).body.prompts).toEqual([prompt]);
    expect((await history(await parent(mother))).body).not.toHaveProperty('prompts');
    // A newer joint rating that is not red lifts it.
    const before = now;
    try {
      now = new Date(now.getTime() + 86_400_000);
      // A new joint rating rests on ratings of its own round, not on those of the last one.
      const stale = await start({ instrumentId: 'trivselsvurdering', childId, rating: 'joint', basedOn: [first, second], answers: { samlet: 'yellow', omraader: ['sprog'] } });
      expect([stale.status, stale.body.code, stale.body.errors.map((e: { field: string }) => e.field)]).toEqual([422, 'RATINGS_MISSING', ['basedOn', 'basedOn[0]', 'basedOn[1]']]);
      expect(stale.body.errors[1].message).toMatch(/before the team’s last joint rating/);
      const fresh = [await rate(educator, 'yellow'), await rate(colleague, 'green')];
      // A yellow rating names its areas of concern (version 2).
      const unnamed = await start({ instrumentId: 'trivselsvurdering', childId, rating: 'joint', basedOn: fresh, answers: { samlet: 'yellow' }, complete: true });
      expect([unnamed.status, unnamed.body.code, unnamed.body.errors.map((e: { field: string }) => e.field)]).toEqual([422, 'ANSWERS_INVALID', ['answers.omraader']]);
      const twin = await start({ instrumentId: 'trivselsvurdering', childId, rating: 'joint', basedOn: fresh, answers: { samlet: 'green' } });
      const calmer = await start({ instrumentId: 'trivselsvurdering', childId, rating: 'joint', basedOn: fresh, answers: { samlet: 'yellow', omraader: ['sprog'] }, complete: true });
      expect([calmer.status, calmer.body.instrumentVersion]).toEqual([201, 2]);
      // A second joint draft on the same ratings is not completed once the first one is.
      const twinDone = await request(assessments.url).post(`/assessments/${twin.body.id}/complete`).set('authorization', educator);
      expect([twinDone.status, twinDone.body.code]).toEqual([422, 'RATINGS_MISSING']);
      expect((await history(colleague)).body.prompts).toEqual([]);
    } finally {
      now = before;
    }
  });

  test('a round lists the children due at an institution and who is done', async () => {
    const consultant = await as('pedagogical-consultant', units.district);
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const round = await request(assessments.url).post('/rounds').set('authorization', consultant).send({ name: 'Trivsel efterår', instrumentId: 'trivselsvurdering', from: day(-10), to: day(10), institutionTypes: ['boernehave'] });
    expect(round.status).toBe(201);
    const list = await request(assessments.url).get(`/rounds/${round.body._id}/institutions/${units.kindergarten}`).set('authorization', educator);
    expect(list.status).toBe(200);
    const status = Object.fromEntries(list.body.children.map((c: { childId: string; status: string }) => [c.childId, c.status]));
    // The joint rating of the test above counts; the toddler has none.
    expect(status).toEqual({ [childId]: 'done', [toddler]: 'not-done' });
    // Each child's status on the list is a read of the child's record, logged on the child with the list as purpose.
    const listedReads = async (child: string) => (await assessments.audit.forChild(child)).filter((e) => e.purpose === 'round-list').map((e) => [e.operation, e.recordType, e.recordId, e.institutionId]);
    const read = ['read', 'round-status', round.body._id, units.kindergarten];
    expect([await listedReads(childId), await listedReads(toddler)]).toEqual([[read], [read]]);
    expect((await request(assessments.url).get(`/rounds/${round.body._id}/institutions/${units.kindergarten}`).set('authorization', otherInstitution)).status).toBe(403);
    // Per group: that group's children only (the toddler is in no group).
    const groupList = await request(assessments.url).get(`/rounds/${round.body._id}/groups/${units.group}`).set('authorization', educator);
    expect(groupList.status).toBe(200);
    expect(groupList.body).toEqual({ roundId: round.body._id, groupId: units.group, institutionId: units.kindergarten, applies: true, due: 1, done: 1, children: [{ childId, status: 'done' }] });
    expect((await request(assessments.url).get(`/rounds/${round.body._id}/groups/${units.group}`).set('authorization', otherInstitution)).status).toBe(403);
    // Only the children listed: the group's list names the child, not the toddler; a refused list names no one.
    expect([(await listedReads(childId)).length, (await listedReads(toddler)).length]).toEqual([2, 1]);
    expect((await request(assessments.url).get(`/rounds/${round.body._id}/groups/${units.kindergarten}`).set('authorization', educator)).status).toBe(404);
    // A round for schools does not apply to a kindergarten: no counts.
    const schools = await request(assessments.url).post('/rounds').set('authorization', consultant).send({ name: 'Trivsel skole', instrumentId: 'trivselsvurdering', from: day(-10), to: day(10), institutionTypes: ['skole'] });
    const none = await request(assessments.url).get(`/rounds/${schools.body._id}/institutions/${units.kindergarten}`).set('authorization', educator);
    expect(none.body).toEqual({ roundId: schools.body._id, institutionId: units.kindergarten, applies: false, children: [] });
  });

  test('language duties: a child around three in no daycare is due; in daycare only once staff presume a need', async () => {
    const consultant = await as('pedagogical-consultant', units.district);
    const wide = await request(assessments.url).get('/language-duties').set('authorization', consultant);
    expect(wide.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ childId: unplaced, inDaycare: false, duty: expect.objectContaining({ duty: 'three-year', status: 'due' }) })]));
    expect(wide.body.items.map((i: { childId: string }) => i.childId)).not.toContain(toddler);
    // Each child listed with its duty is a read of the child's record, logged on the child; a child not listed is not read.
    const dutyReads = async (child: string) => (await assessments.audit.forChild(child)).filter((e) => e.purpose === 'language-duties').map((e) => [e.operation, e.recordType, e.institutionId ?? null]);
    expect(await dutyReads(unplaced)).toEqual([['read', 'language-duty', null]]);
    const institution = () => request(assessments.url).get(`/language-duties?institutionId=${units.kindergarten}`).set('authorization', educator);
    expect((await institution()).body.items.map((i: { childId: string }) => i.childId)).not.toContain(toddler);
    expect(await dutyReads(toddler)).toEqual([]);
    await request(assessments.url).put(`/children/${toddler}/language-presumption`).set('authorization', educator).send({ presumedNeed: true }).expect(200);
    expect((await institution()).body.items).toEqual([expect.objectContaining({ childId: toddler, duty: expect.objectContaining({ duty: 'three-year', status: 'due' }) })]);
    expect(await dutyReads(toddler)).toEqual([['read', 'language-duty', units.kindergarten]]);
    // Another institution's staff may not record a judgement about the child: 403, as elsewhere.
    const foreign = await request(assessments.url).put(`/children/${toddler}/language-presumption`).set('authorization', otherInstitution).send({ presumedNeed: true });
    expect([foreign.status, foreign.body.code]).toEqual([403, 'RELATION_REQUIRED']);
    expect((await request(assessments.url).get('/language-duties').set('authorization', educator)).status).toBe(403);
  });

  test('an external standardised test result is recorded with source, date, score and interpretation', async () => {
    const recorded = await request(assessments.url).post(`/children/${childId}/external-results`).set('authorization', educator).send({ source: 'ordblindetesten', testName: 'Ordblindetesten, 3. klasse', testedOn: '2026-05-12', score: 38, maxScore: 52, interpretation: 'below-expected' });
    expect(recorded.status).toBe(201);
    expect(recorded.body).toMatchObject({ childId, institutionId: units.kindergarten, score: 38, interpretation: 'below-expected' });
    const bad = await request(assessments.url).post(`/children/${childId}/external-results`).set('authorization', educator).send({ source: 'ordblindetesten', testName: 'Ordblindetesten', testedOn: '2026-05-12', score: 60, maxScore: 52, interpretation: 'as-expected' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('score');
    // A code that reads as a CPR number would be published; it is refused before anything is written.
    const cprShaped = await request(assessments.url).post(`/children/${childId}/external-results`).set('authorization', educator).send({ source: 'a0101011234', testName: 'Test', testedOn: '2026-05-12', score: 1, interpretation: 'as-expected' });
    expect([cprShaped.status, cprShaped.body.errors?.[0]?.field]).toEqual([400, 'source']);
    expect(JSON.stringify(cprShaped.body)).not.toContain('0101011234');
    const twice = await request(assessments.url).post(`/children/${childId}/external-results`).set('authorization', educator).send({ source: 'ordblindetesten', testName: 'ordblindetesten, 3. KLASSE', testedOn: '2026-05-12', score: 40, maxScore: 52, interpretation: 'below-expected' });
    expect([twice.status, twice.body.code]).toEqual([409, 'RESULT_EXISTS']);
    const list = await request(assessments.url).get(`/children/${childId}/external-results`).set('authorization', educator);
    expect(list.body.items.map((r: { source: string }) => r.source)).toEqual(['ordblindetesten']);
    // Published for the handover (transitions), keyed by the child: codes, date and numbers, not the test's name as typed.
    const records = await readTopicUntil(brokers, topicFor('assessments', 'external-result'), 'the recorded result', (rs) => rs.some((r) => r.value!.includes(recorded.body.id)));
    const mine = records.filter((r) => r.value!.includes(recorded.body.id));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.key).toBe(childId);
    expect(JSON.parse(mine[0]!.value!)).toMatchObject({
      type: 'dk.spor.assessments.external-result.recorded.v1',
      subject: recorded.body.id,
      aggregateversion: 1,
      data: { resultId: recorded.body.id, childId, source: 'ordblindetesten', testedOn: '2026-05-12', score: 38, maxScore: 52, interpretation: 'below-expected', institutionId: units.kindergarten },
    });
    expect(mine[0]!.value).not.toMatch(/klasse/i);
    expect((await request(assessments.url).get(`/children/${childId}/external-results`).set('authorization', otherInstitution)).status).toBe(403);
    // In the parents' insight: the test, the day, the score and what it means; not who recorded it.
    const insight = await request(assessments.url).get(`/children/${childId}/insight`).set('authorization', await parent(mother));
    expect(insight.body.records['external-result']).toEqual([{ id: recorded.body.id, source: 'ordblindetesten', testName: 'Ordblindetesten, 3. klasse', testedOn: '2026-05-12', score: 38, maxScore: 52, interpretation: 'below-expected' }]);
  });

  test('a group’s learning environment is assessed, and its assessments and development over time are listed for staff who work with the group', async () => {
    const answers = { 'voksen-barn': 3, 'barn-barn': 4, legerum: 3, voksenleg: 3, 'rutiner-laering': 2, overgange: 3, indretning: 4, materialer: 3, 'boern-glad': 4, 'boern-venner': 3, 'boern-indflydelse': 3 };
    const done = await start({ instrumentId: 'laeringsmiljoe', groupId: units.group, complete: true, answers });
    expect(done.status).toBe(201);
    // A group has no age; a mean is no whole number (both checked against the HTTP contract too).
    expect(done.body).toMatchObject({ target: { kind: 'group', groupId: units.group }, institutionId: units.kindergarten, ageMonths: null, status: 'completed' });
    expect(done.body.results.find((r: { section: string }) => r.section === 'relationer')).toEqual({ section: 'relationer', score: 3.5, category: expect.any(String) });
    const draft = await start({ instrumentId: 'laeringsmiljoe', groupId: units.group, answers: { 'voksen-barn': 2 } });
    expect(draft.status).toBe(201);
    expect((await request(assessments.url).get(`/assessments/${draft.body.id}`).set('authorization', educator)).body).not.toHaveProperty('completedAt');

    // The kindergarten's staff work with its groups.
    const history = await request(assessments.url).get(`/groups/${units.group}/assessments`).set('authorization', colleague);
    expect(history.status).toBe(200);
    // (This file's clock stands still: both were made at the same instant, so their order is not asserted.)
    expect(history.body.items.map((a: { id: string }) => a.id).sort()).toEqual([done.body.id, draft.body.id].sort());
    expect(history.body.development).toEqual([{ instrumentId: 'laeringsmiljoe', points: [expect.objectContaining({ ageMonths: null, results: done.body.results })] }]);
    expect((await request(assessments.url).get(`/groups/${units.group}/assessments?instrumentId=motorik`).set('authorization', colleague)).body.items).toEqual([]);
    // Staff of the municipality who do not work with the group: 403, as for a child there; a group
    // that is unknown, or another municipality's, is 404.
    const groupHistory = (groupId: string, token: string) => request(assessments.url).get(`/groups/${groupId}/assessments`).set('authorization', token);
    const foreign = await groupHistory(units.group, otherInstitution);
    expect([foreign.status, foreign.body.code]).toEqual([403, 'RELATION_REQUIRED']);
    const foreignStart = await start({ instrumentId: 'laeringsmiljoe', groupId: units.group, answers: { 'voksen-barn': 2 } }, otherInstitution);
    expect([foreignStart.status, foreignStart.body.code]).toEqual([403, 'RELATION_REQUIRED']);
    expect((await groupHistory('00000000-0000-4000-8000-000000000000', otherInstitution)).status).toBe(404);
    expect((await groupHistory(units.kindergarten, colleague)).status).toBe(404);
    expect((await groupHistory(units.group, await bearer(identity, '751', 'educator', { roles: [{ role: 'educator', unitId: units.group }] }))).status).toBe(404);
    // An educator of the kindergarten's other group neither lists nor reads nor changes this group's assessments.
    const sibling = await as('educator', units.sibling);
    expect((await groupHistory(units.group, sibling)).status).toBe(403);
    expect((await request(assessments.url).get(`/assessments/${done.body.id}`).set('authorization', sibling)).status).toBe(403);
    expect((await request(assessments.url).patch(`/assessments/${draft.body.id}`).set('authorization', sibling).send({ answers: { 'voksen-barn': 1 } })).status).toBe(403);
    expect((await request(assessments.url).get(`/groups/${units.group}/assessments`).set('authorization', await parent(mother))).status).toBe(403);
    // Not in a child's history.
    const child = await request(assessments.url).get(`/children/${childId}/assessments`).set('authorization', educator);
    expect(child.body.items.map((a: { id: string }) => a.id)).not.toContain(done.body.id);
    // Kept as long as a child's assessment, counted from completion, though about no one child; a
    // draft never completed from the day it was started, so one nobody finishes does not stay for ever.
    const kind = assessments.privacy.retention.kind('group-assessment')!;
    const due = async (startedBy: number) => (await kind.candidates(new Date(startedBy))).map((c) => [c.id, c.childId ?? null]);
    const completedAt = Date.parse(done.body.completedAt);
    await eventsPublished(mongoUrl, assessments.config.ASSESSMENTS_DB_NAME, 'assessments');
    expect(await due(completedAt)).toContainEqual([done.body.id, null]);
    const startedAt = Date.parse(draft.body.createdAt);
    expect((await due(startedAt - 1)).map(([id]) => id)).not.toContain(draft.body.id);
    expect((await due(startedAt)).map(([id]) => id)).toContain(draft.body.id);
    expect((await due(completedAt - 1)).map(([id]) => id)).not.toContain(done.body.id);
    expect((await assessments.privacy.retention.kind('assessment')!.candidates(new Date(completedAt))).map((c) => c.id)).not.toContain(done.body.id);
  });

  test('an assessment stored before the child lookup key existed is in the child’s history again once the repository starts (backfill)', async () => {
    const done = await start({ instrumentId: 'motorik', childId, complete: true, answers: { hopper: 2, balance: 2, kaster: 2, trapper: 2, loeber: 2, blyant: 1, klipper: 1, perler: 1, tegner: 1, knapper: 1 } });
    expect(done.status).toBe(201);
    const ids = async () => ((await request(assessments.url).get(`/children/${childId}/assessments`).set('authorization', educator)).body.items as { id: string }[]).map((a) => a.id);
    expect(await ids()).toContain(done.body.id);
    const client = await MongoClient.connect(mongoUrl);
    try {
      const stored = client.db(assessments.config.ASSESSMENTS_DB_NAME).collection<{ _id: string }>('assessments');
      // As an older version stored it: no top-level key, so a lookup by the key does not find it.
      await stored.updateOne({ _id: done.body.id }, { $unset: { [CHILD_KEY]: '' } });
      expect(await ids()).not.toContain(done.body.id);
      await new AssessmentRepository(stored as never, new EventFactory('assessments', contractRegistry()), new KeyedMutex(), undefined as never).init();
      expect(await ids()).toContain(done.body.id);
      // The key is storage only: the answer does not carry it.
      const read = await request(assessments.url).get(`/assessments/${done.body.id}`).set('authorization', educator);
      expect(read.body).not.toHaveProperty(CHILD_KEY);
      expect(read.body.target).toEqual({ kind: 'child', childId });
    } finally {
      await client.close();
    }
  });

  test('every read and write is audited; after the child moves, the old institution loses access', async () => {
    const entries = await assessments.audit.forChild(childId);
    expect(new Set(entries.map((e) => e.operation))).toEqual(new Set(['create', 'create-completed', 'update', 'complete', 'amend', 'read', 'share', 'answer-as-parent']));
    expect(entries.filter((e) => e.recordType === 'external-result').map((e) => e.operation)).toEqual(['create', 'read']);
    const admin = await as('system-administrator', units.mun);
    const placement = (await request(transitions.url).get(`/children/${childId}/placements`).set('authorization', admin)).body.current[0];
    const moveOn = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    await request(transitions.url).post(`/children/${childId}/placements/${placement.placementId}/move`).set('authorization', admin).send({ institutionId: units.other, on: moveOn }).expect(201);
    const before = now;
    try {
      now = new Date(`${moveOn}T09:00:00Z`);
      await waitFor('assessments to learn of the move', async () => (await request(assessments.url).get(`/children/${childId}/assessments`).set('authorization', educator)).status === 403);
      // The new institution sees the child, but not the assessments made at the old one.
      const fresh = await request(assessments.url).get(`/children/${childId}/assessments`).set('authorization', otherInstitution);
      expect(fresh.status).toBe(200);
      expect(fresh.body.items).toEqual([]);
      const results = await request(assessments.url).get(`/children/${childId}/external-results`).set('authorization', otherInstitution);
      expect([results.status, results.body.items]).toEqual([200, []]);
      // Nor does it record a test from the child's time at the old one: that result is the old institution's.
      const earlier = await request(assessments.url).post(`/children/${childId}/external-results`).set('authorization', otherInstitution).send({ source: 'nationale-test-laesning', testName: 'Nationale test, læsning', testedOn: '2026-05-12', score: 40, interpretation: 'as-expected' });
      expect([earlier.status, earlier.body.code, earlier.body.errors[0].field]).toEqual([422, 'TESTED_ELSEWHERE', 'testedOn']);
    } finally {
      now = before;
    }
    expect(logs.text()).not.toMatch(/\b\d{6}-?\d{4}\b/);
  });

  test('a child who moved between two institutions of one leader: the first one’s records stay there, for the leader and for roles above both', async () => {
    const root = await bearer(identity, '510');
    const admin = await as('system-administrator', units.mun);
    const mover = (await request(identity.url).post('/admin/persons').set('authorization', root).send({ kind: 'child', cpr: cprOfAge(4), givenName: 'Flytter', familyName: 'Test' })).body.id as string;
    await waitFor('the mover enrolled', async () => (await request(transitions.url).post(`/children/${mover}/placements`).set('authorization', admin).send({ institutionId: units.kindergarten, from: '2025-01-01' })).status === 201, 60_000);
    const leader = await bearer(identity, '510', 'leader', { personId: '44444444-4444-4444-8444-444444444444', roles: [{ role: 'leader', unitId: units.kindergarten }, { role: 'leader', unitId: units.other }] });
    const consultant = await as('pedagogical-consultant', units.district);
    await waitFor('assessments to know the mover', async () => (await request(assessments.url).get(`/children/${mover}/assessments`).set('authorization', leader)).status === 200, 60_000);
    const motor = { hopper: 2, balance: 2, kaster: 2, trapper: 2, loeber: 2, blyant: 1, klipper: 1, perler: 1, tegner: 1, knapper: 1 };
    const first = await start({ instrumentId: 'motorik', childId: mover, answers: motor, complete: true }, leader);
    const firstDraft = await start({ instrumentId: 'motorik', childId: mover, answers: { hopper: 2 } }, leader);
    expect([first.body.institutionId, firstDraft.body.institutionId]).toEqual([units.kindergarten, units.kindergarten]);
    const testedOn = danishDay(now);
    const result = { source: 'ordblindetesten', testName: 'Ordblindetesten', testedOn, score: 30, maxScore: 52, interpretation: 'below-expected' };
    expect((await request(assessments.url).post(`/children/${mover}/external-results`).set('authorization', leader).send(result)).status).toBe(201);

    const placement = (await request(transitions.url).get(`/children/${mover}/placements`).set('authorization', admin)).body.current[0];
    const moveOn = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    await request(transitions.url).post(`/children/${mover}/placements/${placement.placementId}/move`).set('authorization', admin).send({ institutionId: units.other, on: moveOn }).expect(201);
    const before = now;
    try {
      now = new Date(`${moveOn}T09:00:00Z`);
      await waitFor('assessments to learn of the move', async () => (await request(assessments.url).get(`/children/${mover}/assessments`).set('authorization', colleague)).status === 403);
      const second = await start({ instrumentId: 'motorik', childId: mover, answers: motor, complete: true }, leader);
      expect([second.status, second.body.institutionId]).toEqual([201, units.other]);
      for (const token of [leader, consultant]) {
        const old = await request(assessments.url).get(`/assessments/${first.body.id}`).set('authorization', token);
        expect([old.status, old.body.code]).toEqual([403, 'RELATION_REQUIRED']);
        const change = await request(assessments.url).patch(`/assessments/${firstDraft.body.id}`).set('authorization', token).send({ answers: { balance: 2 } });
        expect([change.status, change.body.code]).toEqual([403, 'RELATION_REQUIRED']);
        expect((await request(assessments.url).post(`/assessments/${firstDraft.body.id}/complete`).set('authorization', token)).status).toBe(403);
        expect((await request(assessments.url).get(`/assessments/${second.body.id}`).set('authorization', token)).status).toBe(200);
        const history = await request(assessments.url).get(`/children/${mover}/assessments`).set('authorization', token);
        expect(history.body.items.map((a: { id: string }) => a.id)).toEqual([second.body.id]);
        // The test result taken at the first institution stays there too, and nothing more is recorded there.
        expect((await request(assessments.url).get(`/children/${mover}/external-results`).set('authorization', token)).body.items).toEqual([]);
        const late = await request(assessments.url).post(`/children/${mover}/external-results`).set('authorization', token).send({ ...result, testName: 'Ordblindetesten, igen', score: 31 });
        expect([late.status, late.body.code, late.body.errors[0].field]).toEqual([422, 'TESTED_ELSEWHERE', 'testedOn']);
      }
      // The refused draft is unchanged, and refusals leave no entry claiming a change.
      expect((await assessments.audit.forRecord(firstDraft.body.id)).map((e) => e.operation)).toEqual(['create']);
    } finally {
      now = before;
    }
  });

  test('an external test result leaves 3 years after the day of the test, archived first; the child’s assessments keep their own clock', async () => {
    const DAY = 86_400_000;
    const expires = Date.parse('2026-05-12T00:00:00Z') + 3 * 365 * DAY;
    const kind = assessments.privacy.retention.kind('external-result')!;
    expect((await kind.ofChild(childId)).map((r) => r.retainedFrom)).toEqual([new Date('2026-05-12T00:00:00Z')]);
    const before = now;
    await eventsPublished(mongoUrl, assessments.config.ASSESSMENTS_DB_NAME, 'assessments', 'external_results');
    try {
      now = new Date(expires - 60_000);
      expect(await assessments.privacy.sweep()).toMatchObject({ archived: 0, failed: 0 });
      now = new Date(expires);
      expect(await assessments.privacy.sweep()).toMatchObject({ archived: 1, disposed: 1, failed: 0 });
      expect(await kind.ofChild(childId)).toEqual([]);
      expect((await assessments.privacy.retention.disposalsOf(childId)).map((d) => [d.kind, d.status])).toEqual([['external-result', 'disposed']]);
      expect((await assessments.privacy.retention.kind('assessment')!.ofChild(childId)).length).toBeGreaterThan(0);
    } finally {
      now = before;
    }
  });

  test('a language presumption is in the child’s insight for its parents, and leaves 3 years after it was recorded', async () => {
    await request(assessments.url).put(`/children/${childId}/language-presumption`).set('authorization', educator).send({ presumedNeed: false }).expect(200);
    const insight = await request(assessments.url).get(`/children/${childId}/insight`).set('authorization', await parent(mother));
    // The judgement and when; staff appear by role and institution elsewhere, never by id.
    expect(insight.body.records['language-presumption']).toEqual([{ id: childId, presumedNeed: false, at: expect.any(String) }]);

    const kind = assessments.privacy.retention.kind('language-presumption')!;
    const [recorded] = await kind.ofChild(toddler);
    expect(recorded).toEqual({ id: toddler, retainedFrom: expect.any(Date) });
    // A disposal of an earlier judgement (archived with an earlier clock) leaves the one recorded since.
    expect(await kind.dispose(toddler, new Date(recorded!.retainedFrom!.getTime() - 86_400_000))).toBe('kept');
    expect(await kind.ofChild(toddler)).toEqual([recorded]);
    const before = now;
    try {
      now = new Date(recorded!.retainedFrom!.getTime() + 3 * 365 * 86_400_000 - 60_000);
      await assessments.privacy.sweep();
      expect(await kind.ofChild(toddler)).toHaveLength(1);
      now = new Date(recorded!.retainedFrom!.getTime() + 3 * 365 * 86_400_000);
      expect(await assessments.privacy.sweep()).toMatchObject({ failed: 0 });
      expect(await kind.ofChild(toddler)).toEqual([]);
      expect((await assessments.privacy.retention.disposalsOf(toddler)).map((d) => [d.kind, d.status])).toContainEqual(['language-presumption', 'disposed']);
    } finally {
      now = before;
    }
  });
  test('an independent rating is its rater’s own: only they fill it in and complete it, raters are counted by who rated, and it is not shared with parents', async () => {
    // A new round, after the joint ratings of the tests above (the latest a day after `now`).
    const before = now;
    now = new Date(now.getTime() + 2 * 86_400_000);
    try {
      await ownRatings();
    } finally {
      now = before;
    }
  });

  async function ownRatings() {
    const draft = await start({ instrumentId: 'trivselsvurdering', childId, answers: { samlet: 'green' } });
    expect(draft.body.rating).toBe('independent');
    const edited = await request(assessments.url).patch(`/assessments/${draft.body.id}`).set('authorization', colleague).send({ answers: { samlet: 'yellow' } });
    expect([edited.status, edited.body.code]).toEqual([403, 'RATER_REQUIRED']);
    const completedByOther = await request(assessments.url).post(`/assessments/${draft.body.id}/complete`).set('authorization', colleague);
    expect([completedByOther.status, completedByOther.body.code]).toEqual([403, 'RATER_REQUIRED']);
    await request(assessments.url).post(`/assessments/${draft.body.id}/complete`).set('authorization', educator).expect(200);
    // Sealed to the colleague until the colleague has rated too: listed (for the joint rating), not what it says.
    const read = () => request(assessments.url).get(`/assessments/${draft.body.id}`).set('authorization', colleague);
    expect((await read()).body).toMatchObject({ id: draft.body.id, sealed: true, answers: {}, results: [], createdBy: draft.body.createdBy });
    const listed = (await request(assessments.url).get(`/children/${childId}/assessments?instrumentId=trivselsvurdering`).set('authorization', colleague)).body.items.find((a: { id: string }) => a.id === draft.body.id);
    expect(listed).toMatchObject({ sealed: true, answers: {} });
    expect((await request(assessments.url).get(`/assessments/${draft.body.id}`).set('authorization', educator)).body).not.toHaveProperty('sealed');
    const own = await start({ instrumentId: 'trivselsvurdering', childId, answers: { samlet: 'yellow', omraader: ['socialt'] }, complete: true }, colleague);
    expect(own.status).toBe(201);
    expect((await read()).body).toMatchObject({ answers: { samlet: 'green' }, results: [{ section: 'trivsel', category: 'green' }] });
    expect((await read()).body).not.toHaveProperty('sealed');
    // Two ratings by one professional are one rater.
    const again = await start({ instrumentId: 'trivselsvurdering', childId, answers: { samlet: 'green' }, complete: true });
    const joint = await start({ instrumentId: 'trivselsvurdering', childId, rating: 'joint', basedOn: [draft.body.id, again.body.id], answers: { samlet: 'green' } });
    expect([joint.status, joint.body.code]).toEqual([422, 'RATINGS_MISSING']);
    const shared = await request(assessments.url).post(`/assessments/${draft.body.id}/sharing`).set('authorization', educator).send({ sharedWithParents: true });
    expect([shared.status, shared.body.code, shared.body.errors?.[0]?.field]).toEqual([422, 'NOT_SHAREABLE', 'sharedWithParents']);
    // Not even "stop sharing", whose answer would be the whole rating to a colleague it is sealed to.
    const third = await as('educator', units.kindergarten, '33333333-3333-4333-8333-333333333333');
    const unshare = await request(assessments.url).post(`/assessments/${draft.body.id}/sharing`).set('authorization', third).send({ sharedWithParents: false });
    expect([unshare.status, unshare.body.code]).toEqual([422, 'NOT_SHAREABLE']);
    expect(JSON.stringify(unshare.body)).not.toContain('green');
  }

  test('an amendment that turns the team’s rating red raises the concern too; one that changes nothing is refused and leaves no audit entry', async () => {
    // The next round, after the ratings of the tests above (the latest two days after `now`).
    const before = now;
    now = new Date(now.getTime() + 3 * 86_400_000);
    try {
      await amendedToRed();
    } finally {
      now = before;
    }
  });

  async function amendedToRed() {
    const rate = async (token: string, light: string) => (await start({ instrumentId: 'trivselsvurdering', childId, answers: { samlet: light, ...(light === 'green' ? {} : { omraader: ['socialt'] }) }, complete: true }, token)).body.id as string;
    const basedOn = [await rate(educator, 'green'), await rate(colleague, 'yellow')];
    const joint = await start({ instrumentId: 'trivselsvurdering', childId, rating: 'joint', basedOn, answers: { samlet: 'green' }, complete: true });
    expect(joint.status).toBe(201);
    const amend = (answers: object) => request(assessments.url).post(`/assessments/${joint.body.id}/amendments`).set('authorization', educator).send({ answers, reason: 'Rettet efter teammødet' });
    const unchanged = await amend({ samlet: 'green' });
    expect([unchanged.status, unchanged.body.code]).toEqual([422, 'AMENDMENT_UNCHANGED']);
    const operations = async () => (await assessments.audit.forRecord(joint.body.id)).map((e) => e.operation);
    expect(await operations()).toEqual(['create-completed']);
    // A change refused by the domain (a completed assessment is not edited) leaves no entry either.
    expect((await request(assessments.url).patch(`/assessments/${joint.body.id}`).set('authorization', educator).send({ answers: { samlet: 'red' } })).status).toBe(409);
    expect(await operations()).toEqual(['create-completed']);
    expect((await amend({ samlet: 'red', omraader: ['familie'] })).status).toBe(201);
    expect(await operations()).toEqual(['create-completed', 'amend']);
    const records = await readTopicUntil(brokers, topicFor('assessments', 'assessment'), 'the concern of the amendment', (rs) => rs.some((r) => r.value!.includes('concern-raised') && r.value!.includes(joint.body.id)));
    const types = records.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === joint.body.id).map((e) => `${e.type}@${e.aggregateversion}`);
    expect(types).toEqual(['dk.spor.assessments.assessment.completed.v1@1', 'dk.spor.assessments.assessment.amended.v1@2', 'dk.spor.assessments.assessment.concern-raised.v1@2']);

    // Behind a newer rating that is not red, an older one amended red raises nothing: no prompt rests on it.
    expect((await amend({ samlet: 'green' })).status).toBe(201);
    now = new Date(now.getTime() + 3_600_000);
    const newer = [await rate(educator, 'green'), await rate(colleague, 'green')];
    const latest = await start({ instrumentId: 'trivselsvurdering', childId, rating: 'joint', basedOn: newer, answers: { samlet: 'green' }, complete: true });
    expect(latest.status).toBe(201);
    expect((await amend({ samlet: 'red', omraader: ['familie'] })).status).toBe(201);
    expect((await request(assessments.url).get(`/children/${childId}/assessments`).set('authorization', educator)).body.prompts).toEqual([]);
    // The newest rating's amendment is published after it, on the child's partition: once it is read, so is all before it.
    const amendLatest = await request(assessments.url).post(`/assessments/${latest.body.id}/amendments`).set('authorization', educator).send({ answers: { samlet: 'green', omraader: [] }, reason: 'Rettet efter teammødet' });
    expect(amendLatest.status).toBe(201);
    const after = await readTopicUntil(brokers, topicFor('assessments', 'assessment'), 'the newest rating amended', (rs) => rs.some((r) => r.value!.includes('amended') && r.value!.includes(latest.body.id)));
    const since = after.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === joint.body.id).map((e) => `${e.type}@${e.aggregateversion}`);
    // Amended back to green, the joint rating the prompt rested on ends it (concern-lifted), with the same version as its amendment.
    const events = after.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === joint.body.id);
    expect(since.slice(3)).toEqual(['dk.spor.assessments.assessment.amended.v1@3', 'dk.spor.assessments.assessment.concern-lifted.v1@3', 'dk.spor.assessments.assessment.amended.v1@4']);
    const lifted = events.find((e) => e.type.endsWith('concern-lifted.v1'));
    expect(lifted.data).toMatchObject({ assessmentId: joint.body.id, promptAssessmentId: joint.body.id, reason: 'amended', target: 'child', childId, results: [{ category: 'green' }] });
    expect(contractRegistry().check(lifted)).toEqual([]);
    // The newer green rating lifted nothing: no prompt rested anywhere when it was completed.
    expect(after.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === latest.body.id).map((e) => e.type.split('.')[4])).toEqual(['completed', 'amended']);

    // The newest rating amended red prompts again; a newer team rating that is not red ends that prompt.
    const toRed = await request(assessments.url).post(`/assessments/${latest.body.id}/amendments`).set('authorization', educator).send({ answers: { samlet: 'red', omraader: ['familie'] }, reason: 'Rettet efter teammødet' });
    expect(toRed.status).toBe(201);
    now = new Date(now.getTime() + 3_600_000);
    const round = [await rate(educator, 'green'), await rate(colleague, 'yellow')];
    const calmer = await start({ instrumentId: 'trivselsvurdering', childId, rating: 'joint', basedOn: round, answers: { samlet: 'yellow', omraader: ['socialt'] }, complete: true });
    expect(calmer.status).toBe(201);
    const ended = await readTopicUntil(brokers, topicFor('assessments', 'assessment'), 'the prompt ended by a newer rating', (rs) => rs.some((r) => r.value!.includes('concern-lifted') && r.value!.includes(calmer.body.id)));
    const byNewer = ended.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === calmer.body.id);
    expect(byNewer.map((e) => `${e.type.split('.')[4]}@${e.aggregateversion}`)).toEqual(['completed@1', 'concern-lifted@1']);
    expect(byNewer[1].data).toMatchObject({ assessmentId: calmer.body.id, promptAssessmentId: latest.body.id, reason: 'newer-rating', results: [{ category: 'yellow' }] });
    expect((await request(assessments.url).get(`/children/${childId}/assessments`).set('authorization', educator)).body.prompts).toEqual([]);
  }

  test('a child is assessed at its age on the day the assessment is completed: a later age band, or refused once outgrown', async () => {
    // The toddler (37 or 38 months, in no group) is assessed by a colleague on the institution; motor skills is for 24–84 months.
    const motor = { hopper: 2, balance: 2, kaster: 2, trapper: 2, loeber: 2, blyant: 1, klipper: 1, perler: 1, tegner: 1, knapper: 1 };
    const started = await start({ instrumentId: 'motorik', childId: toddler, answers: motor }, colleague);
    const outgrown = await start({ instrumentId: 'motorik', childId: toddler, answers: motor }, colleague);
    const startedAt = started.body.ageMonths as number;
    const before = now;
    const completeAt = (id: string, days: number) => {
      now = new Date(before.getTime() + days * 86_400_000);
      return request(assessments.url).post(`/assessments/${id}/complete`).set('authorization', colleague);
    };
    try {
      const done = await completeAt(started.body.id, 300);
      expect(done.status).toBe(200);
      expect(done.body.ageMonths).toBeGreaterThanOrEqual(startedAt + 9);
      // Four years on, the child is past 84 months.
      const late = await completeAt(outgrown.body.id, 4 * 365);
      expect([late.status, late.body.code, late.body.errors[0].field]).toEqual([422, 'OUTSIDE_AGE_RANGE', 'childId']);
      // Completing a completed one is still 409, whatever the age.
      expect((await completeAt(started.body.id, 4 * 365)).status).toBe(409);
      expect((await request(assessments.url).get(`/assessments/${outgrown.body.id}`).set('authorization', colleague)).body.status).toBe('draft');
    } finally {
      now = before;
    }
  });

  test('answers of any shape that do not fit are 422 naming the items, not a 400; a NUL character anywhere is the 400 naming where', async () => {
    const odd = await start({ instrumentId: 'sprogvurdering', childId, answers: { note: 'x'.repeat(4001), rim: { svar: true }, constructor: 1 } });
    expect(odd.status).toBe(422);
    expect(odd.body.code).toBe('ANSWERS_INVALID');
    expect(odd.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['answers.constructor', 'answers.note', 'answers.rim']);
    // A NUL character is no text any store here keeps (it was a 500 from FerretDB): 400 naming where it is.
    const nul = await start({ instrumentId: 'sprogvurdering', childId, answers: { note: 'Taler\u0000' } });
    expect([nul.status, nul.body.code, nul.body.errors]).toEqual([400, 'VALIDATION_FAILED', [{ in: 'body', field: 'answers.note', message: expect.stringContaining('U+0000') }]]);
  });

  test('a municipality’s own instrument: a version looked for before it was published is found once it is, and a child outside its age range is refused', async () => {
    const consultant = await as('pedagogical-consultant', units.district);
    const instrumentId = `skoleparat-${Math.floor(Math.random() * 1e6)}`;
    const version = () => request(assessments.url).get(`/instruments/${instrumentId}/versions/1`).set('authorization', educator);
    expect((await version()).status).toBe(404);
    const definition = {
      title: 'Skoleparathed',
      description: 'Kommunens egen vurdering før skolestart',
      target: 'child',
      institutionTypes: ['boernehave'],
      ageMonths: { min: 40, max: 84 },
      parentsTakePart: false,
      sections: [{ id: 'parat', title: 'Parathed', items: [{ id: 'koncentration', text: 'Kan fastholde opmærksomheden', type: 'scale', required: true, min: 1, max: 4 }] }],
      scoring: [{ section: 'parat', method: 'sum', categories: [{ id: 'parat', label: 'Parat', min: 3 }, { id: 'opmaerksomhed', label: 'Opmærksomhed', max: 2 }] }],
    };
    expect((await request(assessments.url).put(`/instruments/${instrumentId}/draft`).set('authorization', consultant).send(definition)).status).toBe(200);
    expect((await request(assessments.url).post(`/instruments/${instrumentId}/draft/publish`).set('authorization', consultant)).status).toBe(201);
    expect((await version()).status).toBe(200);
    const draft = await start({ instrumentId, childId });
    expect(draft.status).toBe(201);
    const patched = await request(assessments.url).patch(`/assessments/${draft.body.id}`).set('authorization', educator).send({ answers: { koncentration: 3 } });
    expect(patched.status).toBe(200);
    // The toddler is three: younger than the instrument is written for.
    const young = await start({ instrumentId, childId: toddler }, colleague);
    expect([young.status, young.body.code, young.body.errors[0].field]).toEqual([422, 'OUTSIDE_AGE_RANGE', 'childId']);
    // Who drafted and who published how the municipality's children are categorised is on the record.
    expect((await assessments.audit.forRecord(instrumentId)).map((e) => [e.recordType, e.operation])).toEqual([
      ['instrument-draft', 'update'],
      ['instrument', 'create'],
    ]);

    // A draft saved before a check it fails was added (stored here as an older version left it) is held to the check as it is published.
    const store = await MongoClient.connect(mongoUrl);
    try {
      const older = `gruppe-${Math.floor(Math.random() * 1e6)}`;
      const groupWithParents = { ...definition, instrumentId: older, version: 0, target: 'group', ageMonths: undefined, parentsTakePart: true, sections: [...definition.sections, { id: 'foraeldre', title: 'F', parents: true, items: [{ id: 'f1', text: 'F', type: 'free-text', required: false }] }] };
      await store.db(assessments.config.ASSESSMENTS_DB_NAME).collection('instruments').insertOne({ _id: `510:${older}:draft` as never, municipalityId: '510', instrumentId: older, status: 'draft', version: 0, definition: JSON.parse(JSON.stringify(groupWithParents)), savedAt: new Date(), savedBy: 'earlier' });
      const refused = await request(assessments.url).post(`/instruments/${older}/draft/publish`).set('authorization', consultant);
      expect([refused.status, refused.body.code, refused.body.errors.map((e: { field: string }) => e.field)]).toEqual([422, 'INSTRUMENT_INVALID', ['parentsTakePart']]);
      expect((await request(assessments.url).get(`/instruments/${older}/versions/1`).set('authorization', educator)).status).toBe(404);
    } finally {
      await store.close();
    }
  });

  test('the parents’ insight shows a shared assessment as their own view does: results, never staff’s answers or notes', async () => {
    const screening = await start({ instrumentId: 'sprogvurdering', childId, answers: { ...yes(10), note: 'Et notat fra pædagogen' }, complete: true });
    expect(screening.status).toBe(201);
    await request(assessments.url).post(`/assessments/${screening.body.id}/sharing`).set('authorization', educator).send({ sharedWithParents: true }).expect(200);
    // Sharing what is shared already writes nothing: the same version, a read in the log.
    const again = await request(assessments.url).post(`/assessments/${screening.body.id}/sharing`).set('authorization', educator).send({ sharedWithParents: true });
    expect([again.status, again.body.version]).toEqual([200, 2]);
    expect((await assessments.audit.forRecord(screening.body.id)).map((e) => e.operation)).toEqual(['create-completed', 'share', 'read']);
    const asParent = await request(assessments.url).get(`/assessments/${screening.body.id}`).set('authorization', await parent(mother));
    const insight = await request(assessments.url).get(`/children/${childId}/insight`).set('authorization', await parent(mother));
    expect(insight.status).toBe(200);
    const record = insight.body.records.assessment.find((r: { id: string }) => r.id === screening.body.id);
    // All but the parents' answers: stored with every custody holder's, a field list cannot pick the reader's own (parent-answers.test.ts).
    expect(Object.keys(record).sort()).toEqual(Object.keys(asParent.body).filter((k) => asParent.body[k] !== null && k !== 'parentAnswers').sort());
    expect(JSON.stringify(insight.body.records.assessment)).not.toContain('notat fra');
    // Staff still see all of it.
    expect((await request(assessments.url).get(`/assessments/${screening.body.id}`).set('authorization', educator)).body.answers.note).toBe('Et notat fra pædagogen');
  });

  test('rounds: one instrument’s windows for the same institutions do not overlap; the list of rounds is for staff', async () => {
    const consultant = await as('pedagogical-consultant', units.district);
    const body = { name: 'Trivsel forår', instrumentId: 'trivselsvurdering', from: '2031-02-01', to: '2031-03-31', institutionTypes: ['boernehave', 'vuggestue'] };
    expect((await request(assessments.url).post('/rounds').set('authorization', consultant).send(body)).status).toBe(201);
    const overlapping = await request(assessments.url).post('/rounds').set('authorization', consultant).send({ ...body, from: '2031-03-15', to: '2031-04-30', institutionTypes: ['boernehave'] });
    expect([overlapping.status, overlapping.body.code]).toEqual([409, 'ROUND_OVERLAPS']);
    expect((await request(assessments.url).post('/rounds').set('authorization', consultant).send({ ...body, from: '2031-03-15', to: '2031-04-30', institutionTypes: ['skole'] })).status).toBe(201);
    // A round at kinds of institution where the instrument is not used (alsidig-udvikling is for daycare) is refused, naming them.
    const notUsed = await request(assessments.url).post('/rounds').set('authorization', consultant).send({ ...body, instrumentId: 'alsidig-udvikling', institutionTypes: ['boernehave', 'skole', 'sfo'] });
    expect([notUsed.status, notUsed.body.code, notUsed.body.errors]).toEqual([422, 'ROUND_INVALID', [{ in: 'body', field: 'institutionTypes', message: 'alsidig-udvikling is not used at skole, sfo' }]]);
    expect((await request(assessments.url).get('/rounds').set('authorization', consultant)).body.items.map((r: { instrumentId: string }) => r.instrumentId)).not.toContain('alsidig-udvikling');
    expect((await request(assessments.url).get('/rounds').set('authorization', await parent(mother))).status).toBe(403);
  });
  test('a child in school and SFO is screened at the school, whichever placement came first; an instrument for neither is 422', async () => {
    const root = await bearer(identity, '510');
    const post = async (path: string, body: object) => (await request(identity.url).post(path).set('authorization', root).send(body)).body.id as string;
    const sfo = await post('/admin/org-units', { kind: 'institution', name: 'SFO', parentId: units.district, institutionType: 'sfo' });
    const pupil = await post('/admin/persons', { kind: 'child', cpr: cprOfAge(6), givenName: 'Skole', familyName: 'Barn' });
    const admin = await as('system-administrator', units.mun);
    // The SFO placement is the older one, so it comes first.
    await waitFor('the pupil in SFO', async () => (await request(transitions.url).post(`/children/${pupil}/placements`).set('authorization', admin).send({ institutionId: sfo, from: '2026-04-01' })).status === 201, 60_000);
    await waitFor('the pupil in school', async () => (await request(transitions.url).post(`/children/${pupil}/placements`).set('authorization', admin).send({ institutionId: units.school, from: '2026-08-01' })).status === 201, 60_000);
    const consultant = await as('pedagogical-consultant', units.district);
    await waitFor('assessments to know both placements', async () => (await request(assessments.url).get(`/language-duties?institutionId=${units.school}`).set('authorization', consultant)).status === 200 && (await request(assessments.url).get(`/children/${pupil}/assessments`).set('authorization', consultant)).status === 200);
    let screening!: request.Response;
    await waitFor('the screening at the school', async () => (screening = await start({ instrumentId: 'sprogvurdering', childId: pupil }, consultant)).status === 201);
    expect(screening.body.institutionId).toBe(units.school);
    const daycareOnly = await start({ instrumentId: 'alsidig-udvikling', childId: pupil }, consultant);
    expect([daycareOnly.status, daycareOnly.body.code]).toEqual([422, 'INSTRUMENT_NOT_FOR_INSTITUTION']);

    // Two teams rate the pupil's well-being, the school's and the SFO's, each its own round.
    const staff = async (unitId: string, n: number) => as('educator', unitId, `${unitId.slice(0, 8)}-0000-4000-8000-00000000000${n}`);
    const [teacher1, teacher2, sfo1, sfo2] = [await staff(units.school, 1), await staff(units.school, 2), await staff(sfo, 1), await staff(sfo, 2)];
    const rate = async (token: string, light: string) => {
      const rated = await start({ instrumentId: 'trivselsvurdering', childId: pupil, answers: { samlet: light, ...(light === 'green' ? {} : { omraader: ['socialt'] }) }, complete: true }, token);
      expect(rated.status).toBe(201);
      return rated.body as { id: string; institutionId: string };
    };
    const school = [await rate(teacher1, 'red'), await rate(teacher2, 'red')];
    expect(school.map((r) => r.institutionId)).toEqual([units.school, units.school]);
    const schoolJoint = await start({ instrumentId: 'trivselsvurdering', childId: pupil, rating: 'joint', basedOn: school.map((r) => r.id), answers: { samlet: 'red', omraader: ['familie'] }, complete: true }, teacher1);
    expect(schoolJoint.status).toBe(201);
    // The SFO's round is its own: the school's joint rating neither ends it nor opens the school's ratings to it.
    const sfoRatings = [await rate(sfo1, 'green'), await rate(sfo2, 'green')];
    expect(sfoRatings.map((r) => r.institutionId)).toEqual([sfo, sfo]);
    const sfoJoint = await start({ instrumentId: 'trivselsvurdering', childId: pupil, rating: 'joint', basedOn: sfoRatings.map((r) => r.id), answers: { samlet: 'green' }, complete: true }, sfo1);
    expect([sfoJoint.status, sfoJoint.body.code]).toEqual([201, undefined]);
    // The SFO's green rating lifts no prompt of the school's team: the school's staff, and those above both, still see it.
    const prompts = async (token: string) => (await request(assessments.url).get(`/children/${pupil}/assessments`).set('authorization', token)).body.prompts as { assessmentId: string; institutionId: string }[];
    expect(await prompts(teacher2)).toEqual([expect.objectContaining({ assessmentId: schoolJoint.body.id, institutionId: units.school })]);
    expect(await prompts(consultant)).toEqual([expect.objectContaining({ assessmentId: schoolJoint.body.id, institutionId: units.school })]);
    expect(await prompts(sfo2)).toEqual([]);
    const records = await readTopicUntil(brokers, topicFor('assessments', 'assessment'), 'the SFO’s joint rating', (rs) => rs.some((r) => r.value!.includes(sfoJoint.body.id)));
    const published = records.map((r) => JSON.parse(r.value!)).filter((e) => e.data.childId === pupil && e.data.rating === 'joint');
    expect(published.map((e) => `${e.type.split('.')[4]} ${e.data.institutionId === sfo ? 'sfo' : 'school'}`)).toEqual(['completed school', 'concern-raised school', 'completed sfo']);
  });
});
