// Erasure of an entry registered in error (POST /admin/persons/{id}/erasure), against the real
// store and broker: a child's or parent's entry nothing links yet goes at once, archived without
// name or CPR number, logged with the administrator's reason and published as
// dk.spor.identity.person.removed.v1; a linked entry (409), a staff entry (422), another
// municipality's (404), a non-administrator (403) and a missing reason (400) are refused.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { quietLogger, readTopicUntil, testInfra } from '@spor/testkit';
import type { RunningIdentity } from '../src/service.js';
import { bearer, freshCpr, startTestIdentity } from './support.js';
import { topicFor } from '@spor/events';

const { brokers } = testInfra();
let identity: RunningIdentity;
let archiveDir: string;
let admin: string;
const ids = {} as Record<'strayChild' | 'strayParent' | 'linkedChild' | 'linkedParent' | 'staff', string>;
const cprs = {} as Record<'strayChild', string>;

const erase = (personId: string, body: object, token = admin) => request(identity.url).post(`/admin/persons/${personId}/erasure`).set('authorization', token).send(body);
const parentCpr = () => `0505871${100 + Math.floor(Math.random() * 899)}`;

beforeAll(async () => {
  archiveDir = await mkdtemp(join(tmpdir(), 'spor-erasure-'));
  identity = await startTestIdentity(quietLogger(), { ARCHIVE_DIR: archiveDir });
  admin = await bearer(identity, '510');
  const post = async (body: object) => (await request(identity.url).post('/admin/persons').set('authorization', admin).send(body).expect(201)).body.id as string;
  cprs.strayChild = freshCpr();
  ids.strayChild = await post({ kind: 'child', cpr: cprs.strayChild, givenName: 'Forkert', familyName: 'Registreret' });
  ids.strayParent = await post({ kind: 'parent', cpr: parentCpr(), givenName: 'Forkert', familyName: 'Forælder' });
  ids.linkedChild = await post({ kind: 'child', cpr: freshCpr(), givenName: 'Rigtig', familyName: 'Barn' });
  ids.linkedParent = await post({ kind: 'parent', cpr: parentCpr(), givenName: 'Rigtig', familyName: 'Forælder' });
  ids.staff = await post({ kind: 'staff', cpr: `0606881${100 + Math.floor(Math.random() * 899)}`, givenName: 'Pæda', familyName: 'Gog', externalId: `p${Date.now()}@kommune.dk` });
  await request(identity.url).put('/admin/guardianships').set('authorization', admin).send({ parentId: ids.linkedParent, childId: ids.linkedChild, custody: true }).expect(201);
}, 60_000);

afterAll(async () => {
  await identity?.runtime.shutdown();
  await rm(archiveDir, { recursive: true, force: true });
});

describe('erasure of an entry registered in error', () => {
  test('a child’s entry nothing links goes at once: archived without name or CPR number, logged with the reason, published as removed', async () => {
    const res = await erase(ids.strayChild, { reason: 'forkert CPR-nummer tastet, sag 7' }).expect(200);
    expect(res.body).toEqual({ personId: ids.strayChild, recordKind: 'child-person', disposal: 'deleted' });
    expect((await request(identity.url).get(`/admin/persons/${ids.strayChild}`).set('authorization', admin)).status).toBe(404);

    const archived = await readFile(join(archiveDir, 'identity', '510', 'child-person', `${ids.strayChild}.json`), 'utf8');
    expect(JSON.parse(archived).package).toMatchObject({ recordId: ids.strayChild, record: { kind: 'child', placements: [], guardianships: [] } });
    expect(archived).not.toMatch(new RegExp(`Forkert|Registreret|sealedCpr|cprHash|${cprs.strayChild.replace('-', '')}`));

    const entries = await identity.audit.forRecord(ids.strayChild);
    const erased = entries.find((e) => e.operation === 'erase');
    expect(erased).toMatchObject({ action: 'delete', actorKind: 'staff', purpose: 'forkert CPR-nummer tastet, sag 7', childId: ids.strayChild });
    expect(entries.slice(-2).map((e) => [e.operation, e.actorKind, e.purpose])).toEqual([
      ['archive', 'service', 'registered-in-error'],
      ['delete', 'service', 'registered-in-error'],
    ]);
    const events = await readTopicUntil(brokers, topicFor('identity', 'person'), 'the removal', (rs) => rs.some((r) => r.value!.includes(ids.strayChild) && r.value!.includes('person.removed')));
    expect(events.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === ids.strayChild).map((e) => e.type)).toEqual(['dk.spor.identity.person.registered.v1', 'dk.spor.identity.person.removed.v1']);
    // Erasing it again: it is not there any more.
    expect((await erase(ids.strayChild, { reason: 'forkert CPR-nummer tastet' })).status).toBe(404);
  });

  test('a parent’s entry linked to no child goes too', async () => {
    const res = await erase(ids.strayParent, { reason: 'dobbeltregistreret forælder' }).expect(200);
    expect(res.body).toEqual({ personId: ids.strayParent, recordKind: 'parent-person', disposal: 'deleted' });
    expect((await request(identity.url).get(`/admin/persons/${ids.strayParent}`).set('authorization', admin)).status).toBe(404);
  });

  test('an archive that does not accept the package gives 503 ARCHIVE_UNAVAILABLE, and nothing is deleted', async () => {
    const id = (await request(identity.url).post('/admin/persons').set('authorization', admin).send({ kind: 'parent', cpr: parentCpr(), givenName: 'Uden', familyName: 'Arkiv' }).expect(201)).body.id as string;
    // A file where the archive's folder should be: no package can be written, not even by root.
    await rm(archiveDir, { recursive: true, force: true });
    await writeFile(archiveDir, 'not a folder');
    try {
      const res = await erase(id, { reason: 'dobbeltregistreret forælder' });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'ARCHIVE_UNAVAILABLE', detail: expect.stringContaining('nothing was deleted') });
      expect((await request(identity.url).get(`/admin/persons/${id}`).set('authorization', admin)).status).toBe(200);
    } finally {
      await rm(archiveDir, { force: true });
      await mkdir(archiveDir);
    }
    await erase(id, { reason: 'dobbeltregistreret forælder' }).expect(200);
  });

  test('a linked entry, a staff entry, another municipality’s, a non-administrator and a missing reason are refused, and nothing goes', async () => {
    const linkedChild = await erase(ids.linkedChild, { reason: 'forsøg på sletning' });
    expect(linkedChild.status).toBe(409);
    expect(linkedChild.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(linkedChild.body).toMatchObject({ code: 'PERSON_IN_USE', detail: expect.stringContaining('1 guardianship(s)') });
    expect((await erase(ids.linkedParent, { reason: 'forsøg på sletning' })).body).toMatchObject({ code: 'PERSON_IN_USE' });
    expect((await erase(ids.staff, { reason: 'forsøg på sletning' })).body).toMatchObject({ status: 422, code: 'ERASURE_NOT_FOR_STAFF' });
    expect((await erase(ids.linkedChild, { reason: 'forsøg på sletning' }, await bearer(identity, '561'))).status).toBe(404);
    expect((await erase(ids.linkedChild, { reason: 'forsøg på sletning' }, await bearer(identity, '510', 'leader'))).status).toBe(403);
    const noReason = await erase(ids.linkedChild, {});
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toContain('reason');
    for (const id of [ids.linkedChild, ids.linkedParent, ids.staff]) expect((await request(identity.url).get(`/admin/persons/${id}`).set('authorization', admin)).status).toBe(200);
  });
});
