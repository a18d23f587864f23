// reporting fed over real Kafka with the events identity, transitions, assessments and
// action-plans publish (made here with the same factory and schemas): every figure, small-cell
// protection across rows, units and months, scoping, late and duplicated events, exports, and a
// rebuild that equals the live projections.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { MongoClient } from 'mongodb';
import { contractRegistry } from '@spor/contracts';
import { CLOUDEVENTS_CONTENT_TYPE, EventFactory, HEADERS, KafkajsTransport, toPending, type SporEvent } from '@spor/events';
import { quietLogger, testInfra, uniqueName, waitFor } from '@spor/testkit';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, startTestIdentity } from '../../identity/test/support.js';
import { startReporting, type RunningReporting } from '../src/service.js';
import { assertNothingRecoverable } from './recoverable.js';

jest.setTimeout(300_000);
const { brokers, mongoUrl } = testInfra();
let identity: RunningIdentity;
let reporting: RunningReporting;
let transport: KafkajsTransport;
// A code no other test uses (they use 510–515 and 561): every test run's identity events share the topics.
const mun = '9' + String(Math.floor(10 + Math.random() * 89));
const ids = { mun: randomUUID(), district: randomUUID(), a: randomUUID(), groupA: randomUUID(), b: randomUUID(), otherDistrict: randomUUID(), c: randomUUID() };
const registry = contractRegistry();
const factories = Object.fromEntries(['identity', 'transitions', 'assessments', 'action-plans'].map((s) => [s, new EventFactory(s, registry)]));

function event(type: string, subject: string, data: Record<string, unknown>, version = 1, partitionKey = subject): SporEvent {
  return factories[type.split('.')[2]!]!.create(type, { subject, partitionKey, municipalityId: mun, aggregateVersion: version, data });
}

async function publish(events: SporEvent[]): Promise<void> {
  await transport.send(events.map((e) => toPending(e)).map((p) => ({ topic: p.topic, key: p.key, value: JSON.stringify(p.event), headers: { [HEADERS.contentType]: CLOUDEVENTS_CONTENT_TYPE } })));
}

const unit = (unitId: string, kind: string, parentId: string | null, institutionType?: string) =>
  event('dk.spor.identity.orgunit.created.v1', unitId, { unitId, kind, parentId, ...(institutionType ? { institutionType } : {}) }, 1, `municipality:${mun}`);

function assessment(institutionId: string, instrumentId: string, section: string, category: string, completedOn: string, o: { childId?: string; assessmentId?: string; version?: number; verb?: string; rating?: string } = {}) {
  const assessmentId = o.assessmentId ?? randomUUID();
  const childId = o.childId ?? randomUUID();
  return event(
    `dk.spor.assessments.assessment.${o.verb ?? 'completed'}.v1`,
    assessmentId,
    { assessmentId, target: 'child', childId, instrumentId, instrumentVersion: 1, institutionId, ageMonths: 48, rating: o.rating ?? 'joint', results: [{ section, category }], completedOn },
    o.version ?? 1,
    childId,
  );
}
const rating = (institutionId: string, light: string, completedOn: string, o: Parameters<typeof assessment>[5] = {}) => assessment(institutionId, 'trivselsvurdering', 'trivsel', light, completedOn, o);

const planEvent = (verb: string, planId: string, childId: string, institutionId: string, on: string, levels: string[], version: number, extra: object = {}) =>
  event(`dk.spor.action-plans.plan.${verb}.v1`, planId, { planId, childId, institutionId, on, effortLevels: levels, ...extra }, version);

const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
/** Replicas look at the rebuild lease every 100 ms here, so a rebuild waits 0.7 s for them to pause. */
const reportingEnv = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', REPORTING_REBUILD_WATCH_MS: '100' };

const as = (role: string, unitId: string) => bearer(identity, mun, role, { roles: [{ role, unitId }] });
const figures = async (unitId: string, month: string, token: string, figure?: string) => request(reporting.url).get(`/figures${figure ? `/${figure}` : ''}?unitId=${unitId}&month=${month}`).set('authorization', token);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const of = (body: any, unitId: string) => body.units?.find((u: { unitId: string }) => u.unitId === unitId)?.figures;

let lateSeptember: SporEvent;
let duplicate: SporEvent;

beforeAll(async () => {
  identity = await startTestIdentity();
  transport = new KafkajsTransport({ clientId: 'reporting-test', brokers, logger: quietLogger() });
  reporting = await startReporting(
    { ...reportingEnv, REPORTING_DB_NAME: uniqueName('reporting-test'), REPORTING_CONSUMER_GROUP: uniqueName('reporting'), TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` },
    { logger: quietLogger() },
  );
  await publish([
    unit(ids.mun, 'municipality', null),
    unit(ids.district, 'district', ids.mun),
    unit(ids.otherDistrict, 'district', ids.mun),
    unit(ids.a, 'institution', ids.district, 'boernehave'),
    unit(ids.groupA, 'group', ids.a),
    unit(ids.b, 'institution', ids.district, 'vuggestue'),
    unit(ids.c, 'institution', ids.otherDistrict, 'boernehave'),
  ]);

  // Well-being. Institution a: 10 children red in September and green in October (moved to green), 10 more green,
  // 4 yellow and 6 red in October; b: 15 green, 26 yellow, 9 red; c: 3 green. Independent ratings never count.
  const movers = times(10, () => randomUUID());
  const october = [
    ...movers.map((childId) => rating(ids.a, 'green', '2026-10-03', { childId })),
    ...times(10, () => rating(ids.a, 'green', '2026-10-03')),
    ...times(4, () => rating(ids.a, 'yellow', '2026-10-04')),
    ...times(6, () => rating(ids.a, 'red', '2026-10-05')),
    ...times(15, () => rating(ids.b, 'green', '2026-10-06')),
    ...times(26, () => rating(ids.b, 'yellow', '2026-10-07')),
    ...times(9, () => rating(ids.b, 'red', '2026-10-08')),
    ...times(3, () => rating(ids.c, 'green', '2026-10-09')),
    ...times(3, () => rating(ids.c, 'red', '2026-10-09', { rating: 'independent' })),
  ];
  await publish([...movers.map((childId) => rating(ids.a, 'red', '2026-09-10', { childId })), ...october]);
  // A duplicate of one event, and a late event for September: counted once, in its own month.
  duplicate = october[0]!;
  lateSeptember = rating(ids.a, 'red', '2026-09-28');
  await publish([duplicate, lateSeptember]);

  // Language screening in a: 7 general, 5 focused, 2 special.
  await publish([...times(7, () => assessment(ids.a, 'sprogvurdering', 'sprog', 'general', '2026-10-12')), ...times(5, () => assessment(ids.a, 'sprogvurdering', 'sprog', 'focused', '2026-10-12')), ...times(2, () => assessment(ids.a, 'sprogvurdering', 'sprog', 'special', '2026-10-12'))]);

  // Coverage: 17 children born June 2021 (64 months in October) placed in a's group from August to December; 12 had motor skills assessed in September.
  const covered = times(17, () => randomUUID());
  await publish(
    covered.flatMap((childId, i) => [
      event('dk.spor.identity.person.registered.v1', childId, { personId: childId, kind: 'child', birthYear: 2021, birthMonth: 6 }),
      event('dk.spor.transitions.enrollment.enrolled.v1', childId, { childId, placementId: randomUUID(), institutionId: ids.a, institutionType: 'boernehave', groupId: ids.groupA, from: '2026-08-01', to: '2026-12-31' }),
      ...(i < 12 ? [assessment(ids.a, 'motorik', 'grovmotorik', 'adequate', '2026-09-15', { childId, rating: 'single' })] : []),
    ]),
  );

  // Plans in a: 7 preventive, 6 anticipatory, 1 intervening activated in October; 5 escalated from preventive to anticipatory
  // and 5 de-escalated from anticipatory to preventive in October; one closed in October; 6 evaluations overdue (one flagged twice).
  const plans: SporEvent[] = [];
  const overdue: SporEvent[] = [];
  for (const [n, levels] of [[7, ['preventive']], [6, ['preventive', 'anticipatory']], [1, ['preventive', 'anticipatory', 'intervening']]] as const) {
    for (let i = 0; i < n; i++) plans.push(planEvent('activated', randomUUID(), randomUUID(), ids.a, '2026-10-01', [...levels], 1));
  }
  for (let i = 0; i < 5; i++) {
    const [planId, childId] = [randomUUID(), randomUUID()];
    plans.push(planEvent('activated', planId, childId, ids.a, '2026-09-10', ['preventive'], 1), planEvent('effort-added', planId, childId, ids.a, '2026-10-05', ['preventive', 'anticipatory'], 2, { effortId: randomUUID(), level: 'anticipatory' }));
    overdue.push(planEvent('evaluation-overdue', planId, childId, ids.a, '2026-10-20', ['preventive', 'anticipatory'], 3, { dueOn: '2026-10-15' }));
  }
  for (let i = 0; i < 5; i++) {
    const [planId, childId] = [randomUUID(), randomUUID()];
    plans.push(planEvent('activated', planId, childId, ids.a, '2026-09-10', ['preventive', 'anticipatory'], 1), planEvent('evaluated', planId, childId, ids.a, '2026-10-06', ['preventive'], 2, { decision: 'adjust', nextEvaluationOn: '2026-12-01' }));
    if (i === 0) overdue.push(planEvent('evaluation-overdue', planId, childId, ids.a, '2026-10-21', ['preventive'], 3, { dueOn: '2026-10-16' }));
  }
  const [closedPlan, closedChild] = [randomUUID(), randomUUID()];
  plans.push(planEvent('activated', closedPlan, closedChild, ids.a, '2026-09-01', ['preventive'], 1), planEvent('closed', closedPlan, closedChild, ids.a, '2026-10-20', ['preventive'], 2));
  await publish([...plans, ...overdue, overdue[0]!]);

  // Resource cases in b: 5 praksisvejleder after 20 days, 1 refused after 30.
  const cases = times(6, (i) => {
    const [caseId, childId] = [randomUUID(), randomUUID()];
    const common = { caseId, kind: 'child-with-cpr', childId, districtId: ids.district, institutionId: ids.b };
    return [
      event('dk.spor.action-plans.resource-case.submitted.v1', caseId, { ...common, meetingOn: '2026-10-12', submittedOn: i < 5 ? '2026-09-20' : '2026-09-10' }, 1, childId),
      event('dk.spor.action-plans.resource-case.decided.v1', caseId, { ...common, outcome: i < 5 ? 'praksisvejleder' : 'refused', from: '2026-10-15', to: '2027-04-14', decidedOn: '2026-10-10' }, 2, childId),
    ];
  }).flat();
  await publish(cases);

  // Transitions from a starting in November: 12 planned; 5 released on consent and 5 on the guidelines, one more released on
  // consent and then revoked; 7 acknowledged. A 13th planned and called off counts nowhere.
  const transitions = times(13, (i) => {
    const [transitionId, childId] = [randomUUID(), randomUUID()];
    const common = { transitionId, childId, fromInstitutionId: ids.a, toInstitutionId: ids.c, date: '2026-11-01', kind: 'daycare-to-school' };
    const out = [event('dk.spor.transitions.handover.planned.v1', transitionId, common, 1, childId)];
    if (i < 11) out.push(event('dk.spor.transitions.handover.released.v1', transitionId, { ...common, legalBasis: i < 5 || i === 10 ? 'consent' : 'guidelines', ...(i < 5 || i === 10 ? { consentId: randomUUID() } : {}) }, 2, childId));
    if (i < 7) out.push(event('dk.spor.transitions.handover.acknowledged.v1', transitionId, common, 3, childId));
    if (i === 10) out.push(event('dk.spor.transitions.handover.revoked.v1', transitionId, { ...common, reason: 'consent-withdrawn' }, 3, childId));
    if (i === 12) out.push(event('dk.spor.transitions.handover.cancelled.v1', transitionId, common, 2, childId));
    return out;
  }).flat();
  await publish(transitions);
});

afterAll(async () => {
  await reporting.runtime.shutdown();
  await identity.runtime.shutdown();
  await transport.close();
});

async function settled(token: string) {
  return waitFor(
    'every event projected',
    async () => {
      const nov = await figures(ids.a, '2026-11', token);
      const oct = await figures(ids.mun, '2026-10', token);
      const a = of(oct.body, ids.a);
      const b = of(oct.body, ids.b);
      if (!oct.body.units || !nov.body.units) throw new Error(`figures answered ${oct.status} ${JSON.stringify(oct.body)} ${nov.status} ${JSON.stringify(nov.body)}`);
      const state = {
        planned: nov.body.units?.[0]?.figures.transitions.cells.planned,
        wellbeing: of(oct.body, ids.mun)?.wellbeing.total,
        overdue: a?.overdue.cells.overdue,
        plans: a?.plans.total,
        coverage: a?.coverage['motorik:2021'],
        language: a?.language.total,
        cases: b?.cases.total,
      };
      const expected = { planned: 12, wellbeing: 83, overdue: 6, plans: 24, coverage: { cells: { assessed: 12, notAssessed: 5 }, total: 17, suppressed: [] }, language: 14, cases: 6 };
      if (JSON.stringify(state) !== JSON.stringify(expected)) throw new Error(`not yet: ${JSON.stringify(state)} ${oct.status} ${oct.status === 200 ? '' : JSON.stringify(oct.body)}`);
      return oct;
    },
    240_000,
    500,
  );
}

describe('management information', () => {
  test('well-being and its movements per district, institution and group; late and duplicated events counted once in their month', async () => {
    const admin = await as('administration', ids.mun);
    const res = await settled(admin);
    const district = await figures(ids.district, '2026-10', admin);
    // A cell is hidden or shown the same in every report (R16 across requests): the other
    // district's 3 would be the municipality's 83 minus this district's 80, so this district's row
    // is hidden in its own view too, as it is in the municipality's; were it shown here, the two
    // views together would give the 3 away.
    expect(of(res.body, ids.mun).wellbeing).toEqual({ cells: { green: 38, yellow: 30, red: 15 }, total: 83, suppressed: [] });
    expect(of(res.body, ids.otherDistrict).wellbeing.total).toBeNull();
    expect(of(district.body, ids.district).wellbeing.total).toBeNull();
    expect(of(district.body, ids.district).wellbeing.cells.green).toBeNull();
    for (const unitId of [ids.district, ids.a, ids.b]) expect([unitId, of(district.body, unitId).wellbeing]).toEqual([unitId, of(res.body, unitId).wellbeing]);
    // a's 4 yellow is hidden, and a second cell of its row; its total with the district's.
    expect(of(district.body, ids.a).wellbeing).toEqual({ cells: { green: 20, yellow: null, red: null }, total: null, suppressed: ['red', 'yellow'] });
    expect(of(district.body, ids.b).wellbeing.cells.yellow).toBeNull();
    expect(of(district.body, ids.a).movement).toEqual({ cells: { improved: 10, worsened: 0, unchanged: 0 }, total: 10, suppressed: [] });
    // September: the 10 children rated red and the late rating: 11, once each.
    const september = await figures(ids.a, '2026-09', admin, 'wellbeing');
    expect(september.body.units[0].figures.wellbeing).toEqual({ cells: { green: 0, yellow: 0, red: 11 }, total: 11, suppressed: [] });
    // Institution c has 3 children rated (its independent ratings do not count): nothing shown.
    expect(of(res.body, ids.c).wellbeing.total).toBeNull();
  });

  test('language categories, plans by level with escalations, overdue evaluations', async () => {
    const admin = await as('administration', ids.mun);
    await settled(admin);
    const a = (await figures(ids.a, '2026-10', admin)).body.units[0].figures;
    // 2 special is hidden, and the next smallest (5 focused) so the total does not give it away.
    expect(a.language).toEqual({ cells: { general: 7, focused: null, special: null }, total: 14, suppressed: ['focused', 'special'] });
    // At the end of October: 7 + 5 de-escalated preventive, 6 + 5 escalated anticipatory, 1 intervening (hidden, with the next smallest).
    expect(a.plans).toEqual({ cells: { preventive: 12, anticipatory: null, intervening: null }, total: 24, suppressed: ['anticipatory', 'intervening'] });
    expect(a.escalations).toEqual({ cells: { escalated: 5, deescalated: 5 }, suppressed: [] });
    expect(a.overdue).toEqual({ cells: { overdue: 6 }, suppressed: [] });
    // September: 5 preventive (to be escalated), 5 anticipatory (to be de-escalated), 1 preventive closed in October.
    const september = (await figures(ids.a, '2026-09', admin, 'plans')).body.units[0].figures.plans;
    expect(september).toEqual({ cells: { preventive: 6, anticipatory: 5, intervening: 0 }, total: 11, suppressed: [] });
  });

  test('coverage per instrument and birth cohort, per institution and group', async () => {
    const admin = await as('administration', ids.mun);
    await settled(admin);
    const res = await figures(ids.a, '2026-10', admin, 'coverage');
    const a = of(res.body, ids.a).coverage;
    const group = of(res.body, ids.groupA).coverage;
    expect(a['motorik:2021']).toEqual({ cells: { assessed: 12, notAssessed: 5 }, total: 17, suppressed: [] });
    expect(group['motorik:2021']).toEqual(a['motorik:2021']);
    expect(a['sprogvurdering:2021']).toEqual({ cells: { assessed: 0, notAssessed: 17 }, total: 17, suppressed: [] });
    // Before the placement began nobody was in scope.
    const july = await figures(ids.a, '2026-07', admin, 'coverage');
    expect(of(july.body, ids.a).coverage['motorik:2021']).toBeUndefined();
  });

  test('resource cases by decision with time to decision; transitions and the share with consent', async () => {
    const admin = await as('administration', ids.mun);
    await settled(admin);
    const b = (await figures(ids.b, '2026-10', admin)).body.units[0].figures;
    expect(b.cases.total).toBe(6);
    expect(b.cases.cells.refused).toBeNull();
    expect(b.cases.cells.praksisvejleder).toBeNull();
    expect(b.meanDaysToDecision).toBe(21.7);
    const a = (await figures(ids.a, '2026-11', admin)).body.units[0].figures;
    expect(a.transitions).toEqual({ cells: { planned: 12, acknowledged: 7 }, suppressed: [] });
    expect(a.handovers).toEqual({ cells: { withConsent: 5, onGuidelines: 5 }, total: 10, suppressed: [] });
    expect(a.shareWithConsent).toBe(0.5);
  });

  test('a leader sees their institution and its groups, a council member their district, not more', async () => {
    const admin = await as('administration', ids.mun);
    await settled(admin);
    const leader = await as('leader', ids.a);
    expect((await figures(ids.a, '2026-10', leader)).status).toBe(200);
    expect((await figures(ids.groupA, '2026-10', leader)).status).toBe(200);
    expect((await figures(ids.b, '2026-10', leader)).status).toBe(403);
    expect((await figures(ids.district, '2026-10', leader)).status).toBe(403);
    const council = await as('district-council-member', ids.district);
    expect((await figures(ids.district, '2026-10', council)).status).toBe(200);
    expect((await figures(ids.a, '2026-10', council)).status).toBe(200);
    expect((await figures(ids.otherDistrict, '2026-10', council)).status).toBe(403);
    const refused = await figures(ids.mun, '2026-10', await as('educator', ids.a));
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect((await figures(randomUUID(), '2026-10', admin)).status).toBe(404);
    expect((await request(reporting.url).get(`/figures?unitId=${ids.a}&month=2026-13`).set('authorization', admin)).status).toBe(400);
  });

  test('the quality report: JSON and a self-contained HTML page, nothing recoverable across rows, units or months', async () => {
    const admin = await as('administration', ids.mun);
    await settled(admin);
    const json = await request(reporting.url).get(`/quality-report?unitId=${ids.mun}&from=2026-08&to=2026-11`).set('authorization', admin);
    expect(json.status).toBe(200);
    expect(json.body.columns.map((c: { month: string }) => c.month)).toEqual(['2026-08', '2026-09', '2026-10', '2026-11', 'period']);
    assertNothingRecoverable(json.body);
    // Nor across the reports of every unit under it, for the period and its months (differencing).
    const reports = [json.body];
    for (const unitId of [ids.district, ids.otherDistrict, ids.a, ids.b, ids.c, ids.groupA]) {
      for (const [from, to] of [['2026-08', '2026-11'], ['2026-09', '2026-10'], ['2026-10', '2026-10']]) {
        const other = await request(reporting.url).get(`/quality-report?unitId=${unitId}&from=${from}&to=${to}`).set('authorization', admin);
        expect(other.status).toBe(200);
        reports.push(other.body);
      }
    }
    assertNothingRecoverable(reports);
    const html = await request(reporting.url).get(`/quality-report.html?unitId=${ids.mun}&from=2026-08&to=2026-11`).set('authorization', admin);
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.text).toContain('<svg');
    expect(html.text).not.toMatch(/<script|<link|src=|href=/);
  });

  test('CSV per figure for a period', async () => {
    const admin = await as('administration', ids.mun);
    await settled(admin);
    const csv = await request(reporting.url).get(`/figures/wellbeing/export.csv?unitId=${ids.district}&from=2026-09&to=2026-10`).set('authorization', admin);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('month,unitId,unitKind,parentId,externalId,figure,key,value,suppressed');
    expect(lines).toContain(`2026-10,${ids.a},institution,${ids.district},,wellbeing,yellow,,true`);
    expect(lines).toContain(`2026-09,${ids.district},district,,,wellbeing,total,11,false`);
    // October's total is hidden (see the first test), so the period's, which would give it away, is too.
    expect(lines).toContain(`2026-10,${ids.district},district,,,wellbeing,total,,true`);
    expect(lines).toContain(`period,${ids.district},district,,,wellbeing,total,,true`);
    expect(lines.some((l) => l.startsWith(`period,${ids.district},`))).toBe(true);
  });

  test('a rebuild from the topics gives the same figures as the live projections', async () => {
    const admin = await as('administration', ids.mun);
    await settled(admin);
    const report = async () => {
      const r = await request(reporting.url).get(`/quality-report?unitId=${ids.mun}&from=2026-08&to=2026-11`).set('authorization', admin);
      const a = await request(reporting.url).get(`/quality-report?unitId=${ids.a}&from=2026-08&to=2026-11`).set('authorization', admin);
      return [{ ...r.body, generatedAt: undefined }, { ...a.body, generatedAt: undefined }];
    };
    const before = await report();
    // It recomputes every figure: a role on one institution does not start it.
    const refused = await request(reporting.url).post('/admin/rebuild').set('authorization', await as('system-administrator', ids.a));
    expect([refused.status, refused.body.code]).toEqual([403, 'ROLE_REQUIRED']);
    const rebuilt = await request(reporting.url).post('/admin/rebuild').set('authorization', await as('system-administrator', ids.mun));
    expect(rebuilt.status).toBe(200);
    expect(rebuilt.body.events).toBeGreaterThan(0);
    expect(await report()).toEqual(before);
  });
});

describe('rebuilding with more than one replica', () => {
  let replica: RunningReporting;
  let client: MongoClient;
  const lease = () => client.db(reporting.config.REPORTING_DB_NAME).collection<{ _id: string; holder: string; beatAt: Date; partial: boolean }>('report_rebuild');
  const report = async (admin: string) => {
    const r = await request(reporting.url).get(`/quality-report?unitId=${ids.mun}&from=2026-08&to=2026-11`).set('authorization', admin);
    return { ...r.body, generatedAt: undefined };
  };

  beforeAll(async () => {
    client = await MongoClient.connect(mongoUrl);
    // A second replica: the same store and consumer group.
    replica = await startReporting({ ...reportingEnv, REPORTING_DB_NAME: reporting.config.REPORTING_DB_NAME, REPORTING_CONSUMER_GROUP: reporting.config.REPORTING_CONSUMER_GROUP, TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` }, { logger: quietLogger() });
  });

  afterAll(async () => {
    await replica?.runtime.shutdown();
    await client?.close();
  });

  test('the other replica pauses its live consumer while one rebuilds, and resumes after; the figures are the same', async () => {
    const admin = await as('administration', ids.mun);
    await settled(admin);
    const before = await report(admin);
    expect(replica.livePaused()).toBe(false);
    const rebuilt = request(reporting.url).post('/admin/rebuild').set('authorization', await as('system-administrator', ids.mun)).then((r) => r);
    await waitFor('the replica to pause', async () => replica.livePaused(), 10_000, 20);
    expect((await rebuilt).status).toBe(200);
    expect(await report(admin)).toEqual(before);
    await waitFor('the replica to resume', async () => !replica.livePaused(), 10_000, 50);
    expect(await lease().findOne({ _id: 'rebuild' })).toBeNull();
  });

  test('while another holder rebuilds, a rebuild is refused (409 REBUILD_RUNNING) and both replicas wait', async () => {
    await lease().insertOne({ _id: 'rebuild', holder: 'elsewhere', beatAt: new Date(), partial: false });
    try {
      await waitFor('both replicas to pause', async () => reporting.livePaused() && replica.livePaused(), 10_000, 20);
      const refused = await request(reporting.url).post('/admin/rebuild').set('authorization', await as('system-administrator', ids.mun));
      expect([refused.status, refused.body.code]).toEqual([409, 'REBUILD_RUNNING']);
    } finally {
      await lease().deleteOne({ _id: 'rebuild' });
    }
    await waitFor('both replicas to resume', async () => !reporting.livePaused() && !replica.livePaused(), 10_000, 50);
  });

  test('a rebuild that died after emptying the projections is done again by a replica once its lease is stale', async () => {
    const admin = await as('administration', ids.mun);
    const before = await report(admin);
    // As a pod that died half way through writing leaves them: cells gone, the lease partial and no longer renewed.
    await lease().insertOne({ _id: 'rebuild', holder: 'died', beatAt: new Date(Date.now() - 10 * 60_000), partial: true });
    const cells = client.db(reporting.config.REPORTING_DB_NAME).collection('report_cells');
    await cells.deleteMany({});
    await waitFor('a replica to rebuild', async () => (await lease().findOne({ _id: 'rebuild' })) === null, 60_000, 100);
    expect(await cells.countDocuments()).toBeGreaterThan(0);
    expect(await report(admin)).toEqual(before);
  });
});
