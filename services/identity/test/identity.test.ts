// identity as a running service against the real broker and store: its JWKS, and the admin
// API of the organisation tree with the events it publishes.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { createTokenVerifier, NSIS_LEVELS } from '@spor/auth';
import { contractRegistry } from '@spor/contracts';
import { readTopicUntil, testInfra } from '@spor/testkit';
import type { RunningIdentity } from '../src/service.js';
import { issueAccessToken } from '../src/domain/access-token.js';
import { bearer, startTestIdentity } from './support.js';
import { EventFactory, KeyedMutex, topicFor } from '@spor/events';
import { OrgUnitRepository } from '../src/store/org-unit-repository.js';

const { brokers } = testInfra();
let identity: RunningIdentity;

beforeAll(async () => {
  identity = await startTestIdentity();
});

afterAll(() => identity.runtime.shutdown());

const token = (municipalityId: string, role: string) => bearer(identity, municipalityId, role);

describe('JWKS', () => {
  test('publishes the public signing key, which other services use to verify identity’s tokens', async () => {
    const res = await request(identity.url).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.body.keys).toHaveLength(1);
    expect(res.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(res.body.keys[0]).not.toHaveProperty('d');
    const verifier = createTokenVerifier({ jwksUrl: `${identity.url}/.well-known/jwks.json`, issuer: identity.config.TOKEN_ISSUER, audience: 'spor-api' });
    const { token: parentToken } = await issueAccessToken(identity.keys(), { issuer: identity.config.TOKEN_ISSUER, audience: 'spor-api', ttlSeconds: 60 }, { personId: 'p-1', kind: 'parent', municipalityId: '510', roles: [], acr: NSIS_LEVELS.substantial, children: ['c-1'] }, new Date());
    await expect(verifier.verify(parentToken)).resolves.toMatchObject({ subject: 'p-1', children: ['c-1'] });
  });
});

describe('organisation tree admin API', () => {
  test('a system administrator builds municipality → district → institution → group, and each becomes an event', async () => {
    const admin = await token('510', 'system-administrator');
    const post = (body: object) => request(identity.url).post('/admin/org-units').set('authorization', admin).send(body);
    const municipality = await post({ kind: 'municipality', name: 'Haderslev Kommune', parentId: null, municipalityCode: '510' });
    expect(municipality.status).toBe(201);
    const district = await post({ kind: 'district', name: 'Nord', parentId: municipality.body.id });
    const institution = await post({ kind: 'institution', name: 'Børnehuset Solstrålen', parentId: district.body.id, institutionType: 'boernehave', externalId: 'INST-0042' });
    const group = await post({ kind: 'group', name: 'Mariehønen', parentId: institution.body.id });
    expect([district.status, institution.status, group.status]).toEqual([201, 201, 201]);
    expect(group.body).toMatchObject({ kind: 'group', municipalityId: '510', parentId: institution.body.id, version: 1 });
    expect(group.headers.location).toBe(`/admin/org-units/${group.body.id}`);

    const twice = await post({ kind: 'municipality', name: 'Haderslev igen', parentId: null, municipalityCode: '510' });
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ code: 'MUNICIPALITY_EXISTS', detail: `municipality 510 exists already as unit ${municipality.body.id}` });
    const sameExternalId = await post({ kind: 'institution', name: 'Dublet', parentId: district.body.id, institutionType: 'boernehave', externalId: 'INST-0042' });
    expect(sameExternalId.status).toBe(409);
    expect(sameExternalId.body).toMatchObject({ code: 'EXTERNAL_ID_TAKEN', detail: `externalId INST-0042 belongs to unit ${institution.body.id} already` });
    expect(institution.body).not.toHaveProperty('unitKey');
    // Both checks pass before either writes: the store's unique index lets one of them win.
    const [g1, g2] = [(await post({ kind: 'group', name: 'G1', parentId: institution.body.id })).body, (await post({ kind: 'group', name: 'G2', parentId: institution.body.id })).body];
    const contested = await Promise.all([g1, g2].map((g) => request(identity.url).patch(`/admin/org-units/${g.id}`).set('authorization', admin).send({ externalId: 'GRP-KAMP' })));
    expect(contested.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(contested.find((r) => r.status === 409)!.body.code).toBe('EXTERNAL_ID_TAKEN');

    const children = await request(identity.url).get(`/admin/org-units/${district.body.id}/children`).set('authorization', admin);
    expect(children.body.items.map((u: { name: string }) => u.name)).toEqual(['Børnehuset Solstrålen']);

    const ids = [municipality.body.id, district.body.id, institution.body.id, group.body.id];
    const subjectOf = (r: { value: string | null }) => (JSON.parse(r.value!) as { subject: string }).subject;
    const records = await readTopicUntil(brokers, topicFor('identity', 'orgunit'), 'the four units', (rs) => ids.every((id) => rs.some((r) => subjectOf(r) === id)));
    const mine = records.filter((r) => ids.includes(subjectOf(r)));
    expect(new Set(mine.map((r) => r.key))).toEqual(new Set(['municipality:510']));
    const events = mine.map((r) => JSON.parse(r.value!));
    const registry = contractRegistry();
    for (const event of events) expect(registry.check(event)).toEqual([]);
    expect(events.map((e) => [e.type, e.data.kind])).toEqual([
      ['dk.spor.identity.orgunit.created.v1', 'municipality'],
      ['dk.spor.identity.orgunit.created.v1', 'district'],
      ['dk.spor.identity.orgunit.created.v1', 'institution'],
      ['dk.spor.identity.orgunit.created.v1', 'group'],
    ]);
    expect(events[2].data).toEqual({ unitId: institution.body.id, kind: 'institution', parentId: district.body.id, institutionType: 'boernehave', externalId: 'INST-0042' });
    expect(JSON.stringify(events)).not.toMatch(/Solstrålen|Mariehønen|Haderslev|Nord/);
  });

  test('a unit closes only when its children are closed; a closed unit takes no new children', async () => {
    const admin = await token('514', 'system-administrator');
    const post = (path: string, body: object) => request(identity.url).post(path).set('authorization', admin).send(body);
    const municipality = await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '514' });
    const district = await post('/admin/org-units', { kind: 'district', name: 'Vest', parentId: municipality.body.id });
    const institution = await post('/admin/org-units', { kind: 'institution', name: 'Dagplejen', parentId: district.body.id, institutionType: 'dagpleje' });
    const blocked = await post(`/admin/org-units/${district.body.id}/close`, { closedOn: '2026-12-31' });
    expect(blocked.status).toBe(409);
    expect(blocked.body.code).toBe('UNIT_HAS_OPEN_CHILDREN');
    const closed = await post(`/admin/org-units/${institution.body.id}/close`, { closedOn: '2026-12-31' });
    expect(closed.body).toMatchObject({ closedOn: '2026-12-31', version: 2 });
    const late = await post('/admin/org-units', { kind: 'group', name: 'Sen', parentId: institution.body.id });
    expect(late.status).toBe(422);
    expect(late.body.errors[0]).toMatchObject({ field: 'parentId', message: 'the parent was closed on 2026-12-31' });
    const records = await readTopicUntil(brokers, topicFor('identity', 'orgunit'), 'the closing', (rs) => rs.some((r) => r.value!.includes('orgunit.closed') && r.value!.includes(institution.body.id)));
    const closing = records.map((r) => JSON.parse(r.value!)).find((e) => e.type === 'dk.spor.identity.orgunit.closed.v1' && e.subject === institution.body.id);
    expect(closing).toMatchObject({ aggregateversion: 2, data: { unitId: institution.body.id, closedOn: '2026-12-31' } });
  });

  test('a unit is renamed and moved; the move is published with the old and new parent, a stale version is refused', async () => {
    const admin = await token('515', 'system-administrator');
    const post = (body: object) => request(identity.url).post('/admin/org-units').set('authorization', admin).send(body);
    const patch = (id: string, body: object, ifMatch?: string) => {
      const req = request(identity.url).patch(`/admin/org-units/${id}`).set('authorization', admin);
      return (ifMatch ? req.set('if-match', ifMatch) : req).send(body);
    };
    const m = (await post({ kind: 'municipality', name: 'Vejen Kommune', parentId: null, municipalityCode: '515' })).body.id;
    const north = (await post({ kind: 'district', name: 'Nord', parentId: m })).body.id;
    const south = (await post({ kind: 'district', name: 'Syd', parentId: m })).body.id;
    const inst = (await post({ kind: 'institution', name: 'Skovbørnehaven', parentId: north, institutionType: 'boernehave' })).body.id;

    const read = await request(identity.url).get(`/admin/org-units/${inst}`).set('authorization', admin);
    expect([read.status, read.headers.etag]).toEqual([200, '"1"']);
    const renamed = await patch(inst, { name: 'Skovbørnehaven Egern' }, '"1"');
    expect(renamed.status).toBe(200);
    expect(renamed.headers.etag).toBe('"2"');
    const stale = await patch(inst, { parentId: south }, '"1"');
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ code: 'VERSION_MISMATCH', detail: 'it is at version 2 now; read it again and reapply the change' });

    const moved = await patch(inst, { parentId: south }, '"2"');
    expect(moved.body).toMatchObject({ name: 'Skovbørnehaven Egern', parentId: south, version: 3 });
    const children = await request(identity.url).get(`/admin/org-units/${south}/children`).set('authorization', admin);
    expect(children.body.items.map((u: { id: string }) => u.id)).toEqual([inst]);

    const records = await readTopicUntil(brokers, topicFor('identity', 'orgunit'), 'the move', (rs) => rs.some((r) => r.value!.includes('orgunit.changed') && r.value!.includes(inst)));
    const changed = records.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === inst && e.type === 'dk.spor.identity.orgunit.changed.v1');
    // The rename alone published nothing (names are not in events); the move did, once.
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ aggregateversion: 3, data: { unitId: inst, kind: 'institution', parentId: south, previousParentId: north, institutionType: 'boernehave' } });
    expect(contractRegistry().checkEnvelope(changed[0])).toEqual([]);
    expect(JSON.stringify(changed[0])).not.toContain('Egern');

    const wrong = await patch(inst, { parentId: m });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({ code: 'ORG_TREE_VIOLATION', detail: 'parentId: an institution belongs under a district, not under a municipality' });
    const root = await patch(m, { parentId: north });
    expect(root.body.detail).toBe('parentId: a municipality is a root and cannot move');
    const empty = await patch(inst, {});
    expect(empty.status).toBe(400);
  });

  test('units that break the tree get 422 naming each field', async () => {
    const admin = await token('511', 'system-administrator');
    const post = (body: object) => request(identity.url).post('/admin/org-units').set('authorization', admin).send(body);
    const municipality = await post({ kind: 'municipality', name: 'Test Kommune', parentId: null, municipalityCode: '511' });
    const noType = await post({ kind: 'institution', name: 'Uden type', parentId: municipality.body.id });
    expect(noType.status).toBe(422);
    expect(noType.body.code).toBe('ORG_TREE_VIOLATION');
    expect(noType.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['institutionType', 'parentId']);
    expect(noType.body.detail).toContain('an institution belongs under a district, not under a municipality');
    const groupAsRoot = await post({ kind: 'group', name: 'Løs', parentId: null });
    expect(groupAsRoot.status).toBe(422);
  });

  test.each([
    ['the name is missing', { kind: 'district', parentId: null }, ['name']],
    ['the kind is unknown', { kind: 'region', name: 'x', parentId: null }, ['kind']],
    ['the parent id is not a uuid', { kind: 'district', name: 'x', parentId: '42' }, ['parentId']],
    ['an unknown field is sent', { kind: 'district', name: 'x', parentId: null, colour: 'red' }, ['']],
  ])('when %s, then 400 names the field', async (_what, body, fields) => {
    const res = await request(identity.url).post('/admin/org-units').set('authorization', await token('510', 'system-administrator')).send(body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(fields);
  });

  test('without a token 401; without the administrator role 403; another municipality’s unit is not found', async () => {
    expect((await request(identity.url).post('/admin/org-units').send({})).status).toBe(401);
    const educator = await request(identity.url).post('/admin/org-units').set('authorization', await token('510', 'educator')).send({ kind: 'district', name: 'x', parentId: null });
    expect(educator.status).toBe(403);
    const own = await request(identity.url).post('/admin/org-units').set('authorization', await token('512', 'system-administrator')).send({ kind: 'municipality', name: 'K', parentId: null, municipalityCode: '512' });
    const foreign = await request(identity.url).get(`/admin/org-units/${own.body.id}`).set('authorization', await token('510', 'system-administrator'));
    expect(foreign.status).toBe(404);
    const otherCode = await request(identity.url).post('/admin/org-units').set('authorization', await token('510', 'system-administrator')).send({ kind: 'municipality', name: 'K', parentId: null, municipalityCode: '513' });
    expect(otherCode.status).toBe(403);
    expect(otherCode.body.code).toBe('OTHER_MUNICIPALITY');
  });
});

describe('units stored before external ids were unique', () => {
  test('get their key at start; an external id two of them share stays with one, and the other is logged by id', async () => {
    const units = identity.db.collection('org_units');
    const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const legacy = (id: string, municipalityId: string) => ({ _id: id, kind: 'institution', name: 'X', parentId: null, municipalityId, institutionType: 'boernehave', externalId: 'INST-GAMMEL', version: 1 });
    await units.insertMany([legacy(a, '510'), legacy(b, '510'), legacy(c, '561')] as never[]);
    const lines: Record<string, unknown>[] = [];
    const repository = new OrgUnitRepository(units as never, identity.db.collection('municipality_roots'), new EventFactory('identity', contractRegistry()), new KeyedMutex(), undefined as never);
    // The same external id in another municipality is no clash.
    expect(await repository.backfillKeys({ error: (o) => void lines.push(o as Record<string, unknown>) })).toEqual({ written: 2, shared: 1 });
    const holder = ((await units.findOne({ unitKey: '510:INST-GAMMEL' })) as unknown as { _id: string })._id;
    expect(lines).toEqual([{ unitId: holder === a ? b : a, municipalityId: '510', heldBy: holder }]);
  });
});

