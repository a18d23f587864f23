// Language presumptions stored before their municipality was, on the real store: they get it at
// start from the directory while it knows the child, so the sweep still finds them once the
// child has left the directory.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { testInfra, uniqueName } from '@spor/testkit';
import { KeyedMutex } from '@spor/events';
import type { DirectoryView } from '@spor/directory';
import { assessmentsPrivacy, backfillPresumptionMunicipalities } from '../src/privacy.js';

const { mongoUrl } = testInfra();
const dbName = uniqueName('presumption-backfill-test');
let client: MongoClient;

beforeAll(async () => {
  client = await MongoClient.connect(mongoUrl);
});

afterAll(async () => {
  await client.db(dbName).dropDatabase();
  await client.close();
});

describe('presumptions stored before their municipality', () => {
  test('get it from the directory at start; one the directory no longer knows is left as it is; the sweep then finds them without the directory', async () => {
    const db = client.db(dbName);
    const [known, gone, recent] = [randomUUID(), randomUUID(), randomUUID()];
    const at = new Date('2026-03-01T00:00:00Z');
    await db.collection('language_presumptions').insertMany([
      { _id: known as never, presumedNeed: true, by: 'staff-1', at },
      { _id: gone as never, presumedNeed: false, by: 'staff-1', at },
      { _id: recent as never, municipalityId: '461', presumedNeed: true, by: 'staff-2', at },
    ]);
    const knows = { person: async (id: string) => (id === known || id === recent ? { municipalityId: '510' } : null) } as unknown as Pick<DirectoryView, 'person'>;
    expect(await backfillPresumptionMunicipalities(db, knows)).toBe(1);
    expect(await backfillPresumptionMunicipalities(db, knows)).toBe(0);
    const stored = new Map((await db.collection('language_presumptions').find({}).toArray()).map((p) => [String(p._id), p.municipalityId]));
    expect([stored.get(known), stored.get(gone), stored.get(recent)]).toEqual(['510', undefined, '461']);

    // The child has left the directory since: the sweep still knows whose period applies.
    const forgets = { person: async () => null } as unknown as Pick<DirectoryView, 'person'>;
    const kind = assessmentsPrivacy(db, new KeyedMutex(), forgets).kinds.find((k) => k.kind === 'language-presumption')!;
    expect((await kind.candidates(new Date('2030-01-01'))).map((c) => [c.id, c.municipalityId]).sort()).toEqual([[known, '510'], [recent, '461']].sort());
  });
});
