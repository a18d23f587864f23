// Records disposed of by retention at their source (dk.spor.privacy.retention.disposed.v1 on
// spor.privacy.retention.v1), over real Kafka and the real store: reporting takes the child's id
// away from what it keeps of the record and the figures do not change; a disposal handled before
// the record's own events, a redelivery, and a rebuild from the topics never bring the id back.
// Also: reporting's audit entries are shipped on spor.audit.access.v1 by its audit shipper, and a
// disposal event that breaks its contract is parked in the dead-letter topic.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { MongoClient, type Db } from 'mongodb';
import { contractRegistry } from '@spor/contracts';
import { AUDIT_TOPIC } from '@spor/audit';
import { CLOUDEVENTS_CONTENT_TYPE, EventFactory, HEADERS, KafkajsTransport, deadLetterTopic, toPending, topicFor, type SchemaRegistry, type SporEvent } from '@spor/events';
import { quietLogger, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, startTestIdentity } from '../../identity/test/support.js';
import { startReporting, type RunningReporting } from '../src/service.js';

jest.setTimeout(300_000);
const { brokers, mongoUrl } = testInfra();
let identity: RunningIdentity;
let reporting: RunningReporting;
let transport: KafkajsTransport;
let client: MongoClient;
let db: Db;
const dbName = uniqueName('reporting-retention-test');
const group = uniqueName('reporting-retention');
// A code no other test uses (reporting.test.ts uses 9xx, others 510–515 and 561).
const mun = '7' + String(Math.floor(10 + Math.random() * 89));
const ids = { mun: randomUUID(), district: randomUUID(), a: randomUUID() };
const registry: SchemaRegistry = contractRegistry();
const factories = Object.fromEntries(['identity', 'assessments', 'action-plans', 'transitions'].map((s) => [s, new EventFactory(s, registry)]));

function event(type: string, subject: string, data: Record<string, unknown>, version = 1, partitionKey = subject): SporEvent {
  return factories[type.split('.')[2]!]!.create(type, { subject, partitionKey, municipalityId: mun, aggregateVersion: version, data });
}

/** What libs/privacy publishes when a record's retention ran out (built the same way, validated). */
function disposal(service: string, recordKind: string, recordId: string, childId: string, data: Record<string, unknown> = {}): SporEvent {
  const e: SporEvent = {
    specversion: '1.0',
    id: randomUUID(),
    source: `spor/${service}`,
    type: 'dk.spor.privacy.retention.disposed.v1',
    subject: recordId,
    partitionkey: childId,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    municipalityid: mun,
    aggregateversion: 1,
    data: { service, recordKind, recordId, childId, disposal: 'deleted', retainedFrom: '2023-10-03T00:00:00.000Z', archived: true, publicRecord: service === 'action-plans', ...data },
  };
  registry.assertValid(e);
  return e;
}

async function publish(events: SporEvent[]): Promise<void> {
  await transport.send(events.map((e) => toPending(e)).map((p) => ({ topic: p.topic, key: p.key, value: JSON.stringify(p.event), headers: { [HEADERS.contentType]: CLOUDEVENTS_CONTENT_TYPE } })));
}

const unit = (unitId: string, kind: string, parentId: string | null, institutionType?: string) =>
  event('dk.spor.identity.orgunit.created.v1', unitId, { unitId, kind, parentId, ...(institutionType ? { institutionType } : {}) }, 1, `municipality:${mun}`);

function rating(childId: string, light: string, completedOn: string, o: { assessmentId?: string; partitionKey?: string } = {}): SporEvent {
  const assessmentId = o.assessmentId ?? randomUUID();
  return event(
    'dk.spor.assessments.assessment.completed.v1',
    assessmentId,
    { assessmentId, target: 'child', childId, instrumentId: 'trivselsvurdering', instrumentVersion: 1, institutionId: ids.a, ageMonths: 48, rating: 'joint', results: [{ section: 'trivsel', category: light }], completedOn },
    1,
    o.partitionKey ?? childId,
  );
}

const planEvent = (verb: string, planId: string, childId: string, on: string, levels: string[], version: number, partitionKey = childId) =>
  event(`dk.spor.action-plans.plan.${verb}.v1`, planId, { planId, childId, institutionId: ids.a, on, effortLevels: levels }, version, partitionKey);

const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
const as = (role: string, unitId: string) => bearer(identity, mun, role, { roles: [{ role, unitId }] });

/** The quality report of the municipality and of the institution for the months the test uses. */
async function report() {
  // A change is written to its subject (or disposal) first and added to the cells after
  // (Projections.finish): figures read in between lack it. Read them once none is half-way.
  const halfway = async (collection: string) => (await db.collection(collection).findOne({ pending: { $exists: true } })) !== null;
  await waitFor('no change half-applied', async () => !(await halfway('report_subjects')) && !(await halfway('report_disposed')), 30_000, 100);
  const admin = await as('administration', ids.mun);
  const get = (unitId: string) => request(reporting.url).get(`/quality-report?unitId=${unitId}&from=2026-08&to=2026-11`).set('authorization', admin);
  const [m, a] = await Promise.all([get(ids.mun), get(ids.a)]);
  expect(m.status).toBe(200);
  return [{ ...m.body, generatedAt: undefined }, { ...a.body, generatedAt: undefined }];
}

async function figure(name: string, month: string) {
  const res = await request(reporting.url).get(`/figures/${name}?unitId=${ids.a}&month=${month}`).set('authorization', await as('administration', ids.mun));
  return res.body.units?.[0]?.figures[name];
}
const wellbeing = (month: string) => figure('wellbeing', month);

/** Every document of every collection of reporting's database that mentions the id. */
async function mentions(id: string): Promise<string[]> {
  const found: string[] = [];
  for (const { name } of await db.listCollections().toArray()) {
    for (const doc of await db.collection(name).find({}).toArray()) if (JSON.stringify(doc).includes(id)) found.push(`${name}:${String(doc._id)}`);
  }
  return found;
}

/** Events reporting's figures consumer finished with this outcome (processed, dead-lettered, ...), from /metrics. */
async function consumed(outcome: string): Promise<number> {
  const text = (await request(reporting.url).get('/metrics').expect(200)).text;
  const found = text.match(new RegExp(`spor_events_consumed_total\\{[^}]*group="${group}"[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`));
  return found ? Number(found[1]) : 0;
}

const subject = (id: string) => db.collection('report_subjects').findOne({ _id: id as never });
const disposed = (recordKey: string) => db.collection('report_disposed').findOne({ _id: `${mun}|${recordKey}` as never });

// X: one rating (October, green), disposed: nothing of X may stay. Y: red in September, green in
// October (a movement), the September rating disposed: Y keeps October, the movement stays counted.
// P: one plan (active September, closed October), disposed. Z: its rating's disposal arrives first.
const X = randomUUID();
const Y = randomUUID();
const P = randomUUID();
const Z = randomUUID();
const aX = randomUUID();
const aY1 = randomUUID();
const aY2 = randomUUID();
const aZ = randomUUID();
const planP = randomUUID();
const recordEvents = {
  x: rating(X, 'green', '2026-10-03', { assessmentId: aX }),
  y1: rating(Y, 'red', '2026-09-10', { assessmentId: aY1 }),
  y2: rating(Y, 'green', '2026-10-03', { assessmentId: aY2 }),
  z: rating(Z, 'green', '2026-10-04', { assessmentId: aZ }),
  plan: [planEvent('activated', planP, P, '2026-09-01', ['preventive'], 1), planEvent('closed', planP, P, '2026-10-20', ['preventive'], 2)],
};
// V: registered, placed and rated green in October, then its entry disposed of by identity.
const V = randomUUID();
const disposals = { x: disposal('assessments', 'assessment', aX, X), y1: disposal('assessments', 'assessment', aY1, Y), plan: disposal('action-plans', 'action-plan', planP, P) };

beforeAll(async () => {
  identity = await startTestIdentity();
  transport = new KafkajsTransport({ clientId: 'reporting-retention-test', brokers, logger: quietLogger() });
  client = await MongoClient.connect(mongoUrl);
  db = client.db(dbName);
  reporting = await startReporting(
    { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', REPORTING_DB_NAME: dbName, REPORTING_CONSUMER_GROUP: group, TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` },
    { logger: quietLogger() },
  );
  await publish([unit(ids.mun, 'municipality', null), unit(ids.district, 'district', ids.mun), unit(ids.a, 'institution', ids.district, 'boernehave')]);
  // Around them, enough children for every figure to be shown: 8 more green in October, 5 more
  // red in September, 6 more plans active in September and October.
  await publish([
    recordEvents.x,
    recordEvents.y1,
    recordEvents.y2,
    ...recordEvents.plan,
    ...times(8, () => rating(randomUUID(), 'green', '2026-10-05')),
    ...times(5, () => rating(randomUUID(), 'red', '2026-09-12')),
    ...times(6, () => planEvent('activated', randomUUID(), randomUUID(), '2026-09-02', ['preventive'], 1)),
  ]);
  await waitFor(
    'every event projected',
    async () => {
      const [oct, sep, plans] = [await wellbeing('2026-10'), await wellbeing('2026-09'), await figure('plans', '2026-09')];
      const planned = await subject(P);
      if (oct?.cells.green !== 10 || sep?.cells.red !== 6 || plans?.total !== 7 || planned?.plans?.[planP]?.steps?.length !== 2) throw new Error(`not yet: ${JSON.stringify({ oct, sep, plans })}`);
      return true;
    },
    240_000,
    500,
  );
});

afterAll(async () => {
  await reporting?.runtime.shutdown();
  await identity?.runtime.shutdown();
  await transport?.close();
  await client?.close();
});

describe('records disposed of by retention at their source', () => {
  let figuresBefore: unknown;

  test('a disposal takes the child id away from what reporting keeps of the record; the figures stay as they were', async () => {
    figuresBefore = await report();
    // Before: the records are kept under their children.
    expect((await subject(X))?.assessments).toHaveProperty(aX);
    expect((await subject(Y))?.assessments).toHaveProperty(aY1);
    expect((await subject(P))?.plans).toHaveProperty(planP);

    await publish([disposals.x, disposals.y1, disposals.plan]);
    await waitFor('the disposals handled', async () => (await disposed(`action-plans|action-plan|${planP}`))?.held && (await disposed(`assessments|assessment|${aX}`))?.held && (await disposed(`assessments|assessment|${aY1}`))?.held, 60_000, 200);

    // X and P had nothing else: no document names them any more.
    expect(await mentions(X)).toEqual([]);
    expect(await mentions(P)).toEqual([]);
    // Y keeps its October rating, not the disposed one; the disposed records' documents name no child.
    const y = await subject(Y);
    expect(Object.keys(y!.assessments)).toEqual([aY2]);
    expect(await mentions(Y)).toEqual([`report_subjects:${Y}`]);
    const heldX = await disposed(`assessments|assessment|${aX}`);
    expect(heldX).toMatchObject({ recordId: aX, held: { field: 'assessments', fact: { instrumentId: 'trivselsvurdering', categories: { trivsel: 'green' } } } });
    // Nothing changed in the reported figures: counts per institution, district, municipality and month, and the movement.
    expect(await report()).toEqual(figuresBefore);
    expect(await wellbeing('2026-10')).toMatchObject({ cells: { green: 10 } });
  });

  test('a disposal handled before the record’s own events: the record counts once and its child id is never stored', async () => {
    await publish([disposal('assessments', 'assessment', aZ, Z)]);
    await waitFor('the early disposal remembered', () => disposed(`assessments|assessment|${aZ}`), 60_000, 200);
    expect(await mentions(Z)).toEqual([]);
    // The record's event, twice, then an event of another child behind them in the same partition.
    const W = randomUUID();
    await publish([recordEvents.z, recordEvents.z, rating(W, 'green', '2027-03-02', { partitionKey: Z })]);
    await waitFor('the events behind the record handled', () => subject(W), 60_000, 200);
    expect(await mentions(Z)).toEqual([]);
    expect(await disposed(`assessments|assessment|${aZ}`)).toMatchObject({ held: { field: 'assessments', fact: { categories: { trivsel: 'green' }, completedOn: '2026-10-04' } } });
    // Counted, once.
    expect(await wellbeing('2026-10')).toMatchObject({ cells: { green: 11 } });
    figuresBefore = await report();
  });

  test('redelivery is harmless: the same disposal again, another disposal event of the same record, the disposed records’ own events again', async () => {
    const again = { ...disposals.x, id: randomUUID() };
    registry.assertValid(again);
    const sentinels = { retention: randomUUID(), assessment: randomUUID(), plan: randomUUID() };
    await publish([
      disposals.x,
      again,
      disposals.plan,
      recordEvents.x,
      recordEvents.y1,
      ...recordEvents.plan,
      // Behind each of them in its partition: something to wait for.
      disposal('consent', 'consent', sentinels.retention, X),
      rating(sentinels.assessment, 'green', '2027-03-02', { partitionKey: X }),
      planEvent('activated', randomUUID(), sentinels.plan, '2027-03-02', ['preventive'], 1, P),
    ]);
    await waitFor('the redeliveries handled', async () => (await disposed(`consent|consent|${sentinels.retention}`)) && (await subject(sentinels.assessment)) && (await subject(sentinels.plan)), 60_000, 200);
    expect(await mentions(X)).toEqual([]);
    expect(await mentions(P)).toEqual([]);
    expect(Object.keys((await subject(Y))!.assessments)).toEqual([aY2]);
    expect(await db.collection('report_disposed').countDocuments({ recordId: aX })).toBe(1);
    expect(await report()).toEqual(figuresBefore);
  });

  test('identity’s disposal of a child’s entry: the child’s subject becomes a bare marker, the figures stay, and its later events are not counted', async () => {
    const placementId = randomUUID();
    const own = [
      event('dk.spor.identity.person.registered.v1', V, { personId: V, kind: 'child', birthYear: 2021, birthMonth: 6 }),
      event('dk.spor.transitions.enrollment.enrolled.v1', V, { childId: V, placementId, institutionId: ids.a, institutionType: 'boernehave', groupId: null, from: '2025-08-01', to: null }),
      rating(V, 'green', '2026-10-07'),
    ];
    await publish(own);
    await waitFor('the child projected', async () => {
      const v = await subject(V);
      return v?.birth && v.placements?.[placementId] && Object.keys(v.assessments ?? {}).length === 1;
    }, 60_000, 200);
    expect(await wellbeing('2026-10')).toMatchObject({ cells: { green: 12 } });
    figuresBefore = await report();

    await publish([disposal('identity', 'child-person', V, V, { publicRecord: false })]);
    await waitFor('the child forgotten', async () => (await subject(V))?.gone, 60_000, 200);
    expect(await subject(V)).toEqual({ _id: V, municipalityId: mun, gone: true, rev: expect.any(Number) });
    // Its id stays only in the marker and in the record of the disposal; no birth month, placement or rating.
    expect((await mentions(V)).sort()).toEqual([`report_disposed:${mun}|identity|child-person|${V}`, `report_subjects:${V}`]);
    expect(await report()).toEqual(figuresBefore);
    expect(await wellbeing('2026-10')).toMatchObject({ cells: { green: 12 } });

    // The child's events delivered again (counted once already, before the disposal), the
    // disposal again, and behind them in the partition a sentinel.
    const sentinel = randomUUID();
    const [processed, parked] = [await consumed('processed'), await consumed('dead-lettered')];
    expect(processed).toBeGreaterThan(0);
    await publish([...own, disposal('identity', 'child-person', V, V, { publicRecord: false }), rating(sentinel, 'green', '2027-03-02', { partitionKey: V })]);
    await waitFor('the events behind the late ones handled', () => subject(sentinel), 60_000, 200);
    // Each one handled, none failed into the dead-letter topic: they were passed over, not refused.
    await waitFor('all five handled', async () => (await consumed('processed')) >= processed + 5, 30_000, 200);
    expect(await consumed('dead-lettered')).toBe(parked);
    expect(await subject(V)).toEqual({ _id: V, municipalityId: mun, gone: true, rev: expect.any(Number) });
    expect(await report()).toEqual(figuresBefore);
  });

  // T: two moves; the first (planned, then released on consent) is disposed of at transitions.
  const T = randomUUID();
  const moves = { gone: randomUUID(), kept: randomUUID() };
  const schoolId = randomUUID();
  const handover = (verb: string, transitionId: string, version: number, extra: Record<string, unknown> = {}) =>
    event(`dk.spor.transitions.handover.${verb}.v1`, transitionId, { transitionId, childId: T, fromInstitutionId: ids.a, toInstitutionId: schoolId, date: '2026-10-01', kind: 'daycare-to-school', ...extra }, version, T);

  test('a move disposed of at transitions leaves its child’s subject the same way; the child’s other move stays, the figures stay, a late event of it is kept apart', async () => {
    await publish([handover('planned', moves.gone, 1), handover('released', moves.gone, 2, { legalBasis: 'consent', consentId: randomUUID() }), handover('planned', moves.kept, 1)]);
    await waitFor('the moves projected', async () => {
      const t = await subject(T);
      return t?.transitions?.[moves.gone]?.seen?.released && t.transitions[moves.kept];
    }, 60_000, 200);
    figuresBefore = await report();

    await publish([disposal('transitions', 'transition', moves.gone, T)]);
    const key = `transitions|transition|${moves.gone}`;
    await waitFor('the move disposed of', async () => (await disposed(key))?.held, 60_000, 200);
    expect(Object.keys((await subject(T))!.transitions)).toEqual([moves.kept]);
    expect(await disposed(key)).toMatchObject({ recordId: moves.gone, held: { field: 'transitions', fact: { fromInstitutionId: ids.a, date: '2026-10-01', legalBasis: 'consent' } } });
    expect(JSON.stringify(await disposed(key))).not.toContain(T);
    expect(await report()).toEqual(figuresBefore);

    // Acknowledged by the school after all (a late delivery): folded into what is kept of the move.
    await publish([handover('acknowledged', moves.gone, 3)]);
    await waitFor('the late event folded in', async () => (await disposed(key))?.held?.fact?.seen?.acknowledged === 3, 60_000, 200);
    expect(Object.keys((await subject(T))!.transitions)).toEqual([moves.kept]);
    figuresBefore = await report();
  });

  // C: one resource case, decided, then disposed of at action-plans.
  const C = randomUUID();
  const caseId = randomUUID();
  const caseEvent = (verb: 'submitted' | 'decided', version: number) =>
    event(
      `dk.spor.action-plans.resource-case.${verb}.v1`,
      caseId,
      { caseId, kind: 'child-with-cpr', childId: C, districtId: ids.district, institutionId: ids.a, ...(verb === 'submitted' ? { submittedOn: '2026-09-01', meetingOn: '2026-09-15' } : { outcome: 'praksisvejleder', from: '2026-10-01', to: null, decidedOn: '2026-09-15' }) },
      version,
      C,
    );

  test('a resource case disposed of at action-plans leaves its child’s subject the same way; the figures stay', async () => {
    await publish([caseEvent('submitted', 1), caseEvent('decided', 2), rating(C, 'yellow', '2027-02-03')]);
    await waitFor('the case projected', async () => (await subject(C))?.cases?.[caseId]?.decided, 60_000, 200);
    figuresBefore = await report();
    await publish([disposal('action-plans', 'resource-case', caseId, C)]);
    const key = `action-plans|resource-case|${caseId}`;
    await waitFor('the case disposed of', async () => (await disposed(key))?.held, 60_000, 200);
    const c = await subject(C);
    expect(c!.cases).toEqual({});
    expect(Object.keys(c!.assessments)).toHaveLength(1);
    expect(await disposed(key)).toMatchObject({ held: { field: 'cases', fact: { institutionId: ids.a, decided: { outcome: 'praksisvejleder', on: '2026-09-15' } } } });
    expect(JSON.stringify(await disposed(key))).not.toContain(C);
    expect(await report()).toEqual(figuresBefore);
  });

  test('a rebuild from the topics keeps disposed records apart from their children and gives the same figures', async () => {
    const rebuilt = await request(reporting.url).post('/admin/rebuild').set('authorization', await as('system-administrator', ids.mun));
    expect(rebuilt.status).toBe(200);
    expect(rebuilt.body.disposed).toBeGreaterThanOrEqual(7);
    for (const child of [X, P, Z]) expect(await mentions(child)).toEqual([]);
    // The child identity disposed of is a marker again, and what it added is still counted.
    expect(await subject(V)).toEqual({ _id: V, municipalityId: mun, gone: true, rev: 1 });
    expect(Object.keys((await subject(Y))!.assessments)).toEqual([aY2]);
    expect(await disposed(`assessments|assessment|${aY1}`)).toMatchObject({ held: { fact: { completedOn: '2026-09-10' } } });
    expect((await subject(C))!.cases).toEqual({});
    expect(Object.keys((await subject(T))!.transitions)).toEqual([moves.kept]);
    expect(await disposed(`transitions|transition|${moves.gone}`)).toMatchObject({ held: { fact: { seen: { acknowledged: 3 } } } });
    expect(await report()).toEqual(figuresBefore);
  });

  test('a disposal event that breaks its contract is parked in the dead-letter topic, and the consumer goes on', async () => {
    // Sent as raw bytes: a producer of Spor's own would refuse to publish it.
    const childId = randomUUID();
    const valid = disposal('assessments', 'assessment', randomUUID(), childId);
    const bad = { ...valid, data: { ...valid.data, note: 'free text is not allowed' } };
    const next = disposal('consent', 'consent', randomUUID(), childId);
    await transport.send([{ topic: topicFor('privacy', 'retention'), key: childId, value: JSON.stringify(bad), headers: { [HEADERS.contentType]: CLOUDEVENTS_CONTENT_TYPE } }]);
    await publish([next]);
    const dlq = deadLetterTopic(topicFor('privacy', 'retention'), group);
    const records = await readTopicUntil(brokers, dlq, 'the invalid disposal', (rs) => rs.some((r) => r.value!.includes(bad.id)), 60_000);
    expect(records.find((r) => r.value!.includes(bad.id))!.headers[HEADERS.dlqReason]).toBe('SCHEMA_INVALID');
    await waitFor('the next disposal handled', () => disposed(`consent|consent|${next.data.recordId as string}`), 60_000, 200);
  });
});

describe('reporting’s audit log', () => {
  test('the entries of a figures read are shipped on spor.audit.access.v1, and the chain’s watermark passes them', async () => {
    const res = await request(reporting.url).get(`/figures?unitId=${ids.a}&month=2026-10`).set('authorization', await as('leader', ids.a));
    expect(res.status).toBe(200);
    const entries = async () => (await db.collection('audit_log').find({ recordId: ids.a, recordType: 'figures' }).toArray()).filter((e) => e.roles.includes(`leader@${ids.a}`));
    expect(await entries()).toHaveLength(1);
    const [entry] = await entries();
    await waitFor('the entry shipped', async () => ((await db.collection<{ _id: string; shipped?: number }>('audit_chains').findOne({ _id: entry!.chain }))?.shipped ?? 0) >= entry!.seq, 30_000, 200);
    const records = await readTopicUntil(brokers, AUDIT_TOPIC, 'the read', (rs) => rs.some((r) => r.value!.includes(String(entry!._id))), 60_000);
    const shipped = records.map((r) => JSON.parse(r.value!)).filter((e) => e.data.entryId === entry!._id);
    expect(shipped).toHaveLength(1);
    expect(shipped[0].source).toBe('spor/reporting');
    expect(shipped[0].data).toMatchObject({ action: 'read', recordType: 'figures', recordId: ids.a, roles: [{ role: 'leader', unitId: ids.a }] });
  });

  test('figures leaving as a file are recorded as an export, with the figure, the period and the format', async () => {
    const leader = await as('leader', ids.a);
    expect((await request(reporting.url).get(`/figures/wellbeing/export.csv?unitId=${ids.a}&from=2026-09&to=2026-10`).set('authorization', leader)).status).toBe(200);
    expect((await request(reporting.url).get(`/quality-report.html?unitId=${ids.a}&from=2026-08&to=2026-10`).set('authorization', leader)).status).toBe(200);
    expect((await request(reporting.url).get(`/figures/cases?unitId=${ids.a}&month=2026-10`).set('authorization', leader)).status).toBe(200);
    const entries = (await db.collection('audit_log').find({ recordId: ids.a, recordType: 'figures' }).toArray()).filter((e) => e.roles.includes(`leader@${ids.a}`));
    expect(entries.map((e) => [e.action, e.criterion])).toEqual(
      expect.arrayContaining([
        ['export', { figure: 'wellbeing', from: '2026-09', to: '2026-10', format: 'csv' }],
        ['export', { figure: 'all', from: '2026-08', to: '2026-10', format: 'html' }],
        ['read', { figure: 'cases', from: '2026-10', to: '2026-10' }],
      ]),
    );
  });
});
