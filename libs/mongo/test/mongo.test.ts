// Against the real document store (FerretDB locally and in CI, MongoDB where MONGO_URL says so).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Schema, type Connection } from 'mongoose';
import { quietLogger, testInfra, uniqueName } from '@spor/testkit';
import { applyVersioned, connectMongo, ensureIndexes, findEach, pingMongo } from '../src/index.js';

const { mongoUrl } = testInfra();
const logger = quietLogger();
let connection: Connection;

beforeAll(async () => {
  connection = await connectMongo({ url: mongoUrl, dbName: uniqueName('mongo-test'), logger });
});

afterAll(async () => {
  await connection.dropDatabase().catch(() => undefined);
  await connection.close();
});

describe('connectMongo', () => {
  test('when the database is reachable, then ping answers', async () => {
    await expect(pingMongo(connection)).resolves.toBeUndefined();
  });

  test('when nothing listens, then it retries and fails naming the attempts', async () => {
    const started = Date.now();
    await expect(connectMongo({ url: 'mongodb://127.0.0.1:1', dbName: 'x', logger, attempts: 2, initialDelayMs: 50, serverSelectionTimeoutMS: 300 })).rejects.toThrow(
      /could not connect to the database after 2 attempts/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });
});

describe('ensureIndexes', () => {
  test('when an index can be built, then it exists afterwards', async () => {
    const model = connection.model(uniqueName('Plan'), new Schema({ childId: { type: String, index: true }, ref: { type: String, unique: true } }));
    await ensureIndexes(connection);
    const names = (await model.collection.indexes()).map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(['childId_1', 'ref_1']));
    await model.create({ childId: 'c1', ref: 'r1' });
    await expect(model.create({ childId: 'c2', ref: 'r1' })).rejects.toMatchObject({ code: 11000 });
  });

  test('when an index cannot be built, then ensureIndexes fails instead of logging and going on', async () => {
    const name = uniqueName('Dupes');
    const model = connection.model(name, new Schema({ code: { type: String, unique: true } }));
    await connection.db!.collection(model.collection.collectionName).insertMany([{ code: 'a' }, { code: 'a' }]);
    await expect(ensureIndexes(connection)).rejects.toThrow();
    connection.deleteModel(name);
  });
});

describe('applyVersioned', () => {
  test('applies each version once and ignores replays and stale versions', async () => {
    const collection = connection.db!.collection(uniqueName('projection'));
    const apply = (version: number) => applyVersioned(collection, 'child-1', version, { $inc: { count: 1 }, $set: { last: version } });
    expect(await apply(1)).toBe('applied');
    expect(await apply(1)).toBe('duplicate');
    expect(await apply(2)).toBe('applied');
    expect(await apply(1)).toBe('duplicate');
    expect(await collection.findOne({ _id: 'child-1' as never })).toEqual({ _id: 'child-1', version: 2, count: 2, last: 2 });
  });
});

describe('findEach', () => {
  test('when asked for several values, then it answers every match of each, in the values’ order, with the rest of the filter and the projection applied', async () => {
    const name = uniqueName('each');
    await connection.db!.createCollection(name);
    const docs = connection.db!.collection<{ _id: string; childId: string; status: string; note?: string }>(name);
    await docs.insertMany([
      { _id: 'a1', childId: 'a', status: 'open', note: 'x' },
      { _id: 'b1', childId: 'b', status: 'open' },
      { _id: 'b2', childId: 'b', status: 'closed' },
      { _id: 'c1', childId: 'c', status: 'open' },
      { _id: 'd1', childId: 'd', status: 'open' },
    ]);
    const found = await findEach(docs, 'childId', ['c', 'a', 'b', 'a', 'z'], { status: 'open' }, { projection: { note: 0 } });
    expect(found).toEqual([
      { _id: 'c1', childId: 'c', status: 'open' },
      { _id: 'a1', childId: 'a', status: 'open' },
      { _id: 'b1', childId: 'b', status: 'open' },
    ]);
    expect(await findEach(docs, '_id', [])).toEqual([]);
    // More values than are asked at once: every one still answered.
    const many = Array.from({ length: 40 }, (_, i) => (i % 2 ? 'd' : `none-${i}`));
    expect((await findEach(docs, 'childId', [...many, 'b'])).map((d) => d._id)).toEqual(['d1', 'b1', 'b2']);
  });
});
