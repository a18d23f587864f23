// R7, R11 and R13 across four running services on the real broker and store: consents come
// from the consent service's events, placements from transitions', the directory from identity's.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MongoClient } from 'mongodb';
import request from 'supertest';
import { NSIS_LEVELS } from '@spor/auth';
import { contractRegistry } from '@spor/contracts';
import { eventsPublished, quietLogger, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, freshCpr, startTestIdentity } from '../../identity/test/support.js';
import { startTransitions, type RunningTransitions } from '../../transitions/src/service.js';
import { startConsent, type RunningConsent } from '../../consent/src/service.js';
import { startActionPlans, type RunningActionPlans } from '../src/service.js';
import { topicFor } from '@spor/events';
import { danishDay } from '@spor/directory';

const { brokers, mongoUrl } = testInfra();
let identity: RunningIdentity;
let transitions: RunningTransitions;
let consent: RunningConsent;
let actionPlans: RunningActionPlans;
const units = {} as Record<'mun' | 'district' | 'kindergarten', string>;
let childId: string;
let mother: string;
let father: string;
let planId: string;
let educator: string;
let leader: string;
let consultant: string;

const as = (role: string, unitId: string) => bearer(identity, '510', role, { roles: [{ role, unitId }] });
const parent = (personId: string) => bearer(identity, '510', 'educator', { personId, kind: 'parent', roles: [], acr: NSIS_LEVELS.substantial });
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const api = () => request(actionPlans.url);
/** action-plans' clock runs with real time, moved ahead by this much (retention). */
let ahead = 0;

beforeAll(async () => {
  identity = await startTestIdentity();
  const root = await bearer(identity, '510');
  const post = async (path: string, body: object) => (await request(identity.url).post(path).set('authorization', root).send(body)).body.id as string;
  units.mun = await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' });
  units.district = await post('/admin/org-units', { kind: 'district', name: 'D', parentId: units.mun });
  units.kindergarten = await post('/admin/org-units', { kind: 'institution', name: 'Børnehaven', parentId: units.district, institutionType: 'boernehave' });
  childId = await post('/admin/persons', { kind: 'child', cpr: freshCpr(), givenName: 'Barn', familyName: 'Test' });
  mother = await post('/admin/persons', { kind: 'parent', cpr: `0404851${100 + Math.floor(Math.random() * 899)}`, givenName: 'Mor', familyName: 'Test' });
  father = await post('/admin/persons', { kind: 'parent', cpr: `0505851${100 + Math.floor(Math.random() * 899)}`, givenName: 'Far', familyName: 'Test' });
  for (const p of [mother, father]) await request(identity.url).put('/admin/guardianships').set('authorization', root).send({ parentId: p, childId, custody: true });
  [educator, leader, consultant] = await Promise.all([as('educator', units.kindergarten), as('leader', units.kindergarten), as('pedagogical-consultant', units.district)]);

  const common = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` };
  transitions = await startTransitions({ ...common, TRANSITIONS_DB_NAME: uniqueName('transitions-test'), TRANSITIONS_CONSUMER_GROUP: uniqueName('transitions') }, { logger: quietLogger() });
  consent = await startConsent({ ...common, CONSENT_DB_NAME: uniqueName('consent-test'), CONSENT_DIRECTORY_GROUP: uniqueName('consent') }, { logger: quietLogger() });
  actionPlans = await startActionPlans({ ...common, ACTION_PLANS_DB_NAME: uniqueName('action-plans-test'), ACTION_PLANS_CONSUMER_GROUP: uniqueName('action-plans') }, { logger: quietLogger(), clock: () => new Date(Date.now() + ahead) });
  const admin = await as('system-administrator', units.mun);
  await waitFor('the child enrolled', async () => (await request(transitions.url).post(`/children/${childId}/placements`).set('authorization', admin).send({ institutionId: units.kindergarten, from: '2024-08-01' })).status === 201);

  // A plan with evaluated preventive and anticipatory efforts.
  const draft = await waitFor('action-plans to know the placement', async () => {
    const res = await api().post('/plans').set('authorization', educator).send({ childId, startOn: day(-90), nextEvaluationOn: day(-60), goals: [{ text: 'Deltager i leg', signs: ['Tager initiativ'] }] });
    return res.status === 201 ? res : false;
  });
  planId = draft.body.id;
  await api().post(`/plans/${planId}/activate`).set('authorization', educator).expect(200);
  const step = async (path: string, body: object) => api().post(`/plans/${planId}/${path}`).set('authorization', educator).send(body).expect(201);
  await step('efforts', { level: 'preventive', description: 'Mindre grupper', actors: ['team'], start: day(-85) });
  const goals = (draft.body.goals as { goalId: string }[]).map((g) => ({ goalId: g.goalId, signsSeen: [] }));
  await step('evaluations', { on: day(-60), goals, decision: 'continue', nextEvaluationOn: day(-30) });
  await step('efforts', { level: 'anticipatory', description: 'Praksisvejleder i gruppen', actors: ['praksisvejleder'], start: day(-55) });
  await step('evaluations', { on: day(-30), goals, decision: 'escalate', nextEvaluationOn: day(30) });
});

afterAll(async () => {
  await actionPlans.runtime.shutdown();
  await consent.runtime.shutdown();
  await transitions.runtime.shutdown();
  await identity.runtime.shutdown();
});

describe('meetings and notifications', () => {
  test('R11: a network meeting with external professionals needs the parents’ consent; a parents’ conversation does not', async () => {
    const network = await api().post(`/plans/${planId}/meetings`).set('authorization', educator).send({ kind: 'network', on: day(-5), participants: [{ role: 'sundhedsplejerske', external: true }, { role: 'pædagog', external: false }] });
    expect(network.status).toBe(409);
    expect(network.body).toMatchObject({ code: 'CONSENT_REQUIRED', rule: 'R11' });
    const parents = await api().post(`/plans/${planId}/meetings`).set('authorization', educator).send({ kind: 'parents-conversation', on: day(-5), participants: [{ role: 'mor', external: false }], minutes: 'Aftalt at følge op' });
    expect(parents.status).toBe(201);
  });

  test('R11: the consent must cover the meeting’s day; one granted today does not make a meeting held last week lawful', async () => {
    const asked = await waitFor('consent to know the placement', async () => {
      const res = await request(consent.url).post('/consents').set('authorization', educator).send({ childId, purposeId: 'network-meeting' });
      return res.status === 201 ? res : false;
    });
    await waitFor('consent to know both custody holders', async () => (await request(consent.url).get(`/consents/${asked.body.id}`).set('authorization', educator)).body.custodyHolders?.length === 2);
    for (const p of [mother, father]) await request(consent.url).post(`/consents/${asked.body.id}/grant`).set('authorization', await parent(p)).expect(200);
    // Meeting days are Danish days, as the service counts them.
    const day = (offset: number) => danishDay(new Date(Date.now() + offset * 86_400_000));
    const meeting = (on: string) => api().post(`/plans/${planId}/meetings`).set('authorization', educator).send({ kind: 'network', on, participants: [{ role: 'sundhedsplejerske', external: true }] });
    const today = await waitFor('action-plans to see both grants', async () => {
      const res = await meeting(day(0));
      return res.status === 201 ? res : false;
    });
    expect(today.body.meeting).toMatchObject({ on: day(0), consentIds: [asked.body.id] });
    expect((await meeting(day(7))).status).toBe(201);
    const lastWeek = await meeting(day(-7));
    expect(lastWeek.status).toBe(409);
    expect(lastWeek.body).toMatchObject({ code: 'CONSENT_REQUIRED', rule: 'R11', detail: expect.stringContaining(`valid on the meeting’s day ${day(-7)}`) });
    // Withdrawn, it covers no meeting from today on.
    await request(consent.url).post(`/consents/${asked.body.id}/withdraw`).set('authorization', await parent(mother)).expect(200);
    await waitFor('action-plans to see the withdrawal', async () => (await meeting(day(0))).status === 409);
    expect((await meeting(day(7))).status).toBe(409);
  });

  test('R13: a notification of concern needs no consent and is seen only by the leader and the consultants', async () => {
    const recorded = await api().post(`/children/${childId}/concern-notifications`).set('authorization', educator).send({ on: day(0), summary: 'Underretning sendt til familieafdelingen' });
    expect(recorded.status).toBe(201);
    expect((await api().get(`/children/${childId}/concern-notifications`).set('authorization', educator)).status).toBe(404);
    expect((await api().get(`/children/${childId}/concern-notifications`).set('authorization', await parent(mother))).status).toBe(404);
    const forLeader = await api().get(`/children/${childId}/concern-notifications`).set('authorization', leader);
    expect(forLeader.body.items).toEqual([expect.objectContaining({ childId, summary: 'Underretning sendt til familieafdelingen' })]);
    expect((await api().get(`/children/${childId}/concern-notifications`).set('authorization', consultant)).status).toBe(200);
  });
});

describe('resource assessment in the district council (R7, R9)', () => {
  let soon: string;
  let inTime: string;
  let consentId: string;

  test('one custody holder of two is not enough; with both, a case 12 days ahead is accepted and 9 days ahead refused', async () => {
    soon = (await api().post(`/districts/${units.district}/council-meetings`).set('authorization', consultant).send({ on: day(9) }).expect(201)).body._id;
    inTime = (await api().post(`/districts/${units.district}/council-meetings`).set('authorization', consultant).send({ on: day(12) }).expect(201)).body._id;
    const asked = await waitFor('consent to know the placement', async () => {
      const res = await request(consent.url).post('/consents').set('authorization', educator).send({ childId, purposeId: 'resource-assessment' });
      return res.status === 201 ? res : false;
    });
    consentId = asked.body.id;
    await waitFor('consent to know both custody holders', async () => (await request(consent.url).get(`/consents/${consentId}`).set('authorization', educator)).body.custodyHolders?.length === 2);
    await request(consent.url).post(`/consents/${consentId}/grant`).set('authorization', await parent(mother)).expect(200);
    const submit = (meetingId: string) => api().post('/resource-cases').set('authorization', leader).send({ kind: 'child-with-cpr', childId, planId, meetingId });
    // Once action-plans' own view of consents holds the mother's grant (still not valid), it is shown not to be enough.
    const client = await MongoClient.connect(mongoUrl);
    try {
      const seen = client.db(actionPlans.config.ACTION_PLANS_DB_NAME).collection<{ _id: string; lastChange: string; valid: boolean }>('seen_consents');
      expect(await waitFor('action-plans to see the mother’s grant', async () => seen.findOne({ _id: consentId, lastChange: 'granted' }))).toMatchObject({ valid: false });
    } finally {
      await client.close();
    }
    const oneOfTwo = await submit(inTime);
    expect(oneOfTwo.status).toBe(409);
    expect(oneOfTwo.body).toMatchObject({ code: 'CONSENT_REQUIRED', rule: 'R7' });
    await request(consent.url).post(`/consents/${consentId}/grant`).set('authorization', await parent(father)).expect(200);
    // Refused as CONSENT_REQUIRED until action-plans has seen the father's grant too.
    const accepted = await waitFor('action-plans to see both grants', async () => {
      const res = await submit(inTime);
      return res.status === 409 && res.body.code === 'CONSENT_REQUIRED' && res.body.rule === 'R7' ? false : res;
    });
    expect(accepted.status).toBe(201);
    // The deadline is checked before the consent: 9 days ahead is too late whatever the parents say.
    const late = await submit(soon);
    expect(late.body).toMatchObject({ status: 422, code: 'SUBMISSION_TOO_LATE', rule: 'R7' });
    expect(accepted.body).toMatchObject({ status: 'submitted', meetingOn: day(12), consentId });

    const decided = await api().post(`/resource-cases/${accepted.body.id}/decision`).set('authorization', consultant).send({ outcome: 'praksisvejleder', from: day(14), goals: ['Deltager i fælles leg med to andre børn'], answer: 'Distriktsrådet har bevilget en praksisvejleder i seks måneder.' });
    expect(decided.status).toBe(200);
    expect(decided.body.decision).toMatchObject({ outcome: 'praksisvejleder', from: day(14) });
    const answer = await api().get(`/resource-cases/${accepted.body.id}`).set('authorization', await parent(father));
    expect(answer.body).toMatchObject({ status: 'decided', decision: { answer: 'Distriktsrådet har bevilget en praksisvejleder i seks måneder.' } });
    expect(answer.body).not.toHaveProperty('planId');

    const records = await readTopicUntil(brokers, topicFor('action-plans', 'resource-case'), 'the decision', (rs) => rs.some((r) => r.value!.includes(accepted.body.id) && r.value!.includes('decided')));
    const events = records.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === accepted.body.id);
    expect(events.map((e) => e.type.split('.')[4])).toEqual(['submitted', 'decided']);
    for (const e of events) {
      expect(contractRegistry().checkEnvelope(e)).toEqual([]);
      expect(JSON.stringify(e)).not.toContain('praksisvejleder i seks');
    }
  });

  test('R9, R14: a mellemform is added to the child’s plan only within a period the council granted one for', async () => {
    const provision = (from: string, to: string) => ({ purpose: 'Ro og struktur', content: 'Mindre gruppe om formiddagen', method: 'Visuel dagsorden', pedagogy: 'Anerkendende', from, to, followUpOn: from, parentsInvolvement: 'Ugentlig samtale', childPerspective: 'Jeg kan lide de små grupper', learningCommunity: 'Deltager i samling og frokost med sin gruppe' });
    // The praksisvejleder granted above is no mellemform.
    const refused = await api().post(`/plans/${planId}/provisions`).set('authorization', educator).send(provision(day(14), day(60)));
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'MELLEMFORM_NOT_GRANTED', rule: 'R9' });
    const submitted = await api().post('/resource-cases').set('authorization', leader).send({ kind: 'child-with-cpr', childId, planId, meetingId: inTime });
    expect(submitted.status).toBe(201);
    await api().post(`/resource-cases/${submitted.body.id}/decision`).set('authorization', consultant).send({ outcome: 'mellemform', from: day(14), months: 3, goals: ['Deltager i fælles leg'], answer: 'Distriktsrådet har bevilget en mellemform i tre måneder.' }).expect(200);
    const added = await api().post(`/plans/${planId}/provisions`).set('authorization', educator).send(provision(day(14), day(60)));
    expect(added.status).toBe(201);
    expect(added.body.provision).toMatchObject({ from: day(14), to: day(60), learningCommunity: 'Deltager i samling og frokost med sin gruppe' });
    expect((await api().post(`/plans/${planId}/provisions`).set('authorization', educator).send(provision(day(14), day(200)))).body.code).toBe('MELLEMFORM_NOT_GRANTED');
    const noCommunity = await api().post(`/plans/${planId}/provisions`).set('authorization', educator).send({ ...provision(day(14), day(60)), learningCommunity: undefined });
    expect([noCommunity.status, noCommunity.body.errors?.[0]?.field]).toEqual([400, 'learningCommunity']);
  });

  test('consent withdrawn after submission: the case cannot be decided', async () => {
    const second = await api().post('/resource-cases').set('authorization', leader).send({ kind: 'child-with-cpr', childId, planId, meetingId: inTime });
    expect(second.status).toBe(201);
    await request(consent.url).post(`/consents/${consentId}/withdraw`).set('authorization', await parent(mother)).expect(200);
    // action-plans knows of the withdrawal once a new submission is refused for it.
    await waitFor('action-plans to see the withdrawal', async () => (await api().post('/resource-cases').set('authorization', leader).send({ kind: 'child-with-cpr', childId, planId, meetingId: inTime })).body.code === 'CONSENT_REQUIRED');
    const refused = await api().post(`/resource-cases/${second.body.id}/decision`).set('authorization', consultant).send({ outcome: 'free-funds', goals: ['x'], answer: 'Bevilget frie midler til gruppen.' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'CONSENT_REQUIRED', rule: 'R7' });
  });
});

describe('retention of cases and notifications', () => {
  test('a decided case and a notification of concern leave 5 years after the decision and the notification day, archived first as public records; an undecided case stays', async () => {
    const DAY = 86_400_000;
    const { retention } = actionPlans.privacy;
    const ofChild = async (kind: string) => retention.kind(kind)!.ofChild(childId);
    const today = Date.parse(`${day(0)}T00:00:00Z`);
    expect((await ofChild('concern-notification')).map((r) => r.retainedFrom)).toEqual([new Date(today)]);
    const cases = await ofChild('resource-case');
    const decided = cases.filter((c) => c.retainedFrom !== null);
    const open = cases.filter((c) => c.retainedFrom === null).map((c) => c.id);
    // The praksisvejleder and the mellemform decided above.
    expect(decided).toHaveLength(2);
    expect(open.length).toBeGreaterThan(0);
    // The decision's day is the Danish day it was made (past 23:00 UTC, tomorrow's date).
    const starts = [today, ...decided.map((c) => c.retainedFrom!.getTime())];
    await eventsPublished(mongoUrl, actionPlans.config.ACTION_PLANS_DB_NAME, 'resource_cases', 'concern_notifications');
    try {
      ahead = Math.min(...starts) + 5 * 365 * DAY - Date.now() - 60_000;
      expect(await actionPlans.privacy.sweep()).toMatchObject({ archived: 0, failed: 0 });
      ahead = Math.max(...starts) + 5 * 365 * DAY - Date.now() + 60_000;
      expect(await actionPlans.privacy.sweep()).toMatchObject({ archived: 3, disposed: 3, failed: 0 });
      expect(await ofChild('concern-notification')).toEqual([]);
      expect((await ofChild('resource-case')).map((c) => c.id).sort()).toEqual([...open].sort());
      const disposals = await retention.disposalsOf(childId);
      expect(disposals.map((d) => [d.kind, d.status]).sort()).toEqual([['concern-notification', 'disposed'], ['resource-case', 'disposed'], ['resource-case', 'disposed']]);
      expect((await retention.periods('510')).filter((p) => p.kind !== 'action-plan').map((p) => [p.kind, p.days, p.publicRecord])).toEqual([['resource-case', 5 * 365, true], ['concern-notification', 5 * 365, true]]);
    } finally {
      ahead = 0;
    }
  });
});

// After the retention test, which counts this child's decided cases.
describe('cases without a plan, a council meeting or a consent; refused decisions', () => {
  test('R10: a special-provision case is read while submitted, refused by the consultant, and read back with no period', async () => {
    const submitted = await api().post('/resource-cases').set('authorization', leader).send({ kind: 'special-provision', childId });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ status: 'submitted', childId, groupId: null, planId: null, meetingId: null, meetingOn: null, consentId: null, parentsInformedOn: null });
    const caseId = submitted.body.id as string;

    const forLeader = await api().get(`/resource-cases/${caseId}`).set('authorization', leader);
    expect(forLeader.status).toBe(200);
    expect(forLeader.body.status).toBe('submitted');
    expect(forLeader.body).not.toHaveProperty('decision');
    const forMother = await api().get(`/resource-cases/${caseId}`).set('authorization', await parent(mother));
    expect(forMother.status).toBe(200);
    expect(forMother.body).toEqual({ id: caseId, kind: 'special-provision', status: 'submitted', decision: null });

    const answer = 'Der bevilges ikke særlige midler; indsatsen fortsætter i gruppen.';
    const decided = await api().post(`/resource-cases/${caseId}/decision`).set('authorization', consultant).send({ outcome: 'refused', answer });
    expect(decided.status).toBe(200);
    expect(decided.body.decision).toMatchObject({ outcome: 'refused', from: null, to: null, goals: [] });
    const forFather = await api().get(`/resource-cases/${caseId}`).set('authorization', await parent(father));
    expect(forFather.status).toBe(200);
    expect(forFather.body).toMatchObject({ status: 'decided', decision: { outcome: 'refused', from: null, to: null, answer } });
    expect(forFather.body.decision).not.toHaveProperty('decidedBy');
    // The parents' insight lists the child's cases with their written answers, without the case file or who decided.
    const insight = await api().get(`/children/${childId}/insight`).set('authorization', await parent(father));
    const seen = (insight.body.records['resource-case'] as { id: string; decision?: Record<string, unknown> }[]).find((c) => c.id === caseId);
    expect(seen).toEqual({ id: caseId, kind: 'special-provision', status: 'decided', decision: { outcome: 'refused', from: null, to: null, goals: [], answer, decidedOn: expect.any(String) } });
    expect(insight.body.retention.find((k: { kind: string }) => k.kind === 'resource-case').records.map((r: { recordId: string }) => r.recordId)).toContain(caseId);
  });

  test('R8: a case for a group without CPR names the group and when the parents were informed, and no child', async () => {
    const root = await bearer(identity, '510');
    const group = (await request(identity.url).post('/admin/org-units').set('authorization', root).send({ kind: 'group', name: 'Mælkebøtten', parentId: units.kindergarten }).expect(201)).body.id as string;
    const meetingId = (await api().post(`/districts/${units.district}/council-meetings`).set('authorization', consultant).send({ on: day(12) }).expect(201)).body._id as string;
    // Refused as CASE_INVALID until action-plans' directory knows the new group.
    const submitted = await waitFor('action-plans to know the group', async () => {
      const res = await api().post('/resource-cases').set('authorization', leader).send({ kind: 'group-without-cpr', groupId: group, meetingId, parentsInformedOn: day(-2) });
      return res.status === 422 && res.body.code === 'CASE_INVALID' ? false : res;
    });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ status: 'submitted', childId: null, groupId: group, planId: null, meetingId, meetingOn: day(12), consentId: null, parentsInformedOn: day(-2) });
    // A group case names no child: the case would land on that child's record, its events name it, its parents read it.
    const withChild = await api().post('/resource-cases').set('authorization', leader).send({ kind: 'group-without-cpr', groupId: group, childId, meetingId, parentsInformedOn: day(-2) });
    expect(withChild.status).toBe(422);
    expect(withChild.body).toMatchObject({ code: 'CASE_INVALID', errors: [{ field: 'childId' }] });
    const childWithGroup = await api().post('/resource-cases').set('authorization', leader).send({ kind: 'special-provision', childId, groupId: group });
    expect(childWithGroup.status).toBe(422);
    expect(childWithGroup.body).toMatchObject({ code: 'CASE_INVALID', errors: [{ field: 'groupId' }] });

    const decided = await api().post(`/resource-cases/${submitted.body.id}/decision`).set('authorization', consultant).send({ outcome: 'refused', answer: 'Distriktsrådet har ikke bevilget ressourcer til gruppen.' });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ groupId: group, childId: null, decision: { outcome: 'refused', from: null, to: null } });
  });
});
