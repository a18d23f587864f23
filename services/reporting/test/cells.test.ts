// A change a failure left half added to the cells is finished later without adding any cell
// twice, however many other changes the cells took meanwhile: each cell keeps, per subject, the
// newest change it holds. Against a real MongoDB-wire server.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { contractRegistry } from '@spor/contracts';
import { EventFactory, type SporEvent } from '@spor/events';
import { quietLogger, testInfra, uniqueName } from '@spor/testkit';
import { Projections } from '../src/store/projections.js';

let client: MongoClient;
let db: Db;
let projections: Projections;
const institutionId = randomUUID();
const factory = new EventFactory('assessments', contractRegistry());

const rating = (childId: string, light: string, version = 1, assessmentId = randomUUID()): SporEvent =>
  factory.create('dk.spor.assessments.assessment.completed.v1', {
    subject: assessmentId,
    partitionKey: childId,
    municipalityId: '510',
    aggregateVersion: version,
    data: { assessmentId, target: 'child', childId, instrumentId: 'trivselsvurdering', instrumentVersion: 2, institutionId, ageMonths: 48, rating: 'joint', results: [{ section: 'trivsel', category: light }], completedOn: '2026-10-03' },
  });
const cell = () => projections.cells.findOne({ _id: `${institutionId}|-|2026-10` });

beforeAll(async () => {
  client = await MongoClient.connect(testInfra().mongoUrl);
  db = client.db(uniqueName('reporting-cells-test'));
  for (const name of Projections.collections) await db.createCollection(name);
  projections = new Projections(db);
  await projections.init();
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

describe('cells take each change once', () => {
  test('a change left pending after part of its cells were written is finished once, after 25 other changes to the same cell', async () => {
    const childId = randomUUID();
    await projections.apply(rating(childId, 'green'));
    expect((await cell())!.c['wellbeing:green']).toBe(1);
    // The next change of the child's rating, as a failure leaves it: written into the subject,
    // and added to the cell already, but still pending.
    const subject = (await projections.subjects.findOne({ _id: childId }))!;
    const key = subject.born!;
    expect(key).not.toContain(childId);
    expect((await cell())!.last).toMatchObject({ [key]: subject.rev });
    const pending = { id: randomUUID(), cells: [{ cell: `${institutionId}|-|2026-10`, inc: { 'wellbeing:green': -1, 'wellbeing:red': 1 } }], by: { key, rev: subject.rev + 1 } };
    await projections.subjects.updateOne({ _id: childId }, { $set: { pending, rev: subject.rev + 1 } });
    await projections.cells.updateOne({ _id: `${institutionId}|-|2026-10` }, { $inc: { 'c.wellbeing:green': -1, 'c.wellbeing:red': 1 }, $set: { [`last.${key}`]: subject.rev + 1 } });
    // 25 other children's ratings reach the same cell meanwhile.
    for (let i = 0; i < 25; i++) await projections.apply(rating(randomUUID(), 'yellow'));
    await projections.recover(quietLogger());
    const after = (await cell())!;
    expect(after.c).toMatchObject({ 'wellbeing:green': 0, 'wellbeing:red': 1, 'wellbeing:yellow': 25 });
    expect((await projections.subjects.findOne({ _id: childId }))!.pending).toBeUndefined();
  });

  test('a change made before cells kept the newest change per subject is still guarded by its id', async () => {
    const childId = randomUUID();
    const id = randomUUID();
    await projections.subjects.insertOne({ _id: childId, municipalityId: '510', placements: {}, assessments: {}, plans: {}, cases: {}, transitions: {}, rev: 1, pending: { id, cells: [{ cell: `${institutionId}|-|2026-10`, inc: { 'wellbeing:yellow': 1 } }] } });
    await projections.cells.updateOne({ _id: `${institutionId}|-|2026-10` }, { $push: { applied: id } });
    const before = (await cell())!.c['wellbeing:yellow'];
    await projections.recover(quietLogger());
    expect((await cell())!.c['wellbeing:yellow']).toBe(before);
  });
});
