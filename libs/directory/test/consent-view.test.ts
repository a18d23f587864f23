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

const consentEvent = (verb: string, version: number, data: Record<string, unknown> = {}, time = new Date(), consentId_ = consentId): SporEvent =>
  ({
    specversion: '1.0', id: randomUUID(), source: 'spor/consent', type: `dk.spor.consent.consent.${verb}.v1`, subject: consentId_, time: time.toISOString(), datacontenttype: 'application/json', municipalityid: '510', aggregateversion: version,
    data: verb === 'removed' ? { consentId: consentId_, childId } : { consentId: consentId_, childId, purposeId: 'network-meeting', purposeVersion: 1, scope: {}, valid: false, ...data },
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

  test('the day a meeting was held: a consent covers a past day only if it was valid at some time that day, today and days ahead only if valid now', async () => {
    const id = randomUUID();
    const other = randomUUID();
    const child = randomUUID();
    const at = (d: number, hour = 12) => new Date(Date.UTC(2030, 0, 1, hour) + d * 86_400_000);
    const dayOf = (d: number) => at(d).toISOString().slice(0, 10);
    const now = at(40);
    // Asked on day 1, granted on day 10 (until day 30, noon), withdrawn on day 20, granted again on day 25.
    await apply(
      consentEvent('requested', 1, { childId: child }, at(1), id),
      consentEvent('granted', 2, { childId: child, valid: true, validUntil: at(30).toISOString() }, at(10), id),
      consentEvent('withdrawn', 3, { childId: child, valid: false }, at(20), id),
      consentEvent('granted', 4, { childId: child, valid: true, validUntil: at(60).toISOString() }, at(25), id),
    );
    await apply(consentEvent('granted', 4, { childId: child, valid: true }, at(5), id));
    expect((await view.get(id))!.history).toHaveLength(4);
    const on = (d: number) => view.validConsentOn(child, 'network-meeting', {}, dayOf(d), now).then((c) => c?._id ?? null);
    expect(await on(5)).toBeNull();
    expect(await on(10)).toBe(id);
    expect(await on(15)).toBe(id);
    expect(await on(20)).toBe(id);
    expect(await on(22)).toBeNull();
    expect(await on(25)).toBe(id);
    expect(await on(40)).toBe(id);
    expect(await on(60)).toBe(id);
    expect(await on(61)).toBeNull();
    // Another scope is another consent.
    expect(await view.validConsentOn(child, 'network-meeting', { receivingUnitId: randomUUID() }, dayOf(15), now)).toBeNull();
    // Withdrawn now, it covers neither today nor days ahead, and still the days it was valid.
    await apply(consentEvent('withdrawn', 5, { childId: child, valid: false }, at(40, 9), id));
    expect(await on(40)).toBeNull();
    expect(await on(45)).toBeNull();
    expect(await on(30)).toBe(id);
    // An entry stored before the history was kept answers by its present state.
    await db.collection<SeenConsent>('seen_consents').insertOne({ _id: other, version: 2, childId: child, purposeId: 'referral-ppv', purposeVersion: 1, scope: {}, valid: true, validUntil: null, lastChange: 'granted' });
    expect((await view.validConsentOn(child, 'referral-ppv', {}, dayOf(3), now))?._id).toBe(other);
  });
});
