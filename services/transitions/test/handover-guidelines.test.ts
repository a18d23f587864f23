// A handover on the municipality's guidelines (daycare act § 3a) across identity, assessments and
// transitions on the real broker and store: the parents are shown the package with the results it
// carries (frozen then), read it at GET /my/handovers and comment; the release passes on exactly
// what they were shown, not what was recorded since.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { NSIS_LEVELS } from '@spor/auth';
import { quietLogger, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import { contractRegistry } from '@spor/contracts';
import { topicFor } from '@spor/events';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, freshCpr, startTestIdentity } from '../../identity/test/support.js';
import { startAssessments, type RunningAssessments } from '../../assessments/src/service.js';
import { startTransitions, type RunningTransitions } from '../src/service.js';

const { brokers, mongoUrl } = testInfra();
let identity: RunningIdentity;
let transitions: RunningTransitions;
let assessments: RunningAssessments;
const units = {} as Record<'mun' | 'kindergarten' | 'school', string>;
let childId: string;
let mother: string;
let now = new Date();
/** The transition the first test releases, called off by the second. */
let transitionId: string;

const dayFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const as = (role: string, unitId: string) => bearer(identity, '510', role, { roles: [{ role, unitId }] });
const parent = (personId: string) => bearer(identity, '510', 'educator', { personId, kind: 'parent', roles: [], acr: NSIS_LEVELS.substantial });

beforeAll(async () => {
  identity = await startTestIdentity();
  const root = await bearer(identity, '510');
  const post = async (path: string, body: object) => (await request(identity.url).post(path).set('authorization', root).send(body)).body.id as string;
  units.mun = await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' });
  const district = await post('/admin/org-units', { kind: 'district', name: 'D', parentId: units.mun });
  units.kindergarten = await post('/admin/org-units', { kind: 'institution', name: 'Børnehaven', parentId: district, institutionType: 'boernehave' });
  units.school = await post('/admin/org-units', { kind: 'institution', name: 'Skolen', parentId: district, institutionType: 'skole' });
  childId = await post('/admin/persons', { kind: 'child', cpr: freshCpr(), givenName: 'Barn', familyName: 'Test' });
  mother = await post('/admin/persons', { kind: 'parent', cpr: freshCpr(), givenName: 'Mor', familyName: 'Test' });
  await request(identity.url).put('/admin/guardianships').set('authorization', root).send({ parentId: mother, childId, custody: true }).expect(201);

  const common = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` };
  assessments = await startAssessments({ ...common, ASSESSMENTS_DB_NAME: uniqueName('assessments-test'), ASSESSMENTS_CONSUMER_GROUP: uniqueName('assessments') }, { logger: quietLogger() });
  transitions = await startTransitions({ ...common, TRANSITIONS_DB_NAME: uniqueName('transitions-test'), TRANSITIONS_CONSUMER_GROUP: uniqueName('transitions'), HANDOVER_LEGAL_BASIS_BY_MUNICIPALITY: JSON.stringify({ '510': 'guidelines' }) }, { logger: quietLogger(), clock: () => now });
  const admin = await as('system-administrator', units.mun);
  await waitFor('the child enrolled in the kindergarten', async () => (await request(transitions.url).post(`/children/${childId}/placements`).set('authorization', admin).send({ institutionId: units.kindergarten, from: dayFromNow(-400) })).status === 201, 60_000);
  // In no group and with no end: the roster answers both as null (checked against the HTTP contract).
  const roster = await request(transitions.url).get(`/institutions/${units.kindergarten}/children`).set('authorization', admin);
  expect(roster.body.items).toEqual([expect.objectContaining({ childId, groupId: null, to: null })]);
}, 120_000);

afterAll(async () => {
  await assessments?.runtime.shutdown();
  await transitions?.runtime.shutdown();
  await identity?.runtime.shutdown();
});

describe('handover on the municipality’s guidelines', () => {
  test('the parents see the results that go along and comment; the release passes on what they were shown', async () => {
    const educator = await as('educator', units.kindergarten);
    const result = (testedOn: string, score: number) => ({ source: 'ordblindetesten', testName: 'Ordblinderisiko, førskole', testedOn, score, maxScore: 52, interpretation: score < 40 ? 'below-expected' : 'as-expected' });
    await waitFor('assessments to know the placement', async () => (await request(assessments.url).post(`/children/${childId}/external-results`).set('authorization', educator).send(result(dayFromNow(-60), 30))).status === 201, 60_000);

    const leader = await as('leader', units.kindergarten);
    const planned = await request(transitions.url).post('/transitions').set('authorization', leader).send({ childId, toInstitutionId: units.school, date: dayFromNow(30) });
    expect(planned.status).toBe(201);
    const id = planned.body.id as string;
    await request(transitions.url).patch(`/transitions/${id}/handover`).set('authorization', educator).send({ note: 'Glad for at tegne.' }).expect(200);
    await waitFor('transitions to see the result', async () => (await request(transitions.url).get(`/transitions/${id}/handover/preview`).set('authorization', educator)).body.externalResults?.length === 1);
    const refused = await request(transitions.url).post(`/transitions/${id}/handover/release`).set('authorization', educator);
    expect([refused.status, refused.body.code, refused.body.rule]).toEqual([409, 'PARENTS_NOT_SHOWN', 'R15']);

    const shown = await request(transitions.url).post(`/transitions/${id}/handover/show-parents`).set('authorization', educator);
    expect(shown.status).toBe(200);
    const first = { source: 'ordblindetesten', testedOn: dayFromNow(-60), score: 30, maxScore: 52, interpretation: 'below-expected' };
    expect(shown.body.handover).toMatchObject({ status: 'shown-to-parents', externalResults: [first] });

    // The mother sees what would go along, and comments.
    const mine = await waitFor('transitions to know the custody', async () => {
      const res = await request(transitions.url).get('/my/handovers').set('authorization', await parent(mother));
      return res.body.items?.length === 1 ? res : false;
    });
    expect(mine.body.items[0].handover).toMatchObject({ status: 'shown-to-parents', note: 'Glad for at tegne.', externalResults: [first] });
    await request(transitions.url).post(`/transitions/${id}/handover/comments`).set('authorization', await parent(mother)).send({ text: 'Vi øver bogstaver derhjemme.' }).expect(201);

    // A newer result recorded after the parents were shown the package does not go along with it.
    await request(assessments.url).post(`/children/${childId}/external-results`).set('authorization', educator).send(result(dayFromNow(-5), 44)).expect(201);
    await waitFor('transitions to see the newer result', async () => (await request(transitions.url).get(`/transitions/${id}/handover/preview`).set('authorization', educator)).body.externalResults?.[0]?.score === 44);
    const released = await request(transitions.url).post(`/transitions/${id}/handover/release`).set('authorization', educator);
    expect(released.status).toBe(200);
    expect(released.body.handover).toMatchObject({ status: 'released', legalBasis: 'guidelines', externalResults: [first], parentComments: [expect.objectContaining({ by: mother })] });
    const read = await request(transitions.url).get(`/handovers/${id}`).set('authorization', await as('educator', units.school));
    expect(read.body.handover.externalResults).toEqual([first]);
    transitionId = id;
  });

  test('the parents choose another school: the transition is called off, the school loses the package, and the child is not moved on the date', async () => {
    const school = await as('educator', units.school);
    // An educator, who does not plan transitions, does not find one to call off (404, as for completing it).
    expect((await request(transitions.url).post(`/transitions/${transitionId}/cancel`).set('authorization', await as('educator', units.kindergarten))).status).toBe(404);
    const cancelled = await request(transitions.url).post(`/transitions/${transitionId}/cancel`).set('authorization', await as('leader', units.kindergarten));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(String), handover: { status: 'revoked', revokedBecause: 'transition-cancelled' } });
    expect((await request(transitions.url).get(`/handovers/${transitionId}`).set('authorization', school)).status).toBe(404);
    // Again: nothing changes.
    expect((await request(transitions.url).post(`/transitions/${transitionId}/cancel`).set('authorization', await as('leader', units.kindergarten))).body.version).toBe(cancelled.body.version);
    const records = await readTopicUntil(brokers, topicFor('transitions', 'handover'), 'the cancellation', (rs) => rs.some((r) => r.value!.includes('handover.cancelled') && r.value!.includes(transitionId)));
    const event = records.map((r) => JSON.parse(r.value!)).find((e) => e.type === 'dk.spor.transitions.handover.cancelled.v1' && e.subject === transitionId);
    expect(contractRegistry().checkEnvelope(event)).toEqual([]);
    expect(event.data).toEqual({ transitionId, childId, fromInstitutionId: units.kindergarten, toInstitutionId: units.school, date: dayFromNow(30), kind: 'daycare-to-school' });
    // The sweep on the date passes it over: the child stays in the kindergarten.
    const start = now;
    now = new Date(`${dayFromNow(31)}T08:00:00Z`);
    try {
      expect(await transitions.completeDue()).toBe(0);
      const placements = await request(transitions.url).get(`/children/${childId}/placements`).set('authorization', await as('leader', units.kindergarten));
      expect(placements.body.current.map((p: { institutionId: string }) => p.institutionId)).toEqual([units.kindergarten]);
    } finally {
      now = start;
    }
  });

  test('the school reads the package while the child is its pupil, and loses it when the child leaves the school again', async () => {
    const leader = await as('leader', units.kindergarten);
    const educator = await as('educator', units.kindergarten);
    const school = await as('educator', units.school);
    const planned = await request(transitions.url).post('/transitions').set('authorization', leader).send({ childId, toInstitutionId: units.school, date: dayFromNow(30) });
    expect(planned.status).toBe(201);
    const id = planned.body.id as string;
    await request(transitions.url).post(`/transitions/${id}/handover/show-parents`).set('authorization', educator).expect(200);
    await request(transitions.url).post(`/transitions/${id}/handover/release`).set('authorization', educator).expect(200);
    // Before the move the school prepares; confirmed ahead of the date, the child is the school's from it.
    expect((await request(transitions.url).get(`/handovers/${id}`).set('authorization', school)).status).toBe(200);
    expect((await request(transitions.url).post(`/transitions/${id}/complete`).set('authorization', leader)).body.status).toBe('completed');
    expect((await request(transitions.url).get(`/handovers/${id}`).set('authorization', school)).status).toBe(200);
    const admin = await as('system-administrator', units.mun);
    const atSchool = (await request(transitions.url).get(`/children/${childId}/placements`).set('authorization', admin)).body.items.find((p: { institutionId: string }) => p.institutionId === units.school);
    await request(transitions.url).post(`/children/${childId}/placements/${atSchool.placementId}/end`).set('authorization', admin).send({ to: dayFromNow(40) }).expect(200);
    const start = now;
    try {
      now = new Date(`${dayFromNow(40)}T12:00:00Z`);
      expect((await request(transitions.url).get(`/handovers/${id}`).set('authorization', school)).status).toBe(200);
      now = new Date(`${dayFromNow(41)}T12:00:00Z`);
      const gone = await request(transitions.url).get(`/handovers/${id}`).set('authorization', school);
      expect([gone.status, gone.body.code]).toEqual([404, 'NOT_FOUND']);
      expect((await request(transitions.url).post(`/handovers/${id}/acknowledge`).set('authorization', school)).status).toBe(404);
    } finally {
      now = start;
    }
  });
});
