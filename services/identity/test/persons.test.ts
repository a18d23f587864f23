// Persons through identity's admin API against the real store and broker: CPR numbers are
// validated, sealed, never returned except by an audited read, and never in events or logs.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { contractRegistry } from '@spor/contracts';
import { memoryLogger, readTopicUntil, testInfra } from '@spor/testkit';
import type { RunningIdentity } from '../src/service.js';
import { ADMIN_ID, bearer, freshCpr, startTestIdentity } from './support.js';
import { EventFactory, KeyedMutex, topicFor } from '@spor/events';
import { randomUUID } from 'node:crypto';
import { PersonRepository } from '../src/store/person-repository.js';

const { brokers } = testInfra();
const logs = memoryLogger('debug');
let identity: RunningIdentity;

beforeAll(async () => {
  identity = await startTestIdentity(logs.logger);
});

afterAll(() => identity.runtime.shutdown());

const auth = (municipalityId = '510', role = 'system-administrator') => bearer(identity, municipalityId, role);
const adminId = ADMIN_ID;
const serial = () => freshCpr().slice(6);

describe('persons', () => {
  test('a child is registered with a sealed CPR number; reading it back is audited with its purpose', async () => {
    const cpr = `010121-${serial()}`;
    const admin = await auth();
    const created = await request(identity.url).post('/admin/persons').set('authorization', admin).send({ kind: 'child', cpr, givenName: 'Ida', familyName: 'Hansen' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'child', municipalityId: '510', birthYear: 2021, birthMonth: 1, givenName: 'Ida' });
    // Word boundaries: a random UUID may hold six digits, a hyphen and four more ("f8318495-5767-").
    expect(JSON.stringify(created.body)).not.toMatch(/cpr|sealed|\b\d{6}-?\d{4}\b/i);
    const id = created.body.id as string;

    const duplicate = await request(identity.url).post('/admin/persons').set('authorization', admin).send({ kind: 'child', cpr: cpr.replace('-', ''), givenName: 'I', familyName: 'H' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('PERSON_EXISTS');

    const noPurpose = await request(identity.url).post(`/admin/persons/${id}/cpr-reads`).set('authorization', admin).send({});
    expect(noPurpose.status).toBe(400);
    expect(noPurpose.body.errors[0].field).toBe('purpose');
    // The purpose is kept in the audit log for years: it says why, not whom.
    const naming = await request(identity.url).post(`/admin/persons/${id}/cpr-reads`).set('authorization', admin).send({ purpose: 'faderen har CPR 0101011234' });
    expect([naming.status, naming.body.errors?.[0]?.field, naming.body.errors?.[0]?.message]).toEqual([400, 'purpose', 'must not contain a CPR number: it is kept in the audit log']);

    const read = await request(identity.url).post(`/admin/persons/${id}/cpr-reads`).set('authorization', admin).send({ purpose: 'ressourcevurdering med CPR, sag 42' });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ personId: id, cpr: cpr.replace('-', '') });
    expect(read.headers['cache-control']).toBe('no-store');

    const lookup = await request(identity.url).post('/admin/person-lookups').set('authorization', admin).send({ cpr, purpose: 'import check' });
    expect(lookup.body).toEqual({ personId: id, kind: 'child' });

    const trail = await identity.audit.forRecord(id);
    expect(trail.map((e) => [e.operation, e.actor, e.purpose ?? null])).toEqual([
      ['create', adminId, null],
      ['read-cpr', adminId, 'ressourcevurdering med CPR, sag 42'],
      ['lookup-cpr', adminId, 'import check'],
    ]);

    const records = await readTopicUntil(brokers, topicFor('identity', 'person'), 'the child', (rs) => rs.some((r) => r.key === id));
    const event = JSON.parse(records.find((r) => r.key === id)!.value!);
    expect(contractRegistry().check(event)).toEqual([]);
    expect(event.data).toEqual({ personId: id, kind: 'child', birthYear: 2021, birthMonth: 1 });

    // Nothing identifying reached the log.
    expect(logs.text()).not.toContain(cpr.replace('-', ''));
    expect(logs.text()).not.toContain(cpr);
    expect(logs.text()).not.toContain('Hansen');
  });

  test.each([
    ['3213214321', 'CPR_DATE'],
    ['12345', 'CPR_FORMAT'],
    ['010136-4000', 'CPR_FUTURE'], // 7th digit 4 and year 36: born in 2036
  ])('a CPR number like %p is refused with 422 %s, without echoing it', async (cpr, code) => {
    const res = await request(identity.url).post('/admin/persons').set('authorization', await auth()).send({ kind: 'child', cpr, givenName: 'A', familyName: 'B' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code, errors: [{ field: 'cpr', code }] });
    expect(JSON.stringify(res.body)).not.toContain(cpr);
  });

  test('names and the login id change; the CPR number and kind do not, and the change is audited', async () => {
    const admin = await bearer(identity, '510');
    const email = `ny.${Math.floor(Math.random() * 1e6)}@haderslev.dk`;
    const staff = (await request(identity.url).post('/admin/persons').set('authorization', admin).send({ kind: 'staff', cpr: freshCpr(), givenName: 'Anne', familyName: 'Berg', externalId: `gammel.${email}` })).body;
    const res = await request(identity.url).patch(`/admin/persons/${staff.id}`).set('authorization', admin).send({ familyName: 'Holm', externalId: email });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: staff.id, givenName: 'Anne', familyName: 'Holm', externalId: email, version: 2 });
    expect(res.body).not.toHaveProperty('sealedCpr');
    const fixed = await request(identity.url).patch(`/admin/persons/${staff.id}`).set('authorization', admin).send({ cpr: freshCpr(), kind: 'parent' });
    expect(fixed.status).toBe(400);
    expect(fixed.body.detail).toMatch(/unrecognized key/i);
    const other = (await request(identity.url).post('/admin/persons').set('authorization', admin).send({ kind: 'staff', cpr: freshCpr(), givenName: 'B', familyName: 'C' })).body;
    const taken = await request(identity.url).patch(`/admin/persons/${other.id}`).set('authorization', admin).send({ externalId: email });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('EXTERNAL_ID_TAKEN');
    const audit = await identity.audit.forRecord(staff.id);
    expect(audit.map((a) => [a.operation, a.purpose ?? null])).toEqual([['create', null], ['update', 'changed familyName, externalId']]);
  });

  test('one login id opens one staff member: a second staff member with it is refused, also when both are sent at once; a child may carry the same id', async () => {
    const admin = await auth();
    const login = `delt.${Math.floor(Math.random() * 1e9)}@haderslev.dk`;
    const first = await request(identity.url).post('/admin/persons').set('authorization', admin).send({ kind: 'staff', cpr: freshCpr(), givenName: 'A', familyName: 'B', externalId: login });
    expect(first.status).toBe(201);
    const cpr = freshCpr();
    const second = await request(identity.url).post('/admin/persons').set('authorization', admin).send({ kind: 'staff', cpr, givenName: 'C', familyName: 'D', externalId: login });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'EXTERNAL_ID_TAKEN', detail: expect.stringContaining(login) });
    expect((await request(identity.url).post('/admin/person-lookups').set('authorization', admin).send({ cpr, purpose: 'was it stored?' })).status).toBe(404);
    expect((await request(identity.url).post('/admin/persons').set('authorization', admin).send({ kind: 'child', cpr: freshCpr(), givenName: 'E', familyName: 'F', externalId: login })).status).toBe(201);
    expect(first.body).not.toHaveProperty('staffLogin');

    // Both checks pass before either writes: the store's unique index lets one of them win.
    const contested = `kamp.${Math.floor(Math.random() * 1e9)}@haderslev.dk`;
    const staff = await Promise.all([1, 2].map(async () => (await request(identity.url).post('/admin/persons').set('authorization', admin).send({ kind: 'staff', cpr: freshCpr(), givenName: 'G', familyName: 'H' })).body.id as string));
    const answers = await Promise.all(staff.map((id) => request(identity.url).patch(`/admin/persons/${id}`).set('authorization', admin).send({ externalId: contested })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)!.body.code).toBe('EXTERNAL_ID_TAKEN');
  });

  test('staff entries stored before logins were unique get theirs at start; a login two of them share stays with one, and the other is logged by id', async () => {
    const persons = identity.db.collection('persons');
    const login = `gammel.${Math.floor(Math.random() * 1e9)}@haderslev.dk`;
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const legacy = (id: string, kind: string) => ({ _id: id, kind, municipalityId: '510', externalId: login, version: 1, givenName: 'X', familyName: 'Y', cprHash: randomUUID() });
    await persons.insertMany([legacy(a, 'staff'), legacy(b, 'staff'), legacy(c, 'child')] as never[]);
    const repository = new PersonRepository(persons as never, new EventFactory('identity', contractRegistry()), new KeyedMutex(), undefined as never);
    expect(await repository.backfillLogins(logs.logger)).toEqual({ written: 1, shared: 1 });
    const holder = (await repository.findStaffByExternalId(login))!._id;
    expect([a, b]).toContain(holder);
    expect(logs.lines().some((e) => String(e.msg).includes('share a login id') && e.personId === (holder === a ? b : a) && e.loginHeldBy === holder)).toBe(true);
    expect(await repository.backfillLogins(logs.logger)).toEqual({ written: 0, shared: 1 });
  });

  test('another municipality’s person is not found, and neither is its CPR number', async () => {
    const cpr = `010121${serial()}`;
    const created = await request(identity.url).post('/admin/persons').set('authorization', await auth('510')).send({ kind: 'parent', cpr, givenName: 'A', familyName: 'B' });
    const other = await auth('561');
    expect((await request(identity.url).get(`/admin/persons/${created.body.id}`).set('authorization', other)).status).toBe(404);
    expect((await request(identity.url).post(`/admin/persons/${created.body.id}/cpr-reads`).set('authorization', other).send({ purpose: 'curious about it' })).status).toBe(404);
    expect((await request(identity.url).post('/admin/person-lookups').set('authorization', other).send({ cpr, purpose: 'curious about it' })).status).toBe(404);
    expect((await request(identity.url).get(`/admin/persons/${created.body.id}`).set('authorization', await auth('510', 'educator'))).status).toBe(403);
  });
});
