// transitions with identity beside it on the real broker and store: units and children arrive
// as identity's events; placements are made over HTTP and published for the other services.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { contractRegistry } from '@spor/contracts';
import { eventsPublished, quietLogger, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import type { RunningIdentity } from '../../identity/src/service.js';
import { bearer, freshCpr, startTestIdentity } from '../../identity/test/support.js';
import { startTransitions, type RunningTransitions } from '../src/service.js';
import { topicFor } from '@spor/events';

const { brokers, mongoUrl } = testInfra();
let identity: RunningIdentity;
let transitions: RunningTransitions;
let now = new Date('2026-01-15T09:00:00Z');
const units = {} as Record<'mun' | 'district' | 'nursery' | 'kindergarten' | 'school' | 'sfo' | 'otherSfo' | 'groupA' | 'groupB', string>;
let admin: string;
let childId: string;

const as = async (role: string, unitId: string) => bearer(identity, '510', role, { roles: [{ role, unitId }] });

beforeAll(async () => {
  identity = await startTestIdentity();
  const root = await bearer(identity, '510');
  const post = async (path: string, body: object) => (await request(identity.url).post(path).set('authorization', root).send(body)).body.id as string;
  units.mun = await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' });
  units.district = await post('/admin/org-units', { kind: 'district', name: 'D', parentId: units.mun });
  units.nursery = await post('/admin/org-units', { kind: 'institution', name: 'Vuggestuen', parentId: units.district, institutionType: 'vuggestue' });
  units.kindergarten = await post('/admin/org-units', { kind: 'institution', name: 'Børnehaven', parentId: units.district, institutionType: 'boernehave' });
  units.school = await post('/admin/org-units', { kind: 'institution', name: 'Skolen', parentId: units.district, institutionType: 'skole' });
  units.sfo = await post('/admin/org-units', { kind: 'institution', name: 'SFO', parentId: units.district, institutionType: 'sfo' });
  units.otherSfo = await post('/admin/org-units', { kind: 'institution', name: 'SFO 2', parentId: units.district, institutionType: 'sfo' });
  units.groupA = await post('/admin/org-units', { kind: 'group', name: 'A', parentId: units.nursery });
  units.groupB = await post('/admin/org-units', { kind: 'group', name: 'B', parentId: units.nursery });
  childId = await post('/admin/persons', { kind: 'child', cpr: freshCpr(), givenName: 'Barn', familyName: 'Test' });
  admin = await as('system-administrator', units.mun);

  transitions = await startTransitions(
    {
      MONGO_URL: mongoUrl,
      KAFKA_BROKERS: brokers.join(','),
      PORT: '0',
      TRANSITIONS_DB_NAME: uniqueName('transitions-test'),
      TRANSITIONS_CONSUMER_GROUP: uniqueName('transitions'),
      TOKEN_ISSUER: identity.config.TOKEN_ISSUER,
      IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json`,
    },
    { clock: () => now, logger: quietLogger() },
  );
  // The projection has caught up when the last unit and the child are known: an enrolment is then not refused as unknown.
  await waitFor('identity’s units and child in transitions', async () => {
    const res = await request(transitions.url).get(`/institutions/${units.sfo}/children`).set('authorization', admin);
    return res.status === 200;
  });
});

afterAll(async () => {
  await transitions.runtime.shutdown();
  await identity.runtime.shutdown();
});

const enrol = (body: object, token = admin) => request(transitions.url).post(`/children/${childId}/placements`).set('authorization', token).send(body);

/** A child of its own in the school and its SFO from 2026-08-10 (the retention test counts the other child's records). */
async function pupilInSchoolAndSfo(): Promise<string> {
  const pupil = (await request(identity.url).post('/admin/persons').set('authorization', await bearer(identity, '510')).send({ kind: 'child', cpr: freshCpr(), givenName: 'Elev', familyName: 'Test' })).body.id as string;
  const place = (institutionId: string) => request(transitions.url).post(`/children/${pupil}/placements`).set('authorization', admin).send({ institutionId, from: '2026-08-10' });
  await waitFor('the pupil in transitions', async () => (await place(units.school)).status === 201);
  expect((await place(units.sfo)).status).toBe(201);
  return pupil;
}

describe('enrollments', () => {
  test('a child is enrolled, moved and placed beside; overlaps are refused; each change is published', async () => {
    await waitFor('the child in transitions', async () => (await enrol({ institutionId: units.nursery, groupId: units.groupA, from: '2025-08-01' })).status === 201);
    const again = await enrol({ institutionId: units.nursery, groupId: units.groupA, from: '2025-08-01' });
    expect(again.status).toBe(200);
    const first = again.body.placementId as string;

    const overlap = await enrol({ institutionId: units.kindergarten, from: '2026-01-01' });
    expect(overlap.status).toBe(409);
    expect(overlap.body).toMatchObject({ code: 'ENROLLMENT_OVERLAP' });
    expect(overlap.body.detail).toContain(`daycare institution ${units.nursery} from 2025-08-01`);

    // The nursery's leader moves the child to the kindergarten.
    const leader = await as('leader', units.nursery);
    const moved = await request(transitions.url).post(`/children/${childId}/placements/${first}/move`).set('authorization', leader).send({ institutionId: units.kindergarten, on: '2026-03-01' });
    expect(moved.status).toBe(201);
    expect(moved.body.previous).toMatchObject({ placementId: first, to: '2026-02-28' });

    const wrongGroup = await enrol({ institutionId: units.kindergarten, groupId: units.groupA, from: '2027-01-01' });
    expect(wrongGroup.status).toBe(422);
    expect(wrongGroup.body.detail).toBe(`groupId: unit ${units.groupA} is not a group of institution ${units.kindergarten}`);
    const notInstitution = await enrol({ institutionId: units.district, from: '2027-01-01' });
    expect(notInstitution.body.detail).toBe(`institutionId: unit ${units.district} is a district, not an institution`);

    const records = await readTopicUntil(brokers, topicFor('transitions', 'enrollment'), 'the move', (rs) => rs.some((r) => r.key === childId && r.value!.includes('enrollment.moved')));
    const events = records.filter((r) => r.key === childId).map((r) => JSON.parse(r.value!));
    expect(events.map((e) => [e.type, e.aggregateversion])).toEqual([
      ['dk.spor.transitions.enrollment.enrolled.v1', 1],
      ['dk.spor.transitions.enrollment.moved.v1', 2],
    ]);
    for (const e of events) expect(contractRegistry().checkEnvelope(e)).toEqual([]);
  });

  test('the old institution’s staff see the child until the move, the new one’s from it', async () => {
    const nurseryEducator = await as('educator', units.groupA);
    const kindergartenEducator = await as('educator', units.kindergarten);
    const read = (token: string) => request(transitions.url).get(`/children/${childId}/placements`).set('authorization', token);
    now = new Date('2026-02-27T12:00:00Z');
    expect((await read(nurseryEducator)).status).toBe(200);
    expect((await read(kindergartenEducator)).status).toBe(404);
    const roster = await request(transitions.url).get(`/institutions/${units.nursery}/children`).set('authorization', nurseryEducator);
    expect(roster.body.items.map((p: { childId: string }) => p.childId)).toEqual([childId]);
    now = new Date('2026-03-01T08:00:00Z');
    expect((await read(nurseryEducator)).status).toBe(404);
    const current = await read(kindergartenEducator);
    expect(current.body.current.map((p: { institutionId: string }) => p.institutionId)).toEqual([units.kindergarten]);
    expect((await request(transitions.url).get(`/institutions/${units.nursery}/children`).set('authorization', nurseryEducator)).body.items).toEqual([]);
  });

  test('only managers on or above the institution enrol; another municipality finds nothing', async () => {
    const educator = await as('educator', units.school);
    const refused = await enrol({ institutionId: units.school, from: '2026-08-10' }, educator);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('ROLE_REQUIRED');
    const elsewhere = await enrol({ institutionId: units.school, from: '2026-08-10' }, await bearer(identity, '561', 'system-administrator'));
    expect(elsewhere.status).toBe(404);
  });

  test('school and SFO run side by side after the kindergarten placement ends', async () => {
    const state = (await request(transitions.url).get(`/children/${childId}/placements`).set('authorization', admin)).body;
    const kindergarten = state.items.find((p: { institutionId: string }) => p.institutionId === units.kindergarten);
    const ended = await request(transitions.url).post(`/children/${childId}/placements/${kindergarten.placementId}/end`).set('authorization', admin).send({ to: '2026-07-31' });
    expect(ended.body).toMatchObject({ to: '2026-07-31' });
    expect((await enrol({ institutionId: units.school, from: '2026-08-10' })).status).toBe(201);
    expect((await enrol({ institutionId: units.sfo, from: '2026-08-10' })).status).toBe(201);
    now = new Date('2026-09-01T08:00:00Z');
    const current = (await request(transitions.url).get(`/children/${childId}/placements`).set('authorization', admin)).body.current;
    expect(current.map((p: { institutionType: string }) => p.institutionType).sort()).toEqual(['sfo', 'skole']);

    // Every placement write is on the child's record, before it is made: enrolled, moved (the old one changed, the new one made), ended.
    const writes = (await transitions.audit.forChild(childId)).filter((e) => e.recordType === 'placement' && e.operation !== 'read');
    expect(writes.map((e) => `${e.operation} ${e.institutionId === units.nursery ? 'nursery' : e.institutionId === units.kindergarten ? 'kindergarten' : e.institutionId === units.school ? 'school' : 'sfo'}`)).toEqual([
      'create nursery',
      'update nursery',
      'create kindergarten',
      'update kindergarten',
      'create school',
      'create sfo',
    ]);
    expect((await transitions.audit.forRecord(ended.body.placementId)).map((e) => e.operation)).toEqual(['create', 'update']);
  });

  test('the child’s placements leave 5 years from the day after the last one ended, archived first, and not a day before', async () => {
    const DAY = 86_400_000;
    const state = (await request(transitions.url).get(`/children/${childId}/placements`).set('authorization', admin)).body;
    for (const p of state.items.filter((p: { to: string | null }) => p.to === null)) {
      await request(transitions.url).post(`/children/${childId}/placements/${p.placementId}/end`).set('authorization', admin).send({ to: '2035-06-20' }).expect(200);
    }
    await eventsPublished(mongoUrl, transitions.config.TRANSITIONS_DB_NAME, 'enrollments');
    const { retention } = transitions.privacy;
    const clockStart = Date.parse('2035-06-21T00:00:00Z');
    expect(await retention.kind('enrollment')!.ofChild(childId)).toEqual([{ id: childId, retainedFrom: new Date(clockStart) }]);
    now = new Date(clockStart + 5 * 365 * DAY - 60_000);
    expect(await transitions.privacy.sweep()).toMatchObject({ archived: 0, failed: 0 });
    expect((await request(transitions.url).get(`/children/${childId}/placements`).set('authorization', admin)).status).toBe(200);
    now = new Date(clockStart + 5 * 365 * DAY);
    expect(await transitions.privacy.sweep()).toMatchObject({ archived: 1, disposed: 1, failed: 0 });
    expect((await request(transitions.url).get(`/children/${childId}/placements`).set('authorization', admin)).status).toBe(404);
    const [disposal] = await retention.disposalsOf(childId);
    expect(disposal).toMatchObject({ kind: 'enrollment', recordId: childId, status: 'disposed', disposal: 'deleted' });
    // Announced on the enrollment topic, after every event about those placements: the other
    // services' views drop them (libs/directory).
    const records = await readTopicUntil(brokers, topicFor('transitions', 'enrollment'), 'the placements’ removal', (rs) => rs.some((r) => r.key === childId && r.value!.includes('enrollment.removed')));
    const events = records.filter((r) => r.key === childId).map((r) => JSON.parse(r.value!));
    const removal = events.at(-1);
    expect(removal).toMatchObject({ type: 'dk.spor.transitions.enrollment.removed.v1', subject: childId, data: { childId } });
    expect([...removal.data.placementIds].sort()).toEqual(state.items.map((p: { placementId: string }) => p.placementId).sort());
    expect(removal.aggregateversion).toBe(Math.max(...events.slice(0, -1).map((e) => e.aggregateversion)) + 1);
    expect(contractRegistry().checkEnvelope(removal)).toEqual([]);
    // Placed again later, the child starts a new history.
    expect((await enrol({ institutionId: units.school, from: '2041-08-10' })).status).toBe(201);
    expect(await retention.kind('enrollment')!.ofChild(childId)).toEqual([{ id: childId, retainedFrom: null }]);
  });

  test('a planned move from one SFO to another ends the first on the day before; the school placement stays', async () => {
    const pupil = await pupilInSchoolAndSfo();
    const planned = await request(transitions.url).post('/transitions').set('authorization', admin).send({ childId: pupil, toInstitutionId: units.otherSfo, date: '2026-10-01' });
    expect(planned.status).toBe(201);
    expect(planned.body).toMatchObject({ kind: 'into-sfo', fromInstitutionId: units.sfo });
    const start = now;
    now = new Date('2026-10-01T08:00:00Z');
    try {
      expect(await transitions.completeDue()).toBe(1);
      const state = (await request(transitions.url).get(`/children/${pupil}/placements`).set('authorization', admin)).body;
      expect(state.current.map((p: { institutionId: string }) => p.institutionId).sort()).toEqual([units.school, units.otherSfo].sort());
      expect(state.items.find((p: { institutionId: string }) => p.institutionId === units.sfo)).toMatchObject({ to: '2026-09-30' });
      expect((await request(transitions.url).get(`/transitions/${planned.body.id}`).set('authorization', admin)).body).toMatchObject({ status: 'completed' });
      // The sweep's placement writes are on the child's record, as the service's.
      const bySweep = (await transitions.audit.forChild(pupil)).filter((e) => e.purpose === 'transition-completed');
      expect(bySweep.map((e) => [e.operation, e.actorKind, e.institutionId])).toEqual([
        ['update', 'service', units.sfo],
        ['create', 'service', units.otherSfo],
      ]);
    } finally {
      now = start;
    }
  });

  test('a completion and a cancellation sent at once take turns: the child is moved and the transition completed, or neither', async () => {
    const pupil = await pupilInSchoolAndSfo();
    const planned = await request(transitions.url).post('/transitions').set('authorization', admin).send({ childId: pupil, toInstitutionId: units.otherSfo, date: '2026-11-02' });
    const id = planned.body.id as string;
    const [completed, cancelled] = await Promise.all([
      request(transitions.url).post(`/transitions/${id}/complete`).set('authorization', admin),
      request(transitions.url).post(`/transitions/${id}/cancel`).set('authorization', admin),
    ]);
    const final = (await request(transitions.url).get(`/transitions/${id}`).set('authorization', admin)).body.status;
    const moved = (await request(transitions.url).get(`/children/${pupil}/placements`).set('authorization', admin)).body.items.some((p: { institutionId: string }) => p.institutionId === units.otherSfo);
    // Whichever came first: completed and moved (the cancellation refused), or cancelled and not moved (the completion a no-op).
    expect([final, moved]).toEqual(final === 'completed' ? ['completed', true] : ['cancelled', false]);
    expect(final === 'completed' ? cancelled.status : completed.status).toBe(final === 'completed' ? 409 : 200);
  });
});
