// The journey of issue 11, end to end over real Kafka, the real document store and logins
// through the OIDC provider: Emma's well-being rated yellow at Børnehuset Solsikken, her plan
// escalated from preventive to anticipatory to intervening under R5, her parents' consents with
// MitID, the district council's grant, the handover to Nordskolen that ends when a parent
// withdraws, and the anonymised figures. Each step checks the HTTP answers and the events.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { contractRegistry } from '@spor/contracts';
import { waitFor } from '@spor/testkit';
import { demoLogins } from '../../deploy/local/demo-municipality.js';
import { startSuite, type ServiceName, type Suite } from './suite.js';
import { TopicTap, type Envelope } from './topic-tap.js';
import { topicFor } from '@spor/events';
import { danishDay } from '@spor/directory';

let suite: Suite;
let tap: TopicTap;
const tokens = {} as Record<'educator' | 'colleague' | 'leader' | 'consultant' | 'teacher' | 'council' | 'mother' | 'father', string>;
let emma: string;
let solsikken: string;
let nord: string;
let nordskolen: string;
let class0A: string;

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

interface Answer {
  status: number;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(method: string, service: ServiceName, path: string, token: string, body?: unknown): Promise<Answer> {
  const res = await fetch(suite.api(service, path), {
    method,
    headers: { authorization: token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}
const get = (service: ServiceName, path: string, token: string) => call('GET', service, path, token);
const post = (service: ServiceName, path: string, token: string, body?: unknown) => call('POST', service, path, token, body);

/** Repeats a call until it answers `status`: a service learns of another's change from the topics. */
const eventually = (what: string, status: number, attempt: () => Promise<Answer>) =>
  waitFor(what, async () => {
    const answer = await attempt();
    return answer.status === status ? answer : false;
  });

/** The events about `subject` on `topic`, once those of the `verbs` (in this order) have all arrived; checked against their schemas and for personal data. */
async function eventsAbout(topic: string, subject: string, verbs: string[]): Promise<Envelope[]> {
  const about = (events: Envelope[]) => events.filter((e) => e.subject === subject);
  const verbsOf = (events: Envelope[]) => events.map((e) => e.type.split('.').at(-2));
  const events = about(await tap.until(topic, `${verbs.join(', ')} of ${subject}`, (all) => verbsOf(about(all)).join() === verbs.join()));
  const demo = suite.seeded.demo;
  const personal = [...demo.children, ...demo.parents, ...demo.staff].flatMap((p) => [p.cpr, `${p.givenName} ${p.familyName}`]);
  for (const e of events) {
    expect(contractRegistry().checkEnvelope(e)).toEqual([]);
    const text = JSON.stringify(e);
    expect(personal.filter((p) => text.includes(p))).toEqual([]);
  }
  return events;
}

beforeAll(async () => {
  suite = await startSuite();
  tap = await TopicTap.start(suite.brokers, [topicFor('assessments', 'assessment'), topicFor('action-plans', 'plan'), topicFor('action-plans', 'resource-case'), topicFor('consent', 'consent'), topicFor('transitions', 'handover')]);
  const { demo, units, persons } = suite.seeded;
  emma = persons.get('emma')!;
  solsikken = units.get('DEMO-SOLSIKKEN')!;
  nord = units.get('DEMO-NORD')!;
  nordskolen = units.get('DEMO-NORDSKOLEN')!;
  class0A = units.get('DEMO-NORDSKOLEN-0A')!;
  // The demo accounts npm start offers, all logging in at once: staff at the staff IdP, parents with "MitID".
  const logins = { educator: 'lise.paedagog', colleague: 'mads.paedagog', leader: 'hanne.leder', consultant: 'karen.konsulent', teacher: 'jonas.laerer', council: 'bent.distriktsraad', mother: 'maria.holm', father: 'thomas.holm' } as const;
  const kindOf = (account: string) => (demoLogins(demo).find((l) => l.account.sub === account)!.login);
  await Promise.all(Object.entries(logins).map(async ([who, account]) => (tokens[who as keyof typeof tokens] = await suite.login(kindOf(account), account))));
}, 240_000);

afterAll(async () => {
  await tap?.stop();
  await suite?.stop();
});

describe('the journey of one child, from a yellow light to school', () => {
  let planId: string;
  let jointId: string;

  test('1. the educator logs in and the team rates Emma’s well-being yellow', async () => {
    // Through the gateway: no token, no way in; the educator's token from her login opens it.
    expect((await get('assessments', `/children/${emma}/assessments`, '')).status).toBe(401);
    const history = await get('assessments', `/children/${emma}/assessments`, tokens.educator);
    expect(history.status).toBe(200);
    expect(history.body.items).toEqual([]);
    const rate = (token: string) => post('assessments', '/assessments', token, { instrumentId: 'trivselsvurdering', childId: emma, answers: { samlet: 'yellow', omraader: ['socialt'] }, complete: true });
    const first = await rate(tokens.educator);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ rating: 'independent', results: [{ section: 'trivsel', category: 'yellow' }] });
    const second = await rate(tokens.colleague);
    expect(second.status).toBe(201);
    const joint = await post('assessments', '/assessments', tokens.educator, { instrumentId: 'trivselsvurdering', childId: emma, rating: 'joint', basedOn: [first.body.id, second.body.id], answers: { samlet: 'yellow', omraader: ['socialt'] }, complete: true });
    expect(joint.status).toBe(201);
    expect(joint.body).toMatchObject({ rating: 'joint', results: [{ section: 'trivsel', category: 'yellow' }] });
    jointId = joint.body.id;

    const [completed] = await eventsAbout(topicFor('assessments', 'assessment'), jointId, ['completed']);
    expect(completed!.data).toMatchObject({ childId: emma, instrumentId: 'trivselsvurdering', institutionId: solsikken, rating: 'joint', results: [{ section: 'trivsel', category: 'yellow' }] });
  });

  test('2–3. a plan with goals and signs; preventive then anticipatory efforts, each evaluated; R5 refuses the intervening effort until both are', async () => {
    const draft = await post('action-plans', '/plans', tokens.educator, {
      childId: emma,
      startOn: day(-60),
      nextEvaluationOn: day(-30),
      goals: [{ text: 'Emma deltager i leg med de andre børn', signs: ['Tager selv initiativ til leg', 'Bliver i legen i ti minutter'] }],
      perspectives: { child: { seeMeAsIAm: 'Jeg kan godt lide at bygge' }, parents: { letMeBelong: 'Hun savner en legekammerat' } },
    });
    expect(draft.status).toBe(201);
    planId = draft.body.id;
    const [goal] = draft.body.goals as { goalId: string; signs: { signId: string }[] }[];
    expect((await post('action-plans', `/plans/${planId}/activate`, tokens.educator)).status).toBe(200);

    const effort = (level: string, description: string, actors: string[], start: string) => post('action-plans', `/plans/${planId}/efforts`, tokens.educator, { level, description, actors, start });
    const evaluate = (on: string, signsSeen: string[], decision: string, nextEvaluationOn: string) =>
      post('action-plans', `/plans/${planId}/evaluations`, tokens.educator, { on, goals: [{ goalId: goal!.goalId, signsSeen, adjustment: 'Fortsætter i mindre grupper' }], decision, nextEvaluationOn });

    expect((await effort('preventive', 'Leg i mindre grupper med en voksen', ['team'], day(-60))).status).toBe(201);
    const firstEvaluation = await evaluate(day(-30), [goal!.signs[0]!.signId], 'adjust', day(-1));
    expect(firstEvaluation.status).toBe(201);
    expect((await effort('anticipatory', 'Praksisvejlederen observerer og vejleder teamet', ['praksisvejleder'], day(-29))).status).toBe(201);

    // Step 2 is not complete: the anticipatory effort has not been evaluated.
    const early = await effort('intervening', 'Ressourcevurdering i distriktsrådet', ['team'], day(0));
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'ESCALATION_REQUIRES_EVALUATED_PRIOR_EFFORTS', rule: 'R5' });

    expect((await evaluate(day(-1), [goal!.signs[0]!.signId, goal!.signs[1]!.signId], 'escalate', day(30))).status).toBe(201);
    const allowed = await effort('intervening', 'Ressourcevurdering i distriktsrådet', ['team'], day(0));
    expect(allowed.status).toBe(201);
    const plan = await get('action-plans', `/plans/${planId}`, tokens.educator);
    expect(plan.body.efforts.map((e: { level: string }) => e.level)).toEqual(['preventive', 'anticipatory', 'intervening']);

    const events = await eventsAbout(topicFor('action-plans', 'plan'), planId, ['activated', 'effort-added', 'evaluated', 'effort-added', 'evaluated', 'effort-added']);
    expect(events.filter((e) => e.type.includes('effort-added')).map((e) => e.data.effortLevels.at(-1))).toEqual(['preventive', 'anticipatory', 'intervening']);
  });

  let resourceConsent: string;

  test('4. consent for resource assessment with CPR and for a network meeting: both custody holders log in with MitID and grant; the network meeting is recorded', async () => {
    const ask = (purposeId: string) => eventually(`consent to know Emma's placement (${purposeId})`, 201, () => post('consent', '/consents', tokens.educator, { childId: emma, purposeId }));
    const resource = await ask('resource-assessment');
    const network = await ask('network-meeting');
    resourceConsent = resource.body.id;
    expect(resource.body).toMatchObject({ childId: emma, purposeId: 'resource-assessment', valid: false });
    await waitFor('consent to know both custody holders', async () => (await get('consent', `/consents/${resourceConsent}`, tokens.educator)).body.custodyHolders?.length === 2);

    // The parents see what is asked of them.
    const mine = await get('consent', '/my/consents', tokens.mother);
    expect(mine.status).toBe(200);
    expect(JSON.stringify(mine.body)).toContain(resourceConsent);
    for (const consentId of [resourceConsent, network.body.id]) {
      expect((await post('consent', `/consents/${consentId}/grant`, tokens.mother)).status).toBe(200);
      const second = await post('consent', `/consents/${consentId}/grant`, tokens.father);
      expect(second.status).toBe(200);
      expect(second.body.valid).toBe(true);
    }
    const events = await eventsAbout(topicFor('consent', 'consent'), resourceConsent, ['requested', 'granted', 'granted']);
    expect(events.at(-1)!.data).toMatchObject({ childId: emma, purposeId: 'resource-assessment', valid: true });

    const meeting = await eventually('action-plans to see the network-meeting consent', 201, () =>
      post('action-plans', `/plans/${planId}/meetings`, tokens.educator, { kind: 'network', on: danishDay(new Date()), participants: [{ role: 'ppr-psykolog', external: true }, { role: 'pædagog', external: false }], minutes: 'Aftalt at søge ressourcevurdering' }),
    );
    expect(meeting.body.meeting).toMatchObject({ kind: 'network', consentIds: [network.body.id] });
  });

  test('5. the leader submits the resource case 12 days before the council meeting (9 days is refused); the consultant grants a praksisvejleder for six months; the parents read the answer', async () => {
    const meetings = await get('action-plans', `/districts/${nord}/council-meetings`, tokens.consultant);
    const inTwelve = (meetings.body.items as { _id: string; on: string }[]).find((m) => m.on === day(12));
    expect(inTwelve).toBeDefined();
    const inNine = await post('action-plans', `/districts/${nord}/council-meetings`, tokens.consultant, { on: day(9) });
    expect(inNine.status).toBe(201);

    const submit = (meetingId: string) => post('action-plans', '/resource-cases', tokens.leader, { kind: 'child-with-cpr', childId: emma, planId, meetingId });
    const late = await eventually('action-plans to see both grants', 422, () => submit(inNine.body._id));
    expect(late.body).toMatchObject({ code: 'SUBMISSION_TOO_LATE', rule: 'R7' });
    const submitted = await submit(inTwelve!._id);
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ status: 'submitted', meetingOn: day(12), consentId: resourceConsent });

    const answer = 'Distriktsrådet har bevilget en praksisvejleder i seks måneder med mål for Emmas deltagelse i leg.';
    const decided = await post('action-plans', `/resource-cases/${submitted.body.id}/decision`, tokens.consultant, { outcome: 'praksisvejleder', from: day(14), months: 6, goals: ['Emma deltager i fælles leg med to andre børn'], answer });
    expect(decided.status).toBe(200);
    expect(decided.body.decision).toMatchObject({ outcome: 'praksisvejleder', from: day(14) });

    for (const token of [tokens.mother, tokens.father]) {
      const read = await get('action-plans', `/resource-cases/${submitted.body.id}`, token);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ status: 'decided', decision: { answer } });
    }
    const events = await eventsAbout(topicFor('action-plans', 'resource-case'), submitted.body.id, ['submitted', 'decided']);
    expect(JSON.stringify(events)).not.toContain('seks måneder');
  });

  test('6. the move to school: transfer consent, the handover released, read and acknowledged by the school; a withdrawal ends the school’s access', async () => {
    const planned = await post('transitions', '/transitions', tokens.leader, { childId: emma, toInstitutionId: nordskolen, toGroupId: class0A, date: day(60) });
    expect(planned.status).toBe(201);
    expect(planned.body).toMatchObject({ kind: 'daycare-to-school', fromInstitutionId: solsikken, status: 'planned' });
    const transitionId = planned.body.id;
    const note = 'Emma bygger gerne med klodser og trives i små grupper.';
    expect((await call('PATCH', 'transitions', `/transitions/${transitionId}/handover`, tokens.educator, { note, childPerspective: 'Jeg glæder mig til at gå i skole.' })).status).toBe(200);
    const refused = await post('transitions', `/transitions/${transitionId}/handover/release`, tokens.educator);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'CONSENT_REQUIRED', rule: 'R15' });

    const asked = await post('consent', '/consents', tokens.educator, { childId: emma, purposeId: 'transition-transfer', scope: { receivingUnitId: nordskolen } });
    expect(asked.status).toBe(201);
    for (const token of [tokens.mother, tokens.father]) expect((await post('consent', `/consents/${asked.body.id}/grant`, token)).status).toBe(200);
    const released = await eventually('transitions to see the transfer consent', 200, () => post('transitions', `/transitions/${transitionId}/handover/release`, tokens.educator));
    expect(released.body.handover).toMatchObject({ status: 'released', legalBasis: 'consent', consentId: asked.body.id });

    const read = await get('transitions', `/handovers/${transitionId}`, tokens.teacher);
    expect(read.status).toBe(200);
    expect(read.body.handover.note).toBe(note);
    expect(read.body.handover.actionPlans).toEqual([expect.objectContaining({ planId, effortLevels: ['preventive', 'anticipatory', 'intervening'] })]);
    expect((await post('transitions', `/handovers/${transitionId}/acknowledge`, tokens.teacher)).body.handover.status).toBe('acknowledged');

    expect((await post('consent', `/consents/${asked.body.id}/withdraw`, tokens.mother)).status).toBe(200);
    await eventually('the school to lose the package', 404, () => get('transitions', `/handovers/${transitionId}`, tokens.teacher));

    const handover = await eventsAbout(topicFor('transitions', 'handover'), transitionId, ['planned', 'released', 'acknowledged', 'revoked']);
    expect(handover.at(-1)!.data.reason).toBe('consent-withdrawn');
    expect(JSON.stringify(handover)).not.toContain('klodser');
    const consent = await eventsAbout(topicFor('consent', 'consent'), asked.body.id, ['requested', 'granted', 'granted', 'withdrawn']);
    expect(consent.at(-1)!.data.valid).toBe(false);
  });

  test('7. reporting shows the institution’s and the district’s well-being with small cells suppressed', async () => {
    const month = day(0).slice(0, 7);
    const rated = suite.seeded.demo.children.filter((c) => c.wellbeing).length + 1;
    const wellbeing = (res: { body: { units?: { unitId: string; figures: { wellbeing?: { cells: Record<string, number | null>; total: number | null; suppressed: string[] } } }[] } }, unitId: string) =>
      res.body.units?.find((u) => u.unitId === unitId)?.figures.wellbeing;
    const institution = await waitFor('reporting to count Emma', async () => {
      const res = await get('reporting', `/figures/wellbeing?unitId=${solsikken}&month=${month}`, tokens.leader);
      return wellbeing(res, solsikken)?.total === rated ? res : false;
    });
    // Emma's and Karl's yellow (two children) is hidden, and a second cell with it, so the total does not give it away.
    const own = wellbeing(institution, solsikken)!;
    expect(own.cells.yellow).toBeNull();
    expect(own.suppressed).toContain('yellow');
    expect(Object.values(own.cells).filter((n) => n === null).length).toBeGreaterThanOrEqual(2);

    const district = await get('reporting', `/figures/wellbeing?unitId=${nord}&month=${month}`, tokens.council);
    expect(district.status).toBe(200);
    expect(wellbeing(district, nord)!.total).toBe(rated);
    expect(wellbeing(district, solsikken)!.cells.yellow).toBeNull();
    // A leader sees her own institution, not the district.
    expect((await get('reporting', `/figures/wellbeing?unitId=${nord}&month=${month}`, tokens.leader)).status).toBe(403);

    // One active plan: a row of one, so nothing of it shows.
    const plans = await waitFor('reporting to count the plan', async () => {
      const res = await get('reporting', `/figures/plans?unitId=${solsikken}&month=${month}`, tokens.leader);
      return res.status === 200 && res.body.units[0].figures.plans.total === null ? res : false;
    });
    expect(plans.body.units[0].figures.plans.cells).toEqual({ preventive: null, anticipatory: null, intervening: null });

    // The figures are the joint ratings the assessments service published for the institution this month.
    const assessments = await tap.until(topicFor('assessments', 'assessment'), 'the institution’s joint ratings', (events) => events.some((e) => e.subject === jointId));
    const joint = assessments.filter((e) => e.data.institutionId === solsikken && e.data.rating === 'joint' && e.type.endsWith('completed.v1'));
    expect(new Set(joint.map((e) => e.data.childId)).size).toBe(rated);
  });
});
