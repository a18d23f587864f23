// reporting fed over real Kafka with the events identity, assessments and action-plans publish
// (made here with the same factory and schemas): every figure, small-cell protection, scoping,
// late and duplicated events, and a rebuild that equals the live projections.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { contractRegistry } from '@spor/contracts';
import { CLOUDEVENTS_CONTENT_TYPE, EventFactory, HEADERS, KafkajsTransport, toPending, type SporEvent } from '@spor/events';
import { quietLogger, testInfra, uniqueName, waitFor } from '@spor/testkit';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, startTestIdentity } from '../../identity/test/support.js';
import { startReporting, type RunningReporting } from '../src/service.js';

const { brokers, mongoUrl } = testInfra();
let identity: RunningIdentity;
let reporting: RunningReporting;
let transport: KafkajsTransport;
// A code no other test uses (they use 510–515 and 561): every test run's identity events share the topics.
const mun = '9' + String(Math.floor(10 + Math.random() * 89));
const ids = { mun: randomUUID(), district: randomUUID(), a: randomUUID(), b: randomUUID(), otherDistrict: randomUUID(), c: randomUUID() };
const month = '2026-10';
const registry = contractRegistry();
const identityEvents = new EventFactory('identity', registry);
const assessmentEvents = new EventFactory('assessments', registry);
const planEvents = new EventFactory('action-plans', registry);

async function publish(events: SporEvent[]): Promise<void> {
  await transport.send(events.map((e) => toPending(e)).map((p) => ({ topic: p.topic, key: p.key, value: JSON.stringify(p.event), headers: { [HEADERS.contentType]: CLOUDEVENTS_CONTENT_TYPE } })));
}

const unit = (unitId: string, kind: string, parentId: string | null, institutionType?: string) =>
  identityEvents.create('dk.spor.identity.orgunit.created.v1', { subject: unitId, partitionKey: `municipality:${mun}`, municipalityId: mun, aggregateVersion: 1, data: { unitId, kind, parentId, ...(institutionType ? { institutionType } : {}) } });

function rating(institutionId: string, light: string, completedOn: string, childId = randomUUID(), assessmentId = randomUUID(), version = 1, verb = 'completed') {
  return assessmentEvents.create(`dk.spor.assessments.assessment.${verb}.v1`, {
    subject: assessmentId,
    partitionKey: childId,
    municipalityId: mun,
    aggregateVersion: version,
    data: { assessmentId, target: 'child', childId, instrumentId: 'trivselsvurdering', instrumentVersion: 1, institutionId, ageMonths: 48, rating: 'joint', results: [{ section: 'trivsel', category: light }], completedOn },
  });
}

const plan = (institutionId: string, levels: string[], verb = 'activated') => {
  const planId = randomUUID();
  return planEvents.create(`dk.spor.action-plans.plan.${verb}.v1`, { subject: planId, partitionKey: planId, municipalityId: mun, aggregateVersion: 1, data: { planId, childId: randomUUID(), institutionId, on: '2026-10-01', effortLevels: levels } });
};

const as = (role: string, unitId: string) => bearer(identity, mun, role, { roles: [{ role, unitId }] });
const wellbeing = async (unitId: string, token: string) => request(reporting.url).get(`/figures/wellbeing?unitId=${unitId}&month=${month}`).set('authorization', token);

beforeAll(async () => {
  identity = await startTestIdentity();
  transport = new KafkajsTransport({ clientId: 'reporting-test', brokers, logger: quietLogger() });
  await transport.ensureTopics(['spor.identity.orgunit.v1', 'spor.assessments.assessment.v1', 'spor.action-plans.plan.v1'].map((topic) => ({ topic, partitions: 3 })));
  reporting = await startReporting(
    { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', REPORTING_DB_NAME: uniqueName('reporting-test'), REPORTING_CONSUMER_GROUP: uniqueName('reporting'), TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` },
    { logger: quietLogger() },
  );
  await publish([unit(ids.mun, 'municipality', null), unit(ids.district, 'district', ids.mun), unit(ids.otherDistrict, 'district', ids.mun), unit(ids.a, 'institution', ids.district, 'boernehave'), unit(ids.b, 'institution', ids.district, 'vuggestue'), unit(ids.c, 'institution', ids.otherDistrict, 'boernehave')]);
  // Institution a: 20 green, 4 yellow, 6 red. Institution b: 15 green, 26 yellow, 9 red. Institution c: 3 green.
  const ratings = [
    ...Array.from({ length: 20 }, () => rating(ids.a, 'green', '2026-10-03')),
    ...Array.from({ length: 4 }, () => rating(ids.a, 'yellow', '2026-10-04')),
    ...Array.from({ length: 6 }, () => rating(ids.a, 'red', '2026-10-05')),
    ...Array.from({ length: 15 }, () => rating(ids.b, 'green', '2026-10-06')),
    ...Array.from({ length: 26 }, () => rating(ids.b, 'yellow', '2026-10-07')),
    ...Array.from({ length: 9 }, () => rating(ids.b, 'red', '2026-10-08')),
    ...Array.from({ length: 3 }, () => rating(ids.c, 'green', '2026-10-09')),
  ];
  await publish(ratings);
  // A duplicate of one event, and a late event for September: counted once, in its own month.
  await publish([ratings[0]!, rating(ids.a, 'red', '2026-09-28')]);
  await publish([...Array.from({ length: 7 }, () => plan(ids.a, ['preventive'])), ...Array.from({ length: 6 }, () => plan(ids.a, ['preventive', 'anticipatory'])), plan(ids.a, ['preventive', 'anticipatory', 'intervening'])]);
});

afterAll(async () => {
  await reporting.runtime.shutdown();
  await identity.runtime.shutdown();
  await transport.close();
});

describe('management information', () => {
  test('well-being per district with the institutions: every figure, small cells protected, late and duplicated events counted right', async () => {
    const admin = await as('administration', ids.mun);
    const res = await waitFor('the ratings projected', async () => {
      const r = await wellbeing(ids.district, admin);
      return r.body.wellbeing?.total === 80 ? r : false;
    });
    expect(res.body.wellbeing).toEqual({ cells: { green: 35, yellow: 30, red: 15 }, total: 80, suppressed: [] });
    // a's 4 yellow is hidden, and b's yellow too, so the district's 30 does not give it away.
    expect(res.body.institutions[ids.a]).toEqual({ cells: { green: 20, yellow: null, red: null }, total: 30, suppressed: ['red', 'yellow'] });
    expect(res.body.institutions[ids.b].cells.yellow).toBeNull();
    const september = await request(reporting.url).get(`/figures/wellbeing?unitId=${ids.a}&month=2026-09`).set('authorization', admin);
    expect(september.body.wellbeing).toEqual({ cells: { green: null, yellow: null, red: null }, total: null, suppressed: ['green', 'red', 'yellow'] });
    // Institution c has 3 children rated: nothing shown.
    expect((await wellbeing(ids.c, admin)).body.wellbeing.total).toBeNull();
  });

  test('active plans counted once at their highest effort level', async () => {
    const admin = await as('administration', ids.mun);
    const res = await waitFor('the plans projected', async () => {
      const r = await request(reporting.url).get(`/figures/plans?unitId=${ids.a}`).set('authorization', admin);
      return r.body.activePlansByHighestLevel?.total === 14 ? r : false;
    });
    // One plan at intervening is hidden, and the next smallest cell with it, so the total does not give it away.
    expect(res.body.activePlansByHighestLevel).toEqual({ cells: { preventive: 7, anticipatory: null, intervening: null }, total: 14, suppressed: ['anticipatory', 'intervening'] });
  });

  test('a leader sees their institution, a council member their district, not more', async () => {
    const leader = await as('leader', ids.a);
    expect((await wellbeing(ids.a, leader)).status).toBe(200);
    expect((await wellbeing(ids.b, leader)).status).toBe(403);
    expect((await wellbeing(ids.district, leader)).status).toBe(403);
    const council = await as('district-council-member', ids.district);
    expect((await wellbeing(ids.district, council)).status).toBe(200);
    expect((await wellbeing(ids.otherDistrict, council)).status).toBe(403);
    expect((await wellbeing(ids.mun, await as('educator', ids.a))).status).toBe(403);
  });

  test('a rebuild from the topics gives the same figures as the live projections', async () => {
    const admin = await as('administration', ids.mun);
    const before = (await wellbeing(ids.mun, admin)).body;
    const rebuilt = await request(reporting.url).post('/admin/rebuild').set('authorization', await as('system-administrator', ids.mun));
    expect(rebuilt.status).toBe(200);
    const after = (await wellbeing(ids.mun, admin)).body;
    expect(after).toEqual(before);
    expect(after.wellbeing.total).toBe(83);
  });
});
