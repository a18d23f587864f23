// The parents' part of the all-round development assessment when the child has two custody
// holders (often so, and separated parents among them): each answers for themself. Before, the
// second parent's PUT replaced the first one's answers, free text included, and each parent then
// read the other's words as their own. Over HTTP, with identity and transitions beside it on the
// real broker and store.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { MongoClient } from 'mongodb';
import { NSIS_LEVELS } from '@spor/auth';
import { topicFor } from '@spor/events';
import { quietLogger, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, cprBornOn, startTestIdentity } from '../../identity/test/support.js';
import { startTransitions, type RunningTransitions } from '../../transitions/src/service.js';
import { startAssessments, type RunningAssessments } from '../src/service.js';

const { brokers, mongoUrl } = testInfra();
let identity: RunningIdentity;
let transitions: RunningTransitions;
let assessments: RunningAssessments;
let now = new Date();
let childId: string;
let mother: string;
let father: string;
let educator: string;

const parent = (personId: string) => bearer(identity, '510', 'educator', { personId, kind: 'parent', roles: [], acr: NSIS_LEVELS.substantial });
const themes = ['personlig', 'social', 'sprog', 'krop', 'natur', 'kultur'];
const staffAnswers = Object.fromEntries(themes.flatMap((t) => [[`${t}-engagement`, 3], [`${t}-mestring`, 3]]));

beforeAll(async () => {
  identity = await startTestIdentity();
  const root = await bearer(identity, '510');
  const post = async (path: string, body: object) => (await request(identity.url).post(path).set('authorization', root).send(body)).body.id as string;
  const mun = await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' });
  const district = await post('/admin/org-units', { kind: 'district', name: 'D', parentId: mun });
  const kindergarten = await post('/admin/org-units', { kind: 'institution', name: 'Børnehaven', parentId: district, institutionType: 'boernehave' });
  const group = await post('/admin/org-units', { kind: 'group', name: 'Mariehønen', parentId: kindergarten });
  const serial = Math.floor(Math.random() * 900);
  // Four years old: inside the all-round development assessment's ages.
  childId = await post('/admin/persons', { kind: 'child', cpr: cprBornOn(new Date(Date.now() - 4 * 365 * 86_400_000), 4000 + serial), givenName: 'Barn', familyName: 'Test' });
  mother = await post('/admin/persons', { kind: 'parent', cpr: `0101851${100 + Math.floor(Math.random() * 899)}`, givenName: 'Mor', familyName: 'Test' });
  father = await post('/admin/persons', { kind: 'parent', cpr: `0303821${100 + Math.floor(Math.random() * 899)}`, givenName: 'Far', familyName: 'Test' });
  for (const parentId of [mother, father]) await request(identity.url).put('/admin/guardianships').set('authorization', root).send({ parentId, childId, custody: true }).expect((r) => expect(r.status).toBeLessThan(300));
  educator = await bearer(identity, '510', 'educator', { roles: [{ role: 'educator', unitId: group }], personId: '11111111-1111-4111-8111-111111111111' });

  const common = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` };
  transitions = await startTransitions({ ...common, TRANSITIONS_DB_NAME: uniqueName('transitions-test'), TRANSITIONS_CONSUMER_GROUP: uniqueName('transitions') }, { logger: quietLogger() });
  assessments = await startAssessments({ ...common, ASSESSMENTS_DB_NAME: uniqueName('parent-answers-test'), ASSESSMENTS_CONSUMER_GROUP: uniqueName('assessments') }, { logger: quietLogger(), clock: () => now });
  const admin = await bearer(identity, '510', 'system-administrator', { roles: [{ role: 'system-administrator', unitId: mun }] });
  await waitFor('the child enrolled', async () => (await request(transitions.url).post(`/children/${childId}/placements`).set('authorization', admin).send({ institutionId: kindergarten, groupId: group, from: '2024-01-01' })).status === 201, 60_000);
  await waitFor('assessments to know the placement', async () => (await request(assessments.url).get(`/children/${childId}/assessments`).set('authorization', educator)).status === 200, 60_000);
  for (const parentId of [mother, father]) {
    const token = await parent(parentId);
    await waitFor('assessments to know both custody holders', async () => (await request(assessments.url).get(`/children/${childId}/assessments`).set('authorization', token)).status === 200, 60_000);
  }
}, 180_000);

afterAll(async () => {
  await assessments.runtime.shutdown();
  await transitions.runtime.shutdown();
  await identity.runtime.shutdown();
});

/** An all-round development assessment of the child, shared with the parents. */
async function sharedDialog(): Promise<string> {
  const created = await request(assessments.url).post('/assessments').set('authorization', educator).send({ instrumentId: 'alsidig-udvikling', childId, answers: staffAnswers });
  expect(created.status).toBe(201);
  await request(assessments.url).post(`/assessments/${created.body.id}/sharing`).set('authorization', educator).send({ sharedWithParents: true }).expect(200);
  return created.body.id as string;
}

const answerAs = (token: string, id: string, body: object) => request(assessments.url).put(`/assessments/${id}/parent-answers`).set('authorization', token).send(body);
const read = (token: string, id: string) => request(assessments.url).get(`/assessments/${id}`).set('authorization', token);

describe('the parents’ part with two custody holders', () => {
  test('both answer: both sets are kept; each parent reads and changes only their own; staff read both by parent id; completed, both are locked and no event carries them', async () => {
    const id = await sharedDialog();
    const [mine, his] = [await parent(mother), await parent(father)];
    const motherSays = { 'foraeldre-trivsel': 4, 'foraeldre-bekymring': 'Mor: hun sover dårligt efter weekenderne hos far' };
    const fatherSays = { 'foraeldre-trivsel': 2, 'foraeldre-bekymring': 'Far: hun er ked af det når hun skal tilbage til mor' };
    const motherAt = now.toISOString();
    const first = await answerAs(mine, id, { answers: motherSays });
    expect([first.status, first.body.parentAnswers]).toEqual([200, motherSays]);
    now = new Date(now.getTime() + 3_600_000);
    const fatherAt = now.toISOString();
    const second = await answerAs(his, id, { answers: fatherSays });
    // The father's answer shows him his own, nothing of the mother's.
    expect([second.status, second.body.parentAnswers]).toEqual([200, fatherSays]);
    expect(JSON.stringify(second.body)).not.toMatch(/Mor:|hos far/);

    // Both are kept, each under the parent who gave it, for staff (person ids, no names).
    const both = [
      { parentId: mother, answers: motherSays, answeredAt: motherAt },
      { parentId: father, answers: fatherSays, answeredAt: fatherAt },
    ];
    const staffRead = await read(educator, id);
    expect(staffRead.body.parentAnswers).toEqual(both);
    expect(JSON.stringify(staffRead.body)).not.toMatch(/Mor Test|Far Test/);
    const staffList = await request(assessments.url).get(`/children/${childId}/assessments`).set('authorization', educator);
    expect(staffList.body.items.find((a: { id: string }) => a.id === id).parentAnswers).toEqual(both);

    // Each parent reads only their own, alone and in the child's list, and nothing of the other's, not even their id.
    for (const [token, own, other, otherId] of [[mine, motherSays, /Far:|tilbage til mor/, father], [his, fatherSays, /Mor:|hos far/, mother]] as const) {
      const alone = await read(token, id);
      expect([alone.status, alone.body.parentAnswers]).toEqual([200, own]);
      const list = await request(assessments.url).get(`/children/${childId}/assessments`).set('authorization', token);
      expect(list.body.items.find((a: { id: string }) => a.id === id).parentAnswers).toEqual(own);
      for (const body of [JSON.stringify(alone.body), JSON.stringify(list.body)]) {
        expect(body).not.toMatch(other);
        expect(body).not.toContain(otherId);
      }
    }

    // Their insight shows each parent the answers they gave, never the other's.
    for (const [token, own, other] of [[mine, motherSays, /Far:/], [his, fatherSays, /Mor:/]] as const) {
      const insight = await request(assessments.url).get(`/children/${childId}/insight`).set('authorization', token);
      const record = insight.body.records.assessment.find((r: { id: string }) => r.id === id);
      expect(record).toMatchObject({ instrumentId: 'alsidig-udvikling', ownAnswers: own });
      expect(record).not.toHaveProperty('parentAnswers');
      expect(JSON.stringify(insight.body.records)).not.toMatch(other);
    }

    // A parent cannot answer for the other: the body names no parent (whose answers they are is who signed in) ...
    const forHer = await answerAs(his, id, { parentId: mother, answers: { 'foraeldre-trivsel': 1 } });
    expect([forHer.status, forHer.body.code, forHer.body.detail]).toEqual([400, 'VALIDATION_FAILED', expect.stringContaining('parentId')]);
    // ... and changing their own leaves the other's as they were.
    now = new Date(now.getTime() + 3_600_000);
    const fatherAgain = { 'foraeldre-trivsel': 3 };
    expect((await answerAs(his, id, { answers: fatherAgain })).body.parentAnswers).toEqual(fatherAgain);
    expect((await read(educator, id)).body.parentAnswers).toEqual([both[0], { parentId: father, answers: fatherAgain, answeredAt: now.toISOString() }]);
    expect((await read(mine, id)).body.parentAnswers).toEqual(motherSays);

    // The same answers again write nothing: a read, at the same version.
    const version = (await read(educator, id)).headers.etag;
    const same = await answerAs(mine, id, { answers: motherSays });
    expect([same.status, same.headers.etag]).toEqual([200, version]);
    const changes = (await assessments.audit.forRecord(id)).filter((e) => e.operation !== 'read').map((e) => [e.operation, e.actor === mother ? 'mother' : e.actor === father ? 'father' : 'staff']);
    expect(changes).toEqual([['create', 'staff'], ['share', 'staff'], ['answer-as-parent', 'mother'], ['answer-as-parent', 'father'], ['answer-as-parent', 'father']]);

    // Completed, both parents' answers are locked with the rest.
    expect((await request(assessments.url).post(`/assessments/${id}/complete`).set('authorization', educator)).status).toBe(200);
    for (const token of [mine, his]) expect((await answerAs(token, id, { answers: { 'foraeldre-trivsel': 1 } })).body.code).toBe('ASSESSMENT_COMPLETED');
    // The completion event carries categories, none of the parents' answers and no parent.
    const records = await readTopicUntil(brokers, topicFor('assessments', 'assessment'), 'the completion', (rs) => rs.some((r) => r.value!.includes(id)));
    const event = records.map((r) => r.value!).find((v) => v.includes(id))!;
    for (const never of [mother, father, 'Mor:', 'Far:', 'foraeldre']) expect(event).not.toContain(never);
  });

  test('an assessment stored before each parent’s answers were kept apart: its one set is an unknown parent’s, shown to staff and to no parent as their own', async () => {
    const id = await sharedDialog();
    const earlier = { 'foraeldre-trivsel': 5, 'foraeldre-styrker': 'Tidligere svar: glad for at tegne' };
    const client = await MongoClient.connect(mongoUrl);
    try {
      // As stored then: one set of answers, with no word of whose.
      const stored = client.db(assessments.config.ASSESSMENTS_DB_NAME).collection<{ _id: string; parentAnswers: unknown }>('assessments');
      await stored.updateOne({ _id: id }, { $set: { parentAnswers: earlier } });
      const unknownParent = { parentId: null, answers: earlier, answeredAt: null };
      expect((await read(educator, id)).body.parentAnswers).toEqual([unknownParent]);
      const mine = await parent(mother);
      for (const token of [mine, await parent(father)]) {
        const theirs = await read(token, id);
        expect([theirs.status, theirs.body.parentAnswers]).toEqual([200, {}]);
        expect(JSON.stringify(theirs.body)).not.toContain('Tidligere svar');
      }
      // A parent answering now adds their own; the earlier set stays on the record, stored in today's shape.
      const answered = await answerAs(mine, id, { answers: { 'foraeldre-trivsel': 4 } });
      expect(answered.body.parentAnswers).toEqual({ 'foraeldre-trivsel': 4 });
      const both = [unknownParent, { parentId: mother, answers: { 'foraeldre-trivsel': 4 }, answeredAt: now.toISOString() }];
      expect((await read(educator, id)).body.parentAnswers).toEqual(both);
      expect((await stored.findOne({ _id: id }))!.parentAnswers).toEqual(both);
    } finally {
      await client.close();
    }
  });

  test('staff stop sharing an assessment a parent answered: the parent still finds their own answers in their insight, and nothing else of it; the other parent finds nothing', async () => {
    const id = await sharedDialog();
    const [mine, his] = [await parent(mother), await parent(father)];
    const motherSays = { 'foraeldre-trivsel': 3, 'foraeldre-bekymring': 'Mor: spiser lidt om morgenen' };
    expect((await answerAs(mine, id, { answers: motherSays })).status).toBe(200);
    await request(assessments.url).post(`/assessments/${id}/sharing`).set('authorization', educator).send({ sharedWithParents: false }).expect(200);
    const insight = async (token: string) => (await request(assessments.url).get(`/children/${childId}/insight`).set('authorization', token)).body.records.assessment.find((r: { id: string }) => r.id === id);
    expect(await insight(mine)).toEqual({ id, instrumentId: 'alsidig-udvikling', instrumentVersion: expect.any(Number), ownAnswers: motherSays });
    expect(await insight(his)).toBeUndefined();
  });
});
