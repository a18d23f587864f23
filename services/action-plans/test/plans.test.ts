// action-plans with identity and transitions beside it on the real broker and store: the
// child's placement arrives as events; plans are written over HTTP; R1, R4 and R5 are enforced
// and the changes published.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { NSIS_LEVELS } from '@spor/auth';
import { contractRegistry } from '@spor/contracts';
import { quietLogger, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, freshCpr, startTestIdentity } from '../../identity/test/support.js';
import { startTransitions, type RunningTransitions } from '../../transitions/src/service.js';
import { startActionPlans, type RunningActionPlans } from '../src/service.js';
import { topicFor } from '@spor/events';

const { brokers, mongoUrl } = testInfra();
let identity: RunningIdentity;
let transitions: RunningTransitions;
let actionPlans: RunningActionPlans;
let now = new Date();
const units = {} as Record<'mun' | 'district' | 'kindergarten' | 'group' | 'other', string>;
let childId: string;
let mother: string;
let educator: string;
let otherInstitution: string;

const as = (role: string, unitId: string) => bearer(identity, '510', role, { roles: [{ role, unitId }] });
const parent = (personId: string) => bearer(identity, '510', 'educator', { personId, kind: 'parent', roles: [], acr: NSIS_LEVELS.substantial });
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  identity = await startTestIdentity();
  const root = await bearer(identity, '510');
  const post = async (path: string, body: object) => (await request(identity.url).post(path).set('authorization', root).send(body)).body.id as string;
  units.mun = await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' });
  units.district = await post('/admin/org-units', { kind: 'district', name: 'D', parentId: units.mun });
  units.kindergarten = await post('/admin/org-units', { kind: 'institution', name: 'Børnehaven', parentId: units.district, institutionType: 'boernehave' });
  units.group = await post('/admin/org-units', { kind: 'group', name: 'Solsikken', parentId: units.kindergarten });
  units.other = await post('/admin/org-units', { kind: 'institution', name: 'Den anden', parentId: units.district, institutionType: 'boernehave' });
  childId = await post('/admin/persons', { kind: 'child', cpr: freshCpr(), givenName: 'Barn', familyName: 'Test' });
  mother = await post('/admin/persons', { kind: 'parent', cpr: `0303851${100 + Math.floor(Math.random() * 899)}`, givenName: 'Mor', familyName: 'Test' });
  await request(identity.url).put('/admin/guardianships').set('authorization', root).send({ parentId: mother, childId, custody: true });
  educator = await as('educator', units.group);
  otherInstitution = await as('educator', units.other);

  const common = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` };
  transitions = await startTransitions({ ...common, TRANSITIONS_DB_NAME: uniqueName('transitions-test'), TRANSITIONS_CONSUMER_GROUP: uniqueName('transitions') }, { logger: quietLogger() });
  actionPlans = await startActionPlans({ ...common, ACTION_PLANS_DB_NAME: uniqueName('action-plans-test'), ACTION_PLANS_CONSUMER_GROUP: uniqueName('action-plans') }, { logger: quietLogger(), clock: () => now });
  const admin = await as('system-administrator', units.mun);
  await waitFor('the child enrolled', async () => (await request(transitions.url).post(`/children/${childId}/placements`).set('authorization', admin).send({ institutionId: units.kindergarten, groupId: units.group, from: '2024-08-01' })).status === 201);
  await waitFor('action-plans to know the placement', async () => (await request(actionPlans.url).get(`/children/${childId}/plans`).set('authorization', educator)).status === 200);
});

afterAll(async () => {
  await actionPlans.runtime.shutdown();
  await transitions.runtime.shutdown();
  await identity.runtime.shutdown();
});

const api = () => request(actionPlans.url);

describe('action plans', () => {
  let planId: string;
  let goalId: string;
  let firstGoalId: string;
  let signId: string;
  /** Every goal of the plan, none of its signs seen (R4: an evaluation records each goal). */
  const everyGoal = () => [{ goalId: firstGoalId, signsSeen: [] }, { goalId, signsSeen: [] }];

  test('R1: a plan is activated only with a goal that has a sign and an evaluation date', async () => {
    const draft = await api().post('/plans').set('authorization', educator).send({ childId, startOn: day(-60), goals: [{ text: 'Deltager i samlingen', signs: [] }], perspectives: { child: { seeMeAsIAm: 'Jeg bygger gerne med klodser' }, parents: { letMeBelong: 'Hun savner en fast legekammerat' } } });
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ status: 'draft', institutionId: units.kindergarten });
    planId = draft.body.id;
    const refused = await api().post(`/plans/${planId}/activate`).set('authorization', educator);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'PLAN_INCOMPLETE', rule: 'R1' });
    const edited = await api().patch(`/plans/${planId}`).set('authorization', educator).send({ addGoals: [{ text: 'Leger med andre', signs: ['Tager initiativ til leg'] }], nextEvaluationOn: day(-30) });
    goalId = edited.body.goals[1].goalId;
    firstGoalId = edited.body.goals[0].goalId;
    signId = edited.body.goals[1].signs[0].signId;
    const active = await api().post(`/plans/${planId}/activate`).set('authorization', educator);
    expect(active.body.status).toBe('active');
  });

  test('R5: escalation to an intervening effort only after evaluated preventive and anticipatory efforts', async () => {
    const effort = (level: string, start: string) => api().post(`/plans/${planId}/efforts`).set('authorization', educator).send({ level, description: `${level} indsats`, actors: level === 'anticipatory' ? ['praksisvejleder'] : ['team'], start });
    const evaluateOn = (on: string, next: string) => api().post(`/plans/${planId}/evaluations`).set('authorization', educator).send({ on, goals: [{ goalId: firstGoalId, signsSeen: [] }, { goalId, signsSeen: [signId], adjustment: 'Mere voksenstøtte' }], decision: 'continue', nextEvaluationOn: next });

    const tooEarly = await effort('intervening', day(-50));
    expect(tooEarly.status).toBe(409);
    expect(tooEarly.body).toMatchObject({ code: 'ESCALATION_REQUIRES_EVALUATED_PRIOR_EFFORTS', rule: 'R5' });
    expect((await effort('preventive', day(-55))).status).toBe(201);
    expect((await evaluateOn(day(-40), day(-20))).status).toBe(201);
    expect((await effort('anticipatory', day(-35))).status).toBe(201);
    const unevaluated = await effort('intervening', day(-30));
    expect(unevaluated.status).toBe(409);
    expect(unevaluated.body.detail).toContain('anticipatory effort(s) not yet evaluated');
    expect((await evaluateOn(day(-20), day(30))).status).toBe(201);
    const allowed = await effort('intervening', day(-10));
    expect(allowed.status).toBe(201);

    const records = await readTopicUntil(brokers, topicFor('action-plans', 'plan'), 'the intervening effort', (rs) => rs.some((r) => r.value!.includes(planId) && r.value!.includes('"level":"intervening"')));
    const events = records.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === planId);
    expect(events.map((e) => e.type.split('.')[4])).toEqual(['activated', 'effort-added', 'evaluated', 'effort-added', 'evaluated', 'effort-added']);
    for (const e of events) {
      expect(contractRegistry().checkEnvelope(e)).toEqual([]);
      expect(JSON.stringify(e)).not.toContain('voksenstøtte');
    }
    expect(events[5].data.effortLevels).toEqual(['preventive', 'anticipatory', 'intervening']);
  });

  test('bad inputs are 422 naming the field', async () => {
    const unknownGoal = await api().post(`/plans/${planId}/evaluations`).set('authorization', educator).send({ on: day(-1), goals: [{ goalId: '00000000-0000-4000-8000-000000000000', signsSeen: [] }], decision: 'continue', nextEvaluationOn: day(20) });
    expect(unknownGoal.status).toBe(422);
    expect(unknownGoal.body).toMatchObject({ code: 'PLAN_INVALID', rule: 'R4' });
    expect(unknownGoal.body.errors[0].field).toBe('goals.0.goalId');
    const beforeStart = await api().post(`/plans/${planId}/evaluations`).set('authorization', educator).send({ on: day(-90), goals: everyGoal(), decision: 'continue', nextEvaluationOn: day(20) });
    expect(beforeStart.body.errors.map((e: { field: string }) => e.field)).toEqual(['on']);
    const noGoal = await api().post(`/plans/${planId}/evaluations`).set('authorization', educator).send({ on: day(1), goals: [], decision: 'continue', nextEvaluationOn: day(20) });
    expect(noGoal.status).toBe(422);
    expect(noGoal.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['goals', 'on']);
    const pastDate = await api().patch(`/plans/${planId}`).set('authorization', educator).send({ nextEvaluationOn: day(-100) });
    expect(pastDate.status).toBe(422);
    expect(pastDate.body.errors[0].field).toBe('nextEvaluationOn');
    const level = await api().post(`/plans/${planId}/efforts`).set('authorization', educator).send({ level: 'urgent', description: 'x', actors: ['team'], start: day(-1) });
    expect(level.status).toBe(422);
    expect(level.body).toMatchObject({ code: 'PLAN_INVALID', rule: 'R2' });
    expect(level.body.errors[0].field).toBe('level');
  });

  test('access: another institution gets 403; parents read a plan only once it is shared', async () => {
    const foreign = await api().get(`/plans/${planId}`).set('authorization', otherInstitution);
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('RELATION_REQUIRED');
    expect((await api().get(`/plans/${planId}`).set('authorization', await parent(mother))).status).toBe(404);
    await api().patch(`/plans/${planId}`).set('authorization', educator).send({ sharedWithParents: true }).expect(200);
    const shared = await api().get(`/plans/${planId}`).set('authorization', await parent(mother));
    expect(shared.status).toBe(200);
    expect(shared.body.perspectives.parents.letMeBelong).toBe('Hun savner en fast legekammerat');
    // A parent without custody learns nothing of the child, not even an empty list, and leaves no read.
    const stranger = '44444444-4444-4444-8444-444444444444';
    expect((await api().get(`/children/${childId}/plans`).set('authorization', await parent(stranger))).status).toBe(404);
    const entries = await actionPlans.audit.forChild(childId);
    expect(entries.filter((e) => e.actor === stranger)).toEqual([]);
    expect(new Set(entries.map((e) => e.operation))).toEqual(new Set(['create', 'read', 'update', 'activate', 'add-effort', 'evaluate']));
  });

  test('access after a move: a leader of both kindergartens loses the first one’s plan when the child moves to the second', async () => {
    const root = await bearer(identity, '510');
    const moving = (await request(identity.url).post('/admin/persons').set('authorization', root).send({ kind: 'child', cpr: freshCpr(), givenName: 'Flytter', familyName: 'Test' })).body.id as string;
    const admin = await as('system-administrator', units.mun);
    let placed!: request.Response;
    await waitFor('the child enrolled', async () => (placed = await request(transitions.url).post(`/children/${moving}/placements`).set('authorization', admin).send({ institutionId: units.kindergarten, groupId: units.group, from: '2024-08-01' })).status === 201);
    const draft = await waitFor('action-plans to know the placement', async () => {
      const res = await api().post('/plans').set('authorization', educator).send({ childId: moving, startOn: day(-10), goals: [{ text: 'Deltager i samlingen', signs: [] }] });
      return res.status === 201 ? res : false;
    });
    const bothLeader = await bearer(identity, '510', 'leader', { roles: [{ role: 'leader', unitId: units.kindergarten }, { role: 'leader', unitId: units.other }] });
    expect((await api().get(`/plans/${draft.body.id}`).set('authorization', bothLeader)).status).toBe(200);
    await request(transitions.url).post(`/children/${moving}/placements/${placed.body.placementId}/move`).set('authorization', admin).send({ institutionId: units.other, on: day(0) }).expect(201);
    await waitFor('action-plans to see the move', async () => (await api().get(`/plans/${draft.body.id}`).set('authorization', bothLeader)).status === 403);
    // The child is theirs at the second kindergarten: the list answers, without the first one's plan.
    const list = await api().get(`/children/${moving}/plans`).set('authorization', bothLeader);
    expect([list.status, list.body.items]).toEqual([200, []]);
  });

  test('R4: an evaluation date that passes is flagged once, and listed for the team', async () => {
    const start = now;
    try {
      now = new Date(Date.now() + 31 * 86_400_000);
      expect(await actionPlans.flagOverdue()).toBe(1);
      expect(await actionPlans.flagOverdue()).toBe(0);
      const list = await api().get(`/institutions/${units.kindergarten}/overdue-evaluations`).set('authorization', await as('leader', units.kindergarten));
      expect(list.body.items).toEqual([{ planId, childId, groupId: null, dueOn: day(30) }]);
      // Naming the child on the list is a read of its plan, on the child's record.
      expect((await actionPlans.audit.forChild(childId)).filter((e) => e.purpose === 'overdue-evaluations').map((e) => [e.recordType, e.recordId])).toEqual([['action-plan', planId]]);
      await readTopicUntil(brokers, topicFor('action-plans', 'plan'), 'the overdue flag', (rs) => rs.some((r) => r.value!.includes(planId) && r.value!.includes('evaluation-overdue')));
    } finally {
      now = start;
    }
  });
});

// After the plan above: this group plan's overdue date would otherwise change what the R4 test counts.
describe('a group plan (R3: a group without a child)', () => {
  let groupPlanId: string;
  let goalId: string;

  test('is created and read with groupId set and childId null', async () => {
    const created = await api().post('/plans').set('authorization', educator).send({ groupId: units.group, startOn: day(-60), nextEvaluationOn: day(-1), goals: [{ text: 'Leger sammen i fællesrummet', signs: ['Venter på tur'] }] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ childId: null, groupId: units.group, institutionId: units.kindergarten, status: 'draft' });
    groupPlanId = created.body.id;
    goalId = created.body.goals[0].goalId;
    const read = await api().get(`/plans/${groupPlanId}`).set('authorization', educator);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: groupPlanId, childId: null, groupId: units.group });
  });

  test('an effort with an end date is answered with that end date', async () => {
    const effort = await api().post(`/plans/${groupPlanId}/efforts`).set('authorization', educator).send({ level: 'preventive', description: 'Faste pladser ved samlingen', actors: ['team'], start: day(-50), end: day(-5) });
    expect(effort.status).toBe(201);
    expect(effort.body.effort).toMatchObject({ start: day(-50), end: day(-5), evaluatedOn: [] });
  });

  test('a meeting is recorded without minutes', async () => {
    const meeting = await api().post(`/plans/${groupPlanId}/meetings`).set('authorization', educator).send({ kind: 'parents-conversation', on: day(-3), participants: [{ role: 'forældrerepræsentant', external: false }] });
    expect(meeting.status).toBe(201);
    expect(meeting.body).toMatchObject({ planId: groupPlanId, meeting: { kind: 'parents-conversation', consentIds: [] } });
    expect(meeting.body.meeting).not.toHaveProperty('minutes');
  });

  test('is listed as overdue with childId null and its groupId', async () => {
    await api().post(`/plans/${groupPlanId}/activate`).set('authorization', educator).expect(200);
    const list = await api().get(`/institutions/${units.kindergarten}/overdue-evaluations`).set('authorization', await as('leader', units.kindergarten));
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([{ planId: groupPlanId, childId: null, groupId: units.group, dueOn: day(-1) }]);
  });

  test('R4: an evaluation that closes the plan needs no next date, and a goal needs no adjustment', async () => {
    const evaluated = await api().post(`/plans/${groupPlanId}/evaluations`).set('authorization', educator).send({ on: day(0), goals: [{ goalId, signsSeen: [] }], decision: 'close' });
    expect(evaluated.status).toBe(201);
    expect(evaluated.body.evaluation).toMatchObject({ decision: 'close', nextEvaluationOn: null, goals: [{ goalId, signsSeen: [] }] });
    expect(evaluated.body.evaluation.goals[0]).not.toHaveProperty('adjustment');
    expect(evaluated.body.plan).toMatchObject({ status: 'closed', nextEvaluationOn: null, childId: null, groupId: units.group });
    // Closed, it takes no more meetings.
    const late = await api().post(`/plans/${groupPlanId}/meetings`).set('authorization', educator).send({ kind: 'parents-conversation', on: day(1), participants: [{ role: 'forælder', external: false }] });
    expect([late.status, late.body.code]).toEqual([409, 'PLAN_CLOSED']);
  });
});
