// The catalogue on the real store: the version listed as in use is the version a new assessment
// uses, also when Spor ships a built-in version numbered above a municipality's own.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MongoClient, type Collection } from 'mongodb';
import { testInfra, uniqueName } from '@spor/testkit';
import { InstrumentCatalogue, type StoredInstrument } from '../src/store/instrument-catalogue.js';
import { BUILT_IN_INSTRUMENTS } from '../src/domain/built-in-instruments.js';

const { mongoUrl } = testInfra();
const dbName = uniqueName('instrument-catalogue-test');
let client: MongoClient;
let collection: Collection<StoredInstrument>;

beforeAll(async () => {
  client = await MongoClient.connect(mongoUrl);
  collection = client.db(dbName).collection<StoredInstrument>('instruments');
});

afterAll(async () => {
  await client.db(dbName).dropDatabase();
  await client.close();
});

describe('the instruments in use', () => {
  test('a municipality’s own version stays in use, and listed, when a built-in version with a higher number comes later', async () => {
    const catalogue = new InstrumentCatalogue(collection);
    await catalogue.init();
    const builtIn = Math.max(...BUILT_IN_INSTRUMENTS.filter((d) => d.instrumentId === 'motorik').map((d) => d.version));
    const { version: _v, ...definition } = BUILT_IN_INSTRUMENTS.find((d) => d.instrumentId === 'motorik' && d.version === builtIn)!;
    await catalogue.saveDraft('510', { ...definition, title: 'Motorik, Haderslevs udgave' }, 'konsulent');
    expect((await catalogue.publish('510', 'motorik', 'konsulent'))?.version).toBe(builtIn + 1);
    // A later release of Spor ships a correction numbered above the municipality's version.
    const shipped = { ...definition, version: builtIn + 2, title: 'Motorisk screening, rettet' };
    await collection.insertOne({ _id: `*:motorik:v${builtIn + 2}`, municipalityId: '*', instrumentId: 'motorik', status: 'published', version: builtIn + 2, definition: shipped, savedAt: new Date(), savedBy: 'built-in' });

    const fresh = new InstrumentCatalogue(collection);
    const listed = async (municipalityId: string) => (await fresh.allCurrent(municipalityId)).find((d) => d.instrumentId === 'motorik');
    expect([(await fresh.current('510', 'motorik'))?.title, (await listed('510'))?.title]).toEqual(['Motorik, Haderslevs udgave', 'Motorik, Haderslevs udgave']);
    expect((await listed('510'))?.version).toBe(builtIn + 1);
    // A municipality without its own uses, and lists, the correction.
    expect([(await fresh.current('461', 'motorik'))?.version, (await listed('461'))?.version]).toEqual([builtIn + 2, builtIn + 2]);
    // Every other instrument is listed at the version a new assessment uses.
    for (const d of await fresh.allCurrent('510')) expect(d.version).toBe((await fresh.current('510', d.instrumentId))?.version);
  });
});
