// The whole R15 path across three running services on the real broker and store: identity's
// directory, consent's grants and withdrawals, and transitions' handover. Nothing is shared but
// events: the receiving institution loses the package because a consent.withdrawn event reached
// transitions, not because the services read one database.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { NSIS_LEVELS } from '@spor/auth';
import { contractRegistry } from '@spor/contracts';
import { eventsPublished, quietLogger, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, cprOfAge, freshCpr, startTestIdentity } from '../../identity/test/support.js';
import { startConsent, type RunningConsent } from '../../consent/src/service.js';
import { startAssessments, type RunningAssessments } from '../../assessments/src/service.js';
import { startActionPlans, type RunningActionPlans } from '../../action-plans/src/service.js';
import { startTransitions, type RunningTransitions } from '../src/service.js';
import { topicFor } from '@spor/events';

const { brokers, mongoUrl } = testInfra();
let identity: RunningIdentity;
let consent: RunningConsent;
let transitions: RunningTransitions;
let assessments: RunningAssessments;
let actionPlans: RunningActionPlans;
let now = new Date();
const units = {} as Record<'mun' | 'district' | 'kindergarten' | 'school' | 'schoolClass', string>;
let childId: string;
let mother: string;
let father: string;

const dayFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const as = (role: string, unitId: string) => bearer(identity, '510', role, { roles: [{ role, unitId }] });
const parent = (personId: string) => bearer(identity, '510', 'educator', { personId, kind: 'parent', roles: [], acr: NSIS_LEVELS.substantial });
const auth = { TOKEN_ISSUER: '', IDENTITY_JWKS_URL: '' };

beforeAll(async () => {
  identity = await startTestIdentity();
  Object.assign(auth, { TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` });
  const root = await bearer(identity, '510');
  const post = async (path: string, body: object) => (await request(identity.url).post(path).set('authorization', root).send(body)).body.id as string;
  units.mun = await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' });
  units.district = await post('/admin/org-units', { kind: 'district', name: 'D', parentId: units.mun });
  units.kindergarten = await post('/admin/org-units', { kind: 'institution', name: 'Børnehaven', parentId: units.district, institutionType: 'boernehave' });
  units.school = await post('/admin/org-units', { kind: 'institution', name: 'Skolen', parentId: units.district, institutionType: 'skole' });
  units.schoolClass = await post('/admin/org-units', { kind: 'group', name: '0.A', parentId: units.school });
  // Five this year: inside the motor-skills screening's ages whenever the test runs.
  childId = await post('/admin/persons', { kind: 'child', cpr: cprOfAge(5), givenName: 'Barn', familyName: 'Test' });
  mother = await post('/admin/persons', { kind: 'parent', cpr: freshCpr(), givenName: 'Mor', familyName: 'Test' });
  father = await post('/admin/persons', { kind: 'parent', cpr: freshCpr(), givenName: 'Far', familyName: 'Test' });
  for (const parentId of [mother, father]) await request(identity.url).put('/admin/guardianships').set('authorization', root).send({ parentId, childId, custody: true });

  const common = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', ...auth };
  consent = await startConsent({ ...common, CONSENT_DB_NAME: uniqueName('consent-test'), CONSENT_DIRECTORY_GROUP: uniqueName('consent') }, { logger: quietLogger() });
  actionPlans = await startActionPlans({ ...common, ACTION_PLANS_DB_NAME: uniqueName('action-plans-test'), ACTION_PLANS_CONSUMER_GROUP: uniqueName('action-plans') }, { logger: quietLogger() });
  assessments = await startAssessments({ ...common, ASSESSMENTS_DB_NAME: uniqueName('assessments-test'), ASSESSMENTS_CONSUMER_GROUP: uniqueName('assessments') }, { logger: quietLogger() });
  transitions = await startTransitions({ ...common, TRANSITIONS_DB_NAME: uniqueName('transitions-test'), TRANSITIONS_CONSUMER_GROUP: uniqueName('transitions') }, { clock: () => now, logger: quietLogger() });

  const admin = await as('system-administrator', units.mun);
  await waitFor('the child enrolled in the kindergarten', async () => (await request(transitions.url).post(`/children/${childId}/placements`).set('authorization', admin).send({ institutionId: units.kindergarten, from: dayFromNow(-400) })).status === 201);
});

afterAll(async () => {
  await actionPlans.runtime.shutdown();
  await assessments.runtime.shutdown();
  await transitions.runtime.shutdown();
  await consent.runtime.shutdown();
  await identity.runtime.shutdown();
});

describe('handover to school (R15)', () => {
  let transitionId: string;

  test('the kindergarten plans the move to school and writes the package; release without consent is refused', async () => {
    const leader = await as('leader', units.kindergarten);
    // The group the child will be placed in must be one of the receiving institution's: a placement there is access.
    for (const toGroupId of [units.kindergarten, crypto.randomUUID()]) {
      const wrongGroup = await request(transitions.url).post('/transitions').set('authorization', leader).send({ childId, toInstitutionId: units.school, toGroupId, date: dayFromNow(30) });
      expect(wrongGroup.status).toBe(422);
      expect(wrongGroup.body).toMatchObject({ code: 'TRANSITION_INVALID', errors: [{ field: 'toGroupId' }] });
    }
    const planned = await request(transitions.url).post('/transitions').set('authorization', leader).send({ childId, toInstitutionId: units.school, toGroupId: units.schoolClass, date: dayFromNow(30) });
    expect(planned.status).toBe(201);
    expect(planned.body).toMatchObject({ kind: 'daycare-to-school', fromInstitutionId: units.kindergarten, status: 'planned', handover: { status: 'draft' } });
    expect(planned.body.checklist.map((i: { key: string }) => i.key)).toContain('conversation-parents');
    transitionId = planned.body.id;

    const educator = await as('educator', units.kindergarten);
    await request(transitions.url).post(`/transitions/${transitionId}/checklist/visit`).set('authorization', educator).send({ done: true }).expect(200);
    const edited = await request(transitions.url).patch(`/transitions/${transitionId}/handover`).set('authorization', educator).send({ note: 'Elsker at bygge med klodser; trives i små grupper.', childPerspective: 'Jeg glæder mig til at få en madpakke.' });
    expect(edited.status).toBe(200);
    // Need to know: the municipality's administration plans moves, but the package's words are the pedagogical staff's.
    const administration = await as('system-administrator', units.mun);
    const seen = await request(transitions.url).get(`/transitions/${transitionId}`).set('authorization', administration);
    expect(seen.status).toBe(200);
    expect(seen.body.handover).toMatchObject({ status: 'draft', parentComments: [] });
    expect(seen.body.handover).not.toHaveProperty('note');
    expect(JSON.stringify(seen.body)).not.toContain('madpakke');
    expect((await request(transitions.url).get(`/transitions/${transitionId}/handover/preview`).set('authorization', administration)).status).toBe(404);
    expect((await request(transitions.url).patch(`/transitions/${transitionId}/handover`).set('authorization', administration).send({ note: 'x' })).status).toBe(404);

    // A motor-skills screening completed at the kindergarten: its result categories go along.
    const screening = await waitFor('assessments to know the placement', async () => {
      const res = await request(assessments.url).post('/assessments').set('authorization', educator).send({ instrumentId: 'motorik', childId, complete: true, answers: { hopper: 2, balance: 2, kaster: 2, trapper: 2, loeber: 2, blyant: 1, klipper: 1, perler: 1, tegner: 1, knapper: 1 } });
      return res.status === 201 ? res : false;
    });
    expect(screening.body.results.map((r: { category: string }) => r.category)).toEqual(['as-expected', 'watch']);
    // A dyslexia screening taken elsewhere, recorded at the kindergarten: its result goes along too, without the test's name as typed.
    await request(assessments.url).post(`/children/${childId}/external-results`).set('authorization', educator).send({ source: 'ordblindetesten', testName: 'Ordblinderisiko, førskole', testedOn: dayFromNow(-10), score: 38, maxScore: 52, interpretation: 'below-expected' }).expect(201);
    // And an action plan with a preventive effort: its summary goes along.
    // action-plans learns the placement from its own consumer, which may lag assessments' (a 403 until then).
    const plan = await waitFor('action-plans to know the placement', async () => {
      const res = await request(actionPlans.url).post('/plans').set('authorization', educator).send({ childId, startOn: dayFromNow(-30), nextEvaluationOn: dayFromNow(20), goals: [{ text: 'Leger med andre', signs: ['Tager initiativ'] }] });
      return res.status === 201 ? res : false;
    });
    await request(actionPlans.url).post(`/plans/${plan.body.id}/activate`).set('authorization', educator).expect(200);
    await request(actionPlans.url).post(`/plans/${plan.body.id}/efforts`).set('authorization', educator).send({ level: 'preventive', description: 'Legegrupper', actors: ['team'], start: dayFromNow(-20) }).expect(201);
    const preview = await waitFor('transitions to see the result and the plan', async () => {
      const res = await request(transitions.url).get(`/transitions/${transitionId}/handover/preview`).set('authorization', educator);
      return res.body.assessmentResults?.length === 1 && res.body.externalResults?.length === 1 && res.body.actionPlans?.[0]?.effortLevels?.length === 1 ? res : false;
    });
    expect(preview.body.actionPlans).toEqual([expect.objectContaining({ planId: plan.body.id, status: 'active', effortLevels: ['preventive'] })]);
    expect(preview.body.assessmentResults[0]).toMatchObject({ instrumentId: 'motorik', results: [{ section: 'grovmotorik', category: 'as-expected' }, { section: 'finmotorik', category: 'watch' }] });
    expect(preview.body.externalResults).toEqual([{ source: 'ordblindetesten', testedOn: dayFromNow(-10), score: 38, maxScore: 52, interpretation: 'below-expected' }]);

    const refused = await request(transitions.url).post(`/transitions/${transitionId}/handover/release`).set('authorization', educator);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'CONSENT_REQUIRED', rule: 'R15' });
    // Before release the school sees nothing.
    expect((await request(transitions.url).get(`/handovers/${transitionId}`).set('authorization', await as('educator', units.schoolClass))).status).toBe(404);
  });

  test('with both parents’ consent the package is released, read and acknowledged by the school; a withdrawal ends the school’s access within seconds', async () => {
    const educator = await as('educator', units.kindergarten);
    // consent knows the child is placed in the kindergarten once transitions' enrollment event reaches it.
    const asked = await waitFor('consent to know the placement', async () => {
      const res = await request(consent.url).post('/consents').set('authorization', educator).send({ childId, purposeId: 'transition-transfer', scope: { receivingUnitId: units.school } });
      return res.status === 201 ? res : false;
    });
    // consent learns the custody holders from identity's events; both must grant.
    await waitFor('consent to know both custody holders', async () => (await request(consent.url).get(`/consents/${asked.body.id}`).set('authorization', educator)).body.custodyHolders?.length === 2);
    for (const p of [mother, father]) await request(consent.url).post(`/consents/${asked.body.id}/grant`).set('authorization', await parent(p)).expect(200);

    const released = await waitFor('transitions to see the consent', async () => {
      const res = await request(transitions.url).post(`/transitions/${transitionId}/handover/release`).set('authorization', educator);
      return res.status === 200 ? res : false;
    });
    expect(released.body.handover).toMatchObject({ status: 'released', legalBasis: 'consent', consentId: asked.body.id });

    const teacher = await as('educator', units.schoolClass);
    const read = await request(transitions.url).get(`/handovers/${transitionId}`).set('authorization', teacher);
    expect(read.status).toBe(200);
    expect((await request(transitions.url).get(`/handovers/${transitionId}`).set('authorization', await as('administration', units.mun))).status).toBe(404);
    expect(read.body.handover.note).toBe('Elsker at bygge med klodser; trives i små grupper.');
    // The school sees the results the package carried, frozen at release; not the assessments themselves.
    expect(read.body.handover.assessmentResults).toEqual([expect.objectContaining({ instrumentId: 'motorik', results: [{ section: 'grovmotorik', category: 'as-expected' }, { section: 'finmotorik', category: 'watch' }] })]);
    expect(read.body.handover.externalResults).toEqual([{ source: 'ordblindetesten', testedOn: dayFromNow(-10), score: 38, maxScore: 52, interpretation: 'below-expected' }]);
    expect(JSON.stringify(read.body)).not.toContain('Ordblinderisiko');
    expect(read.body).not.toHaveProperty('checklist');
    expect(read.body.handover.actionPlans).toEqual([expect.objectContaining({ status: 'active', effortLevels: ['preventive'] })]);
    expect((await request(transitions.url).post(`/handovers/${transitionId}/acknowledge`).set('authorization', teacher)).body.handover.status).toBe('acknowledged');
    // Another school's staff see nothing.
    expect((await request(transitions.url).get(`/handovers/${transitionId}`).set('authorization', await as('educator', units.kindergarten))).status).toBe(404);

    await request(consent.url).post(`/consents/${asked.body.id}/withdraw`).set('authorization', await parent(father)).expect(200);
    const started = Date.now();
    await waitFor('the school to lose the package', async () => (await request(transitions.url).get(`/handovers/${transitionId}`).set('authorization', teacher)).status === 404, 10_000, 50);
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeLessThan(10);

    const records = await readTopicUntil(brokers, topicFor('transitions', 'handover'), 'the revocation', (rs) => rs.some((r) => r.value!.includes('handover.revoked') && r.value!.includes(transitionId)));
    const events = records.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === transitionId);
    expect(events.map((e) => e.type.split('.')[4])).toEqual(['planned', 'released', 'acknowledged', 'revoked']);
    expect(events[3].data.reason).toBe('consent-withdrawn');
    for (const e of events) {
      expect(contractRegistry().checkEnvelope(e)).toEqual([]);
      expect(JSON.stringify(e)).not.toContain('klodser');
    }
  });

  test('when the date comes the enrollment moves, and the kindergarten loses access to the child', async () => {
    const kindergartenEducator = await as('educator', units.kindergarten);
    const read = () => request(transitions.url).get(`/children/${childId}/placements`).set('authorization', kindergartenEducator);
    expect((await read()).status).toBe(200);
    const start = now;
    try {
      now = new Date(`${dayFromNow(30)}T08:00:00Z`);
      expect(await transitions.completeDue()).toBe(1);
      expect((await read()).status).toBe(404);
      // Nor does it preview, write or release the package any more; it reads the transition as it stands.
      const preview = await request(transitions.url).get(`/transitions/${transitionId}/handover/preview`).set('authorization', kindergartenEducator);
      expect(preview.status).toBe(409);
      expect(preview.body.code).toBe('TRANSITION_COMPLETED');
      expect((await request(transitions.url).patch(`/transitions/${transitionId}/handover`).set('authorization', kindergartenEducator).send({ note: 'efter flytningen' })).status).toBe(409);
      expect((await request(transitions.url).get(`/transitions/${transitionId}`).set('authorization', kindergartenEducator)).body.status).toBe('completed');
      const teacher = await as('educator', units.schoolClass);
      const placements = await request(transitions.url).get(`/children/${childId}/placements`).set('authorization', teacher);
      expect(placements.body.current).toEqual([expect.objectContaining({ institutionId: units.school, groupId: units.schoolClass, from: dayFromNow(30) })]);
      expect(await transitions.completeDue()).toBe(0);
    } finally {
      now = start;
    }
  });

  test('the move and its package leave 3 years after the move, archived first; the child’s open school placement keeps its placements', async () => {
    const DAY = 86_400_000;
    const moveDay = new Date(`${dayFromNow(30)}T00:00:00Z`);
    const { retention } = transitions.privacy;
    const start = now;
    await eventsPublished(mongoUrl, transitions.config.TRANSITIONS_DB_NAME, 'transitions', 'enrollments');
    try {
      now = new Date(moveDay.getTime() + 3 * 365 * DAY - 60_000);
      expect(await transitions.privacy.sweep()).toMatchObject({ archived: 0, failed: 0 });
      expect((await retention.kind('transition')!.ofChild(childId)).map((r) => r.id)).toEqual([transitionId]);
      now = new Date(moveDay.getTime() + 3 * 365 * DAY);
      expect(await transitions.privacy.sweep()).toMatchObject({ archived: 1, disposed: 1, failed: 0 });
      expect(await retention.kind('transition')!.ofChild(childId)).toEqual([]);
      expect(await retention.kind('enrollment')!.ofChild(childId)).toEqual([{ id: childId, retainedFrom: null }]);
      expect((await retention.disposalsOf(childId)).map((d) => [d.kind, d.recordId, d.status])).toEqual([['transition', transitionId, 'disposed']]);
      const teacher = await as('educator', units.schoolClass);
      expect((await request(transitions.url).get(`/children/${childId}/placements`).set('authorization', teacher)).status).toBe(200);
    } finally {
      now = start;
    }
  });
});
