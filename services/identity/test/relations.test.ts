// Memberships and guardianship through the admin API, with their events.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { contractRegistry } from '@spor/contracts';
import { readTopicUntil, testInfra } from '@spor/testkit';
import type { RunningIdentity } from '../src/service.js';
import { bearer, freshCpr, startTestIdentity } from './support.js';
import { topicFor } from '@spor/events';

const { brokers } = testInfra();
let identity: RunningIdentity;
let admin: string;

beforeAll(async () => {
  identity = await startTestIdentity();
  admin = await bearer(identity, '510');
});

afterAll(() => identity.runtime.shutdown());

const post = (path: string, body: object) => request(identity.url).post(path).set('authorization', admin).send(body);
const put = (path: string, body: object) => request(identity.url).put(path).set('authorization', admin).send(body);
const person = async (kind: string) => (await post('/admin/persons', { kind, cpr: freshCpr(), givenName: 'A', familyName: 'B' })).body.id as string;

let municipality: string | undefined;
async function institution(): Promise<string> {
  municipality ??= (await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' })).body.id as string;
  const district = (await post('/admin/org-units', { kind: 'district', name: 'Syd', parentId: municipality })).body.id;
  return (await post('/admin/org-units', { kind: 'institution', name: 'Vuggestuen', parentId: district, institutionType: 'vuggestue' })).body.id;
}

describe('memberships', () => {
  test('a staff member gets a role in a unit once, and it can end; both are events', async () => {
    const unitId = await institution();
    const staff = await person('staff');
    const granted = await post('/admin/memberships', { personId: staff, unitId, role: 'educator', from: '2026-08-01' });
    expect(granted.status).toBe(201);
    expect(granted.body).toMatchObject({ id: `${staff}:${unitId}:educator`, role: 'educator', from: '2026-08-01', version: 1 });
    expect((await post('/admin/memberships', { personId: staff, unitId, role: 'educator' })).status).toBe(200);

    const ended = await post(`/admin/memberships/${granted.body.id}/end`, { to: '2026-12-31' });
    expect(ended.body).toMatchObject({ to: '2026-12-31', version: 2 });
    const list = await request(identity.url).get(`/admin/persons/${staff}/memberships`).set('authorization', admin);
    expect(list.body.items).toHaveLength(1);

    const records = await readTopicUntil(brokers, topicFor('identity', 'membership'), 'both events', (rs) => rs.filter((r) => r.key === staff).length >= 2);
    const events = records.filter((r) => r.key === staff).map((r) => JSON.parse(r.value!));
    for (const e of events) expect(contractRegistry().check(e)).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['dk.spor.identity.membership.granted.v1', 'dk.spor.identity.membership.ended.v1']);
  });

  test('the data-protection officer’s role is granted and ended without an event (the v1 role list is closed)', async () => {
    const staff = await person('staff');
    const granted = await post('/admin/memberships', { personId: staff, unitId: municipality ?? (await institution()), role: 'dpo' });
    expect(granted.status).toBe(201);
    expect((await post(`/admin/memberships/${granted.body.id}/end`, { to: '2026-12-31' })).body).toMatchObject({ role: 'dpo', to: '2026-12-31' });
    // A later membership of the same person is published; the officer's never is.
    await post('/admin/memberships', { personId: staff, unitId: await institution(), role: 'educator' });
    const records = await readTopicUntil(brokers, topicFor('identity', 'membership'), 'the educator membership', (rs) => rs.some((r) => r.key === staff));
    expect(records.filter((r) => r.key === staff).map((r) => JSON.parse(r.value!).data.role)).toEqual(['educator']);
  });

  test('another municipality’s administrator cannot end a membership: 404, and it stays open', async () => {
    const unitId = await institution();
    const staff = await person('staff');
    const granted = await post('/admin/memberships', { personId: staff, unitId, role: 'leader' });
    const foreign = await request(identity.url).post(`/admin/memberships/${granted.body.id}/end`).set('authorization', await bearer(identity, '561')).send({ to: '2026-12-31' });
    expect(foreign.status).toBe(404);
    const list = await request(identity.url).get(`/admin/persons/${staff}/memberships`).set('authorization', admin);
    expect(list.body.items).toEqual([expect.not.objectContaining({ to: expect.anything() })]);
    expect(list.body.items[0]).toMatchObject({ role: 'leader', version: 1 });
  });

  test('only staff hold roles, and only known roles: 422 naming the fields', async () => {
    const unitId = await institution();
    const parent = await person('parent');
    const res = await post('/admin/memberships', { personId: parent, unitId, role: 'educator' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'RELATION_NOT_ALLOWED', errors: [{ field: 'personId' }] });
    const badRole = await post('/admin/memberships', { personId: parent, unitId, role: 'janitor' });
    expect(badRole.status).toBe(400);
    expect(badRole.body.errors[0].field).toBe('role');
  });
});

describe('guardianship', () => {
  test('two custody holders for one child; changing custody is an event, repeating it is not', async () => {
    const child = await person('child');
    const mother = await person('parent');
    const father = await person('parent');
    expect((await put('/admin/guardianships', { parentId: mother, childId: child, custody: true })).status).toBe(201);
    expect((await put('/admin/guardianships', { parentId: father, childId: child, custody: true })).status).toBe(201);
    expect((await put('/admin/guardianships', { parentId: father, childId: child, custody: true })).status).toBe(200);
    const changed = await put('/admin/guardianships', { parentId: father, childId: child, custody: false });
    expect(changed.body).toMatchObject({ custody: false, version: 2 });

    const guardians = await request(identity.url).get(`/admin/persons/${child}/guardians`).set('authorization', admin);
    expect(guardians.body.items.map((g: { parentId: string; custody: boolean }) => [g.parentId, g.custody]).sort()).toEqual([[father, false], [mother, true]].sort());

    const records = await readTopicUntil(brokers, topicFor('identity', 'guardianship'), 'three events', (rs) => rs.filter((r) => r.key === child).length >= 3);
    const events = records.filter((r) => r.key === child).map((r) => JSON.parse(r.value!).data);
    expect(events).toEqual([
      { parentId: mother, childId: child, custody: true },
      { parentId: father, childId: child, custody: true },
      { parentId: father, childId: child, custody: false },
    ]);
  });

  test('a child cannot be a parent: 422 naming both fields', async () => {
    const a = await person('child');
    const b = await person('child');
    const res = await put('/admin/guardianships', { parentId: a, childId: b, custody: true });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['parentId']);
  });
});
