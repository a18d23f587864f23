// transitions' copies of assessment results and plan summaries (what a handover package can
// carry), against a real MongoDB-wire server, fed the sources' events: a record its source
// disposed of, and every record of a child that left the directory, are gone, and no late or
// replayed event brings them back into a package.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import type { EventHandler, SporEvent } from '@spor/events';
import { DIRECTORY_EVENTS, DirectoryView, followDisposals } from '@spor/directory';
import { testInfra, uniqueName } from '@spor/testkit';
import { ResultsView } from '../src/store/results-view.js';
import { PlansView } from '../src/store/plans-view.js';
import { ExternalResultsView } from '../src/store/external-results-view.js';

let client: MongoClient;
let db: Db;
let directory: DirectoryView;
let results: ResultsView;
let plans: PlansView;
let external: ExternalResultsView;
let handlers: Record<string, EventHandler>;

const event = (type: string, subject: string, version: number, data: Record<string, unknown>): SporEvent =>
  ({ specversion: '1.0', id: randomUUID(), source: 'spor/test', type, subject, time: new Date().toISOString(), datacontenttype: 'application/json', municipalityid: '510', aggregateversion: version, data }) as SporEvent;
const apply = async (...events: SporEvent[]) => {
  for (const e of events) await handlers[e.type]!(e, { logger: undefined as never } as never);
};
const assessment = (verb: 'completed' | 'amended', assessmentId: string, childId: string, version: number, category: string) =>
  event(`dk.spor.assessments.assessment.${verb}.v1`, assessmentId, version, { assessmentId, target: 'child', childId, instrumentId: 'trivselsvurdering', instrumentVersion: 1, institutionId: 'inst', rating: 'joint', completedOn: '2026-10-01', results: [{ section: 'trivsel', category }] });
const plan = (verb: 'activated' | 'closed', planId: string, childId: string, version: number) =>
  event(`dk.spor.action-plans.plan.${verb}.v1`, planId, version, { planId, childId, institutionId: 'inst', on: '2026-09-01', effortLevels: ['preventive'] });
const externalResult = (verb: 'recorded' | 'corrected', resultId: string, childId: string, version: number, source: string, testedOn: string, score: number) =>
  event(`dk.spor.assessments.external-result.${verb}.v1`, resultId, version, { resultId, childId, source, testedOn, score, maxScore: 52, interpretation: score < 40 ? 'below-expected' : 'as-expected', institutionId: null });
const disposal = (service: string, recordKind: string, recordId: string, childId: string) =>
  event('dk.spor.privacy.retention.disposed.v1', recordId, 1, { service, recordKind, recordId, childId, disposal: 'deleted', retainedFrom: '2023-10-01T00:00:00.000Z', archived: true, publicRecord: false });

beforeAll(async () => {
  client = await MongoClient.connect(testInfra().mongoUrl);
  db = client.db(uniqueName('transitions-copies'));
  for (const name of [...DirectoryView.collections, ...ResultsView.collections, ...ExternalResultsView.collections, ...PlansView.collections]) await db.createCollection(name);
  directory = new DirectoryView(db, ['persons']);
  await directory.init();
  results = new ResultsView(db, directory);
  await results.init();
  plans = new PlansView(db, directory);
  await plans.init();
  external = new ExternalResultsView(db, directory);
  await external.init();
  directory.alsoForget(results, external, plans);
  handlers = { ...directory.handlers(), ...results.handlers(), ...external.handlers(), ...plans.handlers(), ...followDisposals([results, external, plans]).handlers };
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

describe('copies for handover packages', () => {
  test('an assessment its source disposed of leaves the package, and a redelivered or later event of it does not come back', async () => {
    const child = randomUUID();
    const [gone, kept] = [randomUUID(), randomUUID()];
    await apply(assessment('completed', gone, child, 1, 'red'), event('dk.spor.assessments.assessment.completed.v1', kept, 1, { assessmentId: kept, target: 'child', childId: child, instrumentId: 'sprogvurdering-3', instrumentVersion: 1, institutionId: 'inst', rating: 'joint', completedOn: '2026-10-02', results: [{ section: 'samlet', category: 'generel' }] }));
    expect((await results.latestPerInstrument(child, 'inst')).map((r) => r.instrumentId)).toEqual(['sprogvurdering-3', 'trivselsvurdering']);

    await apply(disposal('assessments', 'assessment', gone, child), disposal('consent', 'consent', randomUUID(), child));
    expect((await results.latestPerInstrument(child, 'inst')).map((r) => r.instrumentId)).toEqual(['sprogvurdering-3']);
    await apply(assessment('completed', gone, child, 1, 'red'), assessment('amended', gone, child, 2, 'yellow'));
    expect((await results.latestPerInstrument(child, 'inst')).map((r) => r.instrumentId)).toEqual(['sprogvurdering-3']);
    // A disposal of the same id from another kind leaves it alone.
    const planId = randomUUID();
    await apply(plan('activated', planId, child, 1), disposal('assessments', 'assessment', planId, child));
    expect((await plans.summaries(child, 'inst')).map((p) => p.planId)).toEqual([planId]);
    await apply(disposal('action-plans', 'action-plan', planId, child), plan('closed', planId, child, 2));
    expect(await plans.summaries(child, 'inst')).toEqual([]);
  });

  test('a package carries the sending institution’s own records only: not another institution’s results, tests or plans', async () => {
    const child = randomUUID();
    const [ours, theirs] = [randomUUID(), randomUUID()];
    await apply(
      assessment('completed', ours, child, 1, 'green'),
      event('dk.spor.assessments.assessment.completed.v1', theirs, 1, { assessmentId: theirs, target: 'child', childId: child, instrumentId: 'sprogvurdering-3', instrumentVersion: 1, institutionId: 'other', rating: 'joint', completedOn: '2026-10-02', results: [{ section: 'samlet', category: 'fokuseret' }] }),
      event('dk.spor.action-plans.plan.activated.v1', theirs, 1, { planId: theirs, childId: child, institutionId: 'other', on: '2026-09-01', effortLevels: ['anticipatory'] }),
      externalResult('recorded', randomUUID(), child, 1, 'ordblindetesten', '2026-05-01', 45),
      event('dk.spor.assessments.external-result.recorded.v1', randomUUID(), 1, { resultId: randomUUID(), childId: child, source: 'nationale-test-dansk', testedOn: '2026-05-02', score: 30, maxScore: 52, interpretation: 'below-expected', institutionId: 'other' }),
    );
    expect((await results.latestPerInstrument(child, 'inst')).map((r) => r.instrumentId)).toEqual(['trivselsvurdering']);
    expect((await results.latestPerInstrument(child, 'other')).map((r) => r.instrumentId)).toEqual(['sprogvurdering-3']);
    expect(await plans.summaries(child, 'inst')).toEqual([]);
    expect((await plans.summaries(child, 'other')).map((p) => p.planId)).toEqual([theirs]);
    // A test recorded at no institution is no other institution's: it goes along from either.
    expect((await external.latestPerSource(child, 'inst')).map((r) => r.source)).toEqual(['ordblindetesten']);
    expect((await external.latestPerSource(child, 'other')).map((r) => r.source)).toEqual(['ordblindetesten', 'nationale-test-dansk']);
  });

  test('a child that left the directory takes every copy with it, and later events about it are passed over', async () => {
    const child = randomUUID();
    const [a, p] = [randomUUID(), randomUUID()];
    await apply(event(DIRECTORY_EVENTS.personRegistered, child, 1, { personId: child, kind: 'child', birthYear: 2021, birthMonth: 5 }), assessment('completed', a, child, 1, 'green'), plan('activated', p, child, 1));
    expect(await results.latestPerInstrument(child, 'inst')).toHaveLength(1);
    expect(await plans.summaries(child, 'inst')).toHaveLength(1);

    await apply(event(DIRECTORY_EVENTS.personRemoved, child, 2, { personId: child, kind: 'child' }));
    expect(await results.latestPerInstrument(child, 'inst')).toEqual([]);
    expect(await plans.summaries(child, 'inst')).toEqual([]);
    // Late (another topic, another order) or replayed: nothing comes back.
    await apply(assessment('amended', a, child, 2, 'yellow'), plan('closed', p, child, 2), assessment('completed', randomUUID(), child, 1, 'green'));
    expect(await results.latestPerInstrument(child, 'inst')).toEqual([]);
    expect(await plans.summaries(child, 'inst')).toEqual([]);
    expect(await db.collection('assessment_results').countDocuments({ childId: child })).toBe(0);
  });

  test('external test results: the newest per test goes along, a correction wins over a late first record, and a disposal takes the copy', async () => {
    const child = randomUUID();
    const [older, newer, national] = [randomUUID(), randomUUID(), randomUUID()];
    await apply(
      externalResult('recorded', newer, child, 1, 'ordblindetesten', '2026-05-12', 38),
      externalResult('corrected', newer, child, 2, 'ordblindetesten', '2026-05-12', 44),
      // Redelivered late: the copy keeps the correction.
      externalResult('recorded', newer, child, 1, 'ordblindetesten', '2026-05-12', 38),
      externalResult('recorded', older, child, 1, 'ordblindetesten', '2025-05-02', 30),
      externalResult('recorded', national, child, 1, 'nationale-test-laesning', '2026-03-10', 61),
    );
    expect(await external.latestPerSource(child, 'inst')).toEqual([
      { source: 'nationale-test-laesning', testedOn: '2026-03-10', score: 61, maxScore: 52, interpretation: 'as-expected' },
      { source: 'ordblindetesten', testedOn: '2026-05-12', score: 44, maxScore: 52, interpretation: 'as-expected' },
    ]);
    // A disposal of an assessment with that id is not one of a result.
    await apply(disposal('assessments', 'assessment', newer, child));
    expect((await external.latestPerSource(child, 'inst')).map((r) => r.testedOn)).toEqual(['2026-03-10', '2026-05-12']);
    await apply(disposal('assessments', 'external-result', newer, child), externalResult('corrected', newer, child, 2, 'ordblindetesten', '2026-05-12', 44));
    expect((await external.latestPerSource(child, 'inst')).map((r) => [r.source, r.testedOn])).toEqual([
      ['ordblindetesten', '2025-05-02'],
      ['nationale-test-laesning', '2026-03-10'],
    ]);
    await apply(event(DIRECTORY_EVENTS.personRemoved, child, 2, { personId: child, kind: 'child' }));
    expect(await external.latestPerSource(child, 'inst')).toEqual([]);
  });
});
