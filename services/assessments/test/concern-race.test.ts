// Two team well-being ratings of one child written at the same moment, on the real store: whether
// each lifts the team's prompt is decided from the ratings as read before its write, so they are
// written one at a time per team and child. Without it both read the red rating as the newest
// and both published concern-lifted.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { testInfra, uniqueName } from '@spor/testkit';
import { EventFactory, KeyedMutex, type OutboxRelay } from '@spor/events';
import { contractRegistry } from '@spor/contracts';
import { AssessmentRepository } from '../src/store/assessment-repository.js';
import { teamRating } from './rating-fixture.js';

const { mongoUrl } = testInfra();
const dbName = uniqueName('concern-race-test');
let client: MongoClient;
let repository: AssessmentRepository;

beforeAll(async () => {
  client = await MongoClient.connect(mongoUrl);
  // A relay that never publishes: the events stay in the documents, to be counted.
  repository = new AssessmentRepository(client.db(dbName).collection('assessments') as never, new EventFactory('assessments', contractRegistry()), new KeyedMutex(), { notify: () => undefined } as unknown as OutboxRelay);
  await repository.init();
});

afterAll(async () => {
  await client.db(dbName).dropDatabase();
  await client.close();
});

const pending = async (id: string) => ((await client.db(dbName).collection('assessments').findOne({ _id: id as never }))!.pendingEvents as { event: { type: string } }[]).map((p) => p.event.type.split('.')[4]);

describe('the prompt under concurrent ratings', () => {
  test('two green team ratings completed at once after a red one: exactly one lifts the prompt; another team’s rating at the same moment is not held up by it', async () => {
    const [childId, school, sfo] = [randomUUID(), randomUUID(), randomUUID()];
    const rated = (light: string, at: string, over = {}) => {
      const { _id, ...a } = teamRating('x', light, at, { target: { kind: 'child', childId }, institutionId: school, createdBy: randomUUID(), ...over });
      return a;
    };
    const red = randomUUID();
    await repository.createCompleted(red, rated('red', '2026-10-01T09:00:00.000Z'));
    expect(await pending(red)).toEqual(['completed', 'concern-raised']);
    const [first, second, elsewhere] = [randomUUID(), randomUUID(), randomUUID()];
    await Promise.all([
      repository.createCompleted(first, rated('green', '2026-11-01T09:00:00.000Z')),
      repository.createCompleted(second, rated('yellow', '2026-11-01T09:00:01.000Z')),
      repository.createCompleted(elsewhere, rated('green', '2026-11-01T09:00:00.000Z', { institutionId: sfo })),
    ]);
    const events = [...(await pending(first)), ...(await pending(second))];
    expect(events.filter((e) => e === 'concern-lifted')).toHaveLength(1);
    expect(await pending(elsewhere)).toEqual(['completed']);
  });
});
