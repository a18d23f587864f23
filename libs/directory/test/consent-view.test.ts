// The view of consents against a real MongoDB-wire server, fed consent's events: applied by
// version, acted on as they are now, and dropped when consent disposes of a consent, so one
// asked for again later (same id, version 1) is seen afresh.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import type { SporEvent } from '@spor/events';
import { testInfra, uniqueName } from '@spor/testkit';
import { ConsentView, type SeenConsent } from '../src/index.js';

let client: MongoClient;
let db: Db;
let view: ConsentView;
const changes: SeenConsent[] = [];
const childId = randomUUID();
const consentId = randomUUID();
const day = (d: number) => new Date(Date.UTC(2030, 0, 1) + d * 86_400_000);

const consentEvent = (verb: string, version: number, data: Record<string, unknown> = {}): SporEvent =>
  ({
    specversion: '1.0', id: randomUUID(), source: 'spor/consent', type: `dk.spor.consent.consent.${verb}.v1`, subject: consentId, time: new Date().toISOString(), datacontenttype: 'application/json', municipalityid: '510', aggregateversion: version,
    data: verb === 'removed' ? { consentId, childId } : { consentId, childId, purposeId: 'network-meeting', purposeVersion: 1, scope: {}, valid: false, ...data },
  }) as SporEvent;

async function apply(...events: SporEvent[]): Promise<void> {
  const handlers = view.handlers();
  for (const e of events) await handlers[e.type]!(e, { logger: undefined as never } as never);
}

beforeAll(async () => {
  client = await MongoClient.connect(testInfra().mongoUrl);
  db = client.db(uniqueName('consent-view-test'));
  for (const name of ConsentView.collections) await db.createCollection(name);
  view = new ConsentView(db, async (c) => void changes.push(c));
  await view.init();
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

describe('ConsentView', () => {
  test('applies by version: a redelivered older event changes nothing, and onChange sees the consent as it is now', async () => {
    const granted = consentEvent('granted', 2, { valid: true, validUntil: day(180).toISOString() });
    await apply(consentEvent('requested', 1), granted);
    expect(await view.validConsent(childId, 'network-meeting', {}, day(1))).toMatchObject({ _id: consentId, version: 2, valid: true, lastChange: 'granted' });
    await apply(consentEvent('requested', 1));
    expect(await view.get(consentId)).toMatchObject({ version: 2, valid: true });
    expect(changes.at(-1)).toMatchObject({ version: 2, valid: true });
    expect(await view.validConsent(childId, 'network-meeting', {}, day(181))).toBeNull();
  });

  test('a re-evaluation after a change of custody makes a valid consent invalid in the view, and onChange hears it', async () => {
    await apply(consentEvent('reevaluated', 3, { valid: false, parentIds: [randomUUID(), randomUUID()] }));
    expect(await view.get(consentId)).toMatchObject({ version: 3, valid: false, lastChange: 'reevaluated' });
    expect(await view.validConsent(childId, 'network-meeting', {}, day(1))).toBeNull();
    expect(changes.at(-1)).toMatchObject({ version: 3, valid: false });
  });

  test('a removed consent leaves the view; asked for again (same id, version 1) it is seen afresh', async () => {
    await apply(consentEvent('withdrawn', 4), consentEvent('removed', 5));
    expect(await view.get(consentId)).toBeNull();
    const seen = changes.length;
    await apply(consentEvent('requested', 1), consentEvent('granted', 2, { valid: true }));
    expect(await view.get(consentId)).toMatchObject({ version: 2, valid: true, childId, purposeId: 'network-meeting' });
    expect(changes.length).toBe(seen + 2);
  });
});
