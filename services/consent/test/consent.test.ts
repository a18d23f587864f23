// consent as a running service with identity beside it, on the real broker and store: the
// directory arrives as identity's events, parents answer with tokens identity signs, and every
// change is published. The clock is the test's, so expiry is checked on time.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { NSIS_LEVELS } from '@spor/auth';
import { contractRegistry } from '@spor/contracts';
import { eventsPublished, memoryLogger, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, freshCpr, startTestIdentity } from '../../identity/test/support.js';
import { startTransitions, type RunningTransitions } from '../../transitions/src/service.js';
import { startConsent, type RunningConsent } from '../src/service.js';
import { ConsentRepository, EXPIRY_DAY_KEY } from '../src/store/consent-repository.js';
import { MongoClient } from 'mongodb';
import { EventFactory, KeyedMutex, topicFor } from '@spor/events';

const { brokers, mongoUrl } = testInfra();
const SERVICE_SECRET = 'consent-check-secret-0123456789';
let identity: RunningIdentity;
let consent: RunningConsent;
let transitions: RunningTransitions;
let otherInstitutionStaff: string;
let now = new Date();
const logs = memoryLogger();
let admin: string;
let staff: string;
let mother: string;
let father: string;
let stranger: string;
let childId: string;
const schoolId = '6f1c1b2a-3d4e-4f50-8a6b-7c8d9e0f1a2b';
let institution: string;
let enrolling: string;

const parentToken = (personId: string, level: keyof typeof NSIS_LEVELS = 'substantial') => bearer(identity, '510', 'educator', { personId, kind: 'parent', roles: [], acr: NSIS_LEVELS[level] });

beforeAll(async () => {
  identity = await startTestIdentity(undefined, {
    SERVICE_CLIENTS: JSON.stringify([{ id: 'transitions', secretSha256: createHash('sha256').update(SERVICE_SECRET).digest('hex'), scopes: ['consent:read'] }]),
  });
  admin = await bearer(identity, '510');
  const unit = async (body: object) => (await request(identity.url).post('/admin/org-units').set('authorization', admin).send(body)).body.id as string;
  const mun = await unit({ kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' });
  const district = await unit({ kind: 'district', name: 'D', parentId: mun });
  institution = await unit({ kind: 'institution', name: 'Børnehaven', parentId: district, institutionType: 'boernehave' });
  const other = await unit({ kind: 'institution', name: 'Den anden', parentId: district, institutionType: 'boernehave' });
  staff = await bearer(identity, '510', 'educator', { roles: [{ role: 'educator', unitId: institution }] });
  otherInstitutionStaff = await bearer(identity, '510', 'educator', { roles: [{ role: 'educator', unitId: other }] });
  const person = async (kind: string) => (await request(identity.url).post('/admin/persons').set('authorization', admin).send({ kind, cpr: freshCpr(), givenName: 'Navn', familyName: 'Efternavn' })).body.id as string;
  childId = await person('child');
  mother = await person('parent');
  father = await person('parent');
  stranger = await person('parent');
  for (const parentId of [mother, father]) await request(identity.url).put('/admin/guardianships').set('authorization', admin).send({ parentId, childId, custody: true }).expect(201);
  await request(identity.url).put('/admin/guardianships').set('authorization', admin).send({ parentId: stranger, childId, custody: false }).expect(201);

  consent = await startConsent(
    {
      MONGO_URL: mongoUrl,
      KAFKA_BROKERS: brokers.join(','),
      PORT: '0',
      CONSENT_DB_NAME: uniqueName('consent-test'),
      CONSENT_DIRECTORY_GROUP: uniqueName('consent-directory'),
      TOKEN_ISSUER: identity.config.TOKEN_ISSUER,
      IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json`,
    },
    { logger: logs.logger, clock: () => now },
  );
  // Staff see the children placed in their institution: the placement comes from transitions' events.
  const common = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json` };
  transitions = await startTransitions({ ...common, TRANSITIONS_DB_NAME: uniqueName('transitions-test'), TRANSITIONS_CONSUMER_GROUP: uniqueName('transitions') }, { logger: logs.logger });
  enrolling = await bearer(identity, '510', 'system-administrator', { roles: [{ role: 'system-administrator', unitId: mun }] });
  await waitFor('the child enrolled', async () => (await request(transitions.url).post(`/children/${childId}/placements`).set('authorization', enrolling).send({ institutionId: institution, from: '2024-08-01' })).status === 201);
  // The projection of identity's directory has caught up when both custody holders show.
  await waitFor('custody holders from identity’s events', async () => {
    const res = await request(consent.url).get(`/consent-checks?childId=${childId}&purposeId=network-meeting`).set('authorization', staff);
    return res.status === 200 && res.body.missing.length === 2;
  });
});

afterAll(async () => {
  await transitions.runtime.shutdown();
  await consent.runtime.shutdown();
  await identity.runtime.shutdown();
});

const ask = (body: object, token = staff) => request(consent.url).post('/consents').set('authorization', token).send(body);
const check = (query: string, token = staff) => request(consent.url).get(`/consent-checks?childId=${childId}&${query}`).set('authorization', token);
const answer = async (consentId: string, action: 'grant' | 'withdraw', token: string) => request(consent.url).post(`/consents/${consentId}/${action}`).set('authorization', token);

describe('consent requests and answers', () => {
  test('staff ask for consent to pass knowledge to a named school; asking again finds the same request', async () => {
    const first = await ask({ childId, purposeId: 'transition-transfer', scope: { receivingUnitId: schoolId } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ childId, purposeId: 'transition-transfer', purposeVersion: 1, scope: { receivingUnitId: schoolId }, valid: false, missing: [father, mother].sort() });
    const again = await ask({ childId, purposeId: 'transition-transfer', scope: { receivingUnitId: schoolId } });
    expect([again.status, again.body.id]).toEqual([200, first.body.id]);
    const pending = await request(consent.url).get('/my/consents').set('authorization', await parentToken(mother));
    expect(pending.body.items.find((c: { id: string }) => c.id === first.body.id)).toMatchObject({ myAnswer: 'none' });
  });

  test('an unknown purpose or a scope that does not fit is 422 naming the field', async () => {
    const unknown = await ask({ childId, purposeId: 'marketing' });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ code: 'UNKNOWN_PURPOSE', errors: [{ field: 'purposeId' }] });
    const noScope = await ask({ childId, purposeId: 'transition-transfer' });
    expect(noScope.status).toBe(422);
    expect(noScope.body).toMatchObject({ code: 'SCOPE_INVALID', detail: 'scope.receivingUnitId: the purpose transition-transfer needs receivingUnitId' });
  });

  test('a parent without custody gets 403; a login below NSIS substantial gets 403 naming the level', async () => {
    const { body } = await ask({ childId, purposeId: 'network-meeting' });
    const noCustody = await answer(body.id, 'grant', await parentToken(stranger));
    expect(noCustody.status).toBe(403);
    expect(noCustody.body.code).toBe('NO_CUSTODY');
    const low = await answer(body.id, 'grant', await parentToken(mother, 'low'));
    expect(low.status).toBe(403);
    expect(low.body).toMatchObject({ code: 'NSIS_LEVEL_TOO_LOW', detail: 'requires authentication at NSIS level substantial or higher' });
    // Staff are told the answer is the parents', not that their login is too weak.
    for (const action of ['grant', 'withdraw'] as const) expect((await answer(body.id, action, staff)).body.code).toBe('PARENT_REQUIRED');
  });

  test('both custody holders must grant; a withdrawal by either makes it invalid at once, in the check and in the events', async () => {
    const { body } = await ask({ childId, purposeId: 'referral-ppv' });
    const id = body.id as string;
    await answer(id, 'grant', await parentToken(mother));
    expect((await check('purposeId=referral-ppv')).body).toMatchObject({ consentId: id, valid: false, missing: [father] });
    const again = await answer(id, 'grant', await parentToken(mother));
    expect(again.status).toBe(200);
    await answer(id, 'grant', await parentToken(father, 'high'));
    expect((await check('purposeId=referral-ppv')).body).toMatchObject({ valid: true, missing: [] });
    await answer(id, 'withdraw', await parentToken(father));
    expect((await check('purposeId=referral-ppv')).body).toMatchObject({ valid: false, missing: [father] });

    const records = await readTopicUntil(brokers, topicFor('consent', 'consent'), 'the withdrawal', (rs) => rs.some((r) => r.value!.includes('consent.withdrawn') && r.value!.includes(id)));
    const events = records.map((r) => ({ key: r.key, event: JSON.parse(r.value!) })).filter((e) => e.event.subject === id);
    expect(events.map((e) => [e.event.type.split('.')[4], e.event.data.parentIds ?? [], e.event.data.valid])).toEqual([
      ['requested', [], false],
      ['granted', [mother], false],
      ['granted', [father], true],
      ['withdrawn', [father], false],
    ]);
    for (const { key, event } of events) {
      expect(key).toBe(childId);
      expect(contractRegistry().checkEnvelope(event)).toEqual([]);
    }

    // The evidence: who, when, which text version, at which level; for the parent and for staff alike.
    for (const token of [await parentToken(mother), staff]) {
      const read = await request(consent.url).get(`/consents/${id}`).set('authorization', token);
      expect(read.body.history.map((h: { action: string; by?: string; acr?: string; purposeVersion: number }) => [h.action, h.by, h.acr ?? null, h.purposeVersion])).toEqual([
        ['requested', expect.any(String), null, 1],
        ['granted', mother, 'substantial', 1],
        ['granted', father, 'high', 1],
        ['withdrawn', father, 'substantial', 1],
      ]);
    }
  });

  test('a consent one parent granted while consent knew only that parent is re-evaluated when the other custody holder is registered, and published as such', async () => {
    const person = async (kind: string) => (await request(identity.url).post('/admin/persons').set('authorization', admin).send({ kind, cpr: freshCpr(), givenName: 'Navn', familyName: 'Efternavn' })).body.id as string;
    const [child, mum, dad] = [await person('child'), await person('parent'), await person('parent')];
    await request(identity.url).put('/admin/guardianships').set('authorization', admin).send({ parentId: mum, childId: child, custody: true }).expect(201);
    await waitFor('the child enrolled', async () => (await request(transitions.url).post(`/children/${child}/placements`).set('authorization', enrolling).send({ institutionId: institution, from: '2024-08-01' })).status === 201);
    const checkChild = () => request(consent.url).get(`/consent-checks?childId=${child}&purposeId=referral-ppv`).set('authorization', staff);
    await waitFor('consent to know the mother', async () => (await checkChild()).body.missing?.length === 1);
    const asked = await waitFor('consent to know the placement', async () => {
      const res = await ask({ childId: child, purposeId: 'referral-ppv' });
      return res.status === 201 ? res : false;
    });
    const id = asked.body.id as string;
    await answer(id, 'grant', await parentToken(mum)).then((r) => expect(r.status).toBe(200));
    expect((await checkChild()).body).toMatchObject({ valid: true });

    await request(identity.url).put('/admin/guardianships').set('authorization', admin).send({ parentId: dad, childId: child, custody: true }).expect(201);
    const records = await readTopicUntil(brokers, topicFor('consent', 'consent'), 'the re-evaluation', (rs) => rs.some((r) => r.value!.includes('consent.reevaluated') && r.value!.includes(id)));
    const events = records.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === id);
    expect(events.map((e) => [e.type.split('.')[4], e.data.valid])).toEqual([['requested', false], ['granted', true], ['reevaluated', false]]);
    expect(contractRegistry().checkEnvelope(events[2])).toEqual([]);
    expect(events[2].data.parentIds).toEqual([mum, dad].sort());
    expect((await checkChild()).body).toMatchObject({ valid: false, missing: [dad] });
    const read = await request(consent.url).get(`/consents/${id}`).set('authorization', staff);
    expect(read.body.history.map((h: { action: string }) => h.action)).toEqual(['requested', 'granted', 'reevaluated']);

    // The same custody again (a redelivery, a re-sent registration) changes nothing and publishes nothing.
    await request(identity.url).put('/admin/guardianships').set('authorization', admin).send({ parentId: dad, childId: child, custody: true });
    await answer(id, 'grant', await parentToken(dad)).then((r) => expect(r.status).toBe(200));
    const after = await readTopicUntil(brokers, topicFor('consent', 'consent'), 'the father’s grant', (rs) => rs.some((r) => r.value!.includes('consent.granted') && r.value!.includes(dad)));
    expect(after.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === id).map((e) => e.type.split('.')[4])).toEqual(['requested', 'granted', 'reevaluated', 'granted']);
  });

  test('grants expire on time: not a second before their period ends, and consent.expired is published', async () => {
    const { body } = await ask({ childId, purposeId: 'share-assessment', scope: { assessmentId: 'a6b7c8d9-0e1f-4a2b-8c3d-4e5f6a7b8c9d', professionalId: 'b7c8d9e0-1f2a-4b3c-9d4e-5f6a7b8c9d0e' } });
    await answer(body.id, 'grant', await parentToken(mother));
    await answer(body.id, 'grant', await parentToken(father));
    const query = `purposeId=share-assessment&assessmentId=a6b7c8d9-0e1f-4a2b-8c3d-4e5f6a7b8c9d&professionalId=b7c8d9e0-1f2a-4b3c-9d4e-5f6a7b8c9d0e`;
    const { validUntil } = (await check(query)).body;
    expect(validUntil).toBe(new Date(now.getTime() + 90 * 86_400_000).toISOString());
    const start = now;
    try {
      now = new Date(new Date(validUntil).getTime() - 1000);
      expect(await consent.expireDue()).toBe(0);
      expect((await check(query)).body.valid).toBe(true);
      now = new Date(validUntil);
      expect(await consent.expireDue()).toBeGreaterThanOrEqual(2);
      expect((await check(query)).body).toMatchObject({ valid: false, missing: [father, mother].sort() });
      await readTopicUntil(brokers, topicFor('consent', 'consent'), 'the expiry', (rs) => rs.some((r) => r.value!.includes('consent.expired') && r.value!.includes(body.id)));
    } finally {
      now = start;
    }
  });

  test('a grant that ran out before the sweep dropped it is recorded as expired before a new grant replaces it', async () => {
    const { body } = await ask({ childId, purposeId: 'share-assessment', scope: { assessmentId: crypto.randomUUID(), professionalId: crypto.randomUUID() } });
    await answer(body.id, 'grant', await parentToken(mother));
    const start = now;
    try {
      now = new Date(now.getTime() + 400 * 86_400_000);
      const again = await answer(body.id, 'grant', await parentToken(mother));
      expect(again.status).toBe(200);
      expect(again.body.history.map((h: { action: string; parentId?: string }) => [h.action, h.parentId ?? null])).toEqual([
        ['requested', null],
        ['granted', mother],
        ['expired', mother],
        ['granted', mother],
      ]);
    } finally {
      now = start;
    }
  });

  test('asked for twice at once, one request makes the consent and the other finds it (201 and 200, one id)', async () => {
    const scope = { receivingUnitId: crypto.randomUUID() };
    const answers = await Promise.all([ask({ childId, purposeId: 'transition-transfer', scope }), ask({ childId, purposeId: 'transition-transfer', scope })]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
  });

  test('the expiry sweep finds a consent by the day its grant runs out; a range round also finds one an earlier missed sweep left', async () => {
    const client = await MongoClient.connect(mongoUrl);
    const scratch = client.db(uniqueName('consent-expiry'));
    try {
      await scratch.createCollection('consents');
      const consents = scratch.collection<{ _id: string; nextExpiry: string | null }>('consents');
      const repository = new ConsentRepository(consents as never, new EventFactory('consent', contractRegistry()), new KeyedMutex(), undefined as never);
      const at = new Date('2026-03-10T12:00:00Z');
      await consents.insertMany([
        { _id: 'today-due', nextExpiry: '2026-03-10T11:00:00.000Z', [EXPIRY_DAY_KEY]: '2026-03-10' },
        { _id: 'today-later', nextExpiry: '2026-03-10T13:00:00.000Z', [EXPIRY_DAY_KEY]: '2026-03-10' },
        { _id: 'yesterday', nextExpiry: '2026-03-09T23:59:00.000Z', [EXPIRY_DAY_KEY]: '2026-03-09' },
        { _id: 'missed', nextExpiry: '2026-02-01T08:00:00.000Z', [EXPIRY_DAY_KEY]: '2026-02-01' },
        { _id: 'none', nextExpiry: null, [EXPIRY_DAY_KEY]: null },
        // Stored by a version without the key: given it when the repository starts.
        { _id: 'older', nextExpiry: '2026-03-10T10:00:00.000Z' },
      ] as never);
      await repository.init();
      expect((await repository.dueForExpiry(at)).sort()).toEqual(['older', 'today-due', 'yesterday']);
      expect((await repository.dueForExpiry(at, { everyDay: true })).sort()).toEqual(['missed', 'older', 'today-due', 'yesterday']);
      expect(await repository.dueForExpiry(at, { everyDay: true, limit: 2 })).toHaveLength(2);
    } finally {
      await scratch.dropDatabase();
      await client.close();
    }
  });

  test('a service checks with a consent:read token; staff of another municipality or institution find no child', async () => {
    const issued = await request(identity.url).post('/oauth/token').auth('transitions', SERVICE_SECRET).type('form').send({ grant_type: 'client_credentials' });
    const byService = await check('purposeId=network-meeting', `Bearer ${issued.body.access_token}`);
    expect(byService.status).toBe(200);
    expect(byService.body).toMatchObject({ valid: false });
    const elsewhere = await check('purposeId=network-meeting', await bearer(identity, '561', 'educator'));
    expect(elsewhere.status).toBe(404);
    // Staff of another institution in the same municipality do not see the child either.
    const other = await check('purposeId=network-meeting', otherInstitutionStaff);
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('RELATION_REQUIRED');
    expect((await ask({ childId, purposeId: 'network-meeting' }, otherInstitutionStaff)).status).toBe(403);
  });

  test('a consent leaves 5 years after it ended, archived first; one granted again meanwhile stays until that grant ends, too', async () => {
    const YEARS_5 = 5 * 365 * 86_400_000;
    const DAY = 86_400_000;
    const start = now;
    const gone = async (id: string) => (await request(consent.url).get(`/consents/${id}`).set('authorization', staff)).status === 404;
    try {
      const ended = (await ask({ childId, purposeId: 'network-meeting' })).body.id as string;
      const regranted = (await ask({ childId, purposeId: 'referral-ppv' })).body.id as string;
      for (const id of [ended, regranted]) {
        await answer(id, 'grant', await parentToken(mother));
        await answer(id, 'withdraw', await parentToken(mother));
      }
      const t0 = now;
      await eventsPublished(mongoUrl, consent.config.CONSENT_DB_NAME, 'consents');
      // The parent sees the kind and when each consent of the child leaves (the evidence's own clock).
      const insight = await request(consent.url).get(`/children/${childId}/insight`).set('authorization', await parentToken(mother));
      expect(insight.body.retention).toEqual([expect.objectContaining({ kind: 'consent', days: 5 * 365, publicRecord: false })]);
      // Storage keys stay in storage.
      expect(JSON.stringify(insight.body)).not.toContain('lookupExpiryDay');
      const kept = insight.body.retention[0].records as { recordId: string; deletedAfter: string | null }[];
      expect(kept.find((r) => r.recordId === ended)?.deletedAfter).toBe(new Date(t0.getTime() + YEARS_5).toISOString().slice(0, 10));

      now = new Date(t0.getTime() + YEARS_5 - DAY);
      expect(await consent.privacy.sweep()).toMatchObject({ failed: 0 });
      expect(await gone(ended)).toBe(false);
      // One is granted again a day before its period ends: in use, it stays.
      await answer(regranted, 'grant', await parentToken(mother));
      now = new Date(t0.getTime() + YEARS_5 + DAY);
      expect(await consent.privacy.sweep()).toMatchObject({ failed: 0 });
      expect(await gone(ended)).toBe(true);
      expect(await gone(regranted)).toBe(false);
      // Archived, then deleted, each in the audit log; the one in use was neither.
      const steps = (await consent.audit.forChild(childId)).filter((e) => e.purpose === 'retention-expired' && [ended, regranted].includes(e.recordId!)).map((e) => [e.operation, e.recordType, e.recordId]);
      expect(steps).toEqual([['archive', 'consent', ended], ['delete', 'consent', ended]]);
      // Every view of consents hears of it: consent.removed on the consent's topic and key, after its earlier events.
      const records = await readTopicUntil(brokers, topicFor('consent', 'consent'), 'the removal', (rs) => rs.some((r) => r.value!.includes('consent.removed') && r.value!.includes(ended)));
      const events = records.map((r) => ({ key: r.key, event: JSON.parse(r.value!) })).filter((e) => e.event.subject === ended);
      expect(events.at(-1)).toMatchObject({ key: childId, event: { type: 'dk.spor.consent.consent.removed.v1', data: { consentId: ended, childId } } });
      expect(contractRegistry().checkEnvelope(events.at(-1)!.event)).toEqual([]);
      expect(events.at(-1)!.event.aggregateversion).toBe(Math.max(...events.slice(0, -1).map((e) => e.event.aggregateversion)) + 1);
      expect(records.some((r) => r.value!.includes('consent.removed') && r.value!.includes(regranted))).toBe(false);
    } finally {
      now = start;
    }
  });

  test('no CPR number or name in any log line', () => {
    const text = logs.text();
    expect(text).not.toMatch(/\b\d{6}-?\d{4}\b/);
    expect(text).not.toContain('Efternavn');
  });
});
