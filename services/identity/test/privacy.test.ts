// identity in parents' insight and the data-protection officer's export (docs/data-protection.md),
// against the real store and broker, with the parent logged in through a real OpenID Provider
// configured like a MitID broker: a parent with custody sees the child's person record (never the
// CPR number), the guardianships by relation and the access log by role and institution; anyone
// else gets 404; the export is the officer's only, holds identity's records of that child and
// nothing of another, shows the CPR number only under identity's CPR rule; every read is logged;
// no CPR number or name reaches the logs or the shipped audit events.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { NSIS_LEVELS } from '@spor/auth';
import { AUDIT_TOPIC } from '@spor/audit';
import { memoryLogger, readTopicUntil, testInfra } from '@spor/testkit';
import { freePort } from '../../../deploy/local/infra-lib.js';
import type { RunningIdentity } from '../src/service.js';
import { NSIS, startDevIdp, type DevIdp } from '../dev/dev-idp.js';
import { ADMIN_ID, bearer, browseLogin, finishLogin, freshCpr, startTestIdentity, tokenFromSession } from './support.js';

const { brokers } = testInfra();
const REDIRECT = 'https://identity.spor.test/auth/citizen/callback';
const logs = memoryLogger('debug');
let idp: DevIdp;
let identity: RunningIdentity;
const ids = {} as Record<'mun' | 'district' | 'institution' | 'child' | 'otherChild' | 'mother' | 'father' | 'otherParent', string>;
const cprs = {} as Record<'child' | 'otherChild' | 'mother', string>;
const tokens = {} as Record<'admin' | 'leader' | 'dpo' | 'mother' | 'father' | 'otherParent', string>;
const LEADER_ID = '3f0c2a4e-8b1d-4c6f-9e2a-5d7b8c9a0f1e';
const DPO_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

const parent = (personId: string) => bearer(identity, '510', 'educator', { personId, kind: 'parent', roles: [], acr: NSIS_LEVELS.substantial });
const staff = (personId: string, roles: { role: string; unitId: string }[], municipalityId = '510') => bearer(identity, municipalityId, 'educator', { personId, roles });
const get = (path: string, token: string) => request(identity.url).get(path).set('authorization', token);

beforeAll(async () => {
  idp = await startDevIdp({
    port: await freePort(),
    clients: [{ client_id: 'spor-identity', client_secret: 'dev-client-secret-0123456789', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
  });
  identity = await startTestIdentity(logs.logger, {
    CITIZEN_OIDC_ISSUER: idp.issuer,
    CITIZEN_OIDC_CLIENT_ID: 'spor-identity',
    CITIZEN_OIDC_CLIENT_SECRET: 'dev-client-secret-0123456789',
    OIDC_ALLOW_INSECURE_HTTP: 'true',
  });
  tokens.admin = await bearer(identity, '510');
  const post = async (path: string, body: object) => (await request(identity.url).post(path).set('authorization', tokens.admin).send(body).expect(201)).body.id as string;
  ids.mun = await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' });
  ids.district = await post('/admin/org-units', { kind: 'district', name: 'D', parentId: ids.mun });
  ids.institution = await post('/admin/org-units', { kind: 'institution', name: 'Børnehaven', parentId: ids.district, institutionType: 'boernehave' });
  cprs.child = freshCpr();
  cprs.otherChild = freshCpr();
  cprs.mother = `070782${1000 + Math.floor(Math.random() * 999)}`;
  ids.child = await post('/admin/persons', { kind: 'child', cpr: cprs.child, givenName: 'Ida', familyName: 'Hansen' });
  ids.otherChild = await post('/admin/persons', { kind: 'child', cpr: cprs.otherChild, givenName: 'Otto', familyName: 'Jensen' });
  ids.mother = await post('/admin/persons', { kind: 'parent', cpr: cprs.mother, givenName: 'Mette', familyName: 'Hansen' });
  ids.father = await post('/admin/persons', { kind: 'parent', cpr: `080883${1000 + Math.floor(Math.random() * 999)}`, givenName: 'Frank', familyName: 'Hansen' });
  ids.otherParent = await post('/admin/persons', { kind: 'parent', cpr: `090984${1000 + Math.floor(Math.random() * 999)}`, givenName: 'Olga', familyName: 'Jensen' });
  const guardianship = (parentId: string, childId: string, custody: boolean) => request(identity.url).put('/admin/guardianships').set('authorization', tokens.admin).send({ parentId, childId, custody }).expect(201);
  await guardianship(ids.mother, ids.child, true);
  await guardianship(ids.father, ids.child, false);
  await guardianship(ids.otherParent, ids.otherChild, true);
  // Reads of the child's record: the administrator's, its audited CPR read, the leader's look at the legal holds.
  await get(`/admin/persons/${ids.child}`, tokens.admin).expect(200);
  await get(`/admin/persons/${ids.child}/guardians`, tokens.admin).expect(200);
  await request(identity.url).post(`/admin/persons/${ids.child}/cpr-reads`).set('authorization', tokens.admin).send({ purpose: 'ressourcevurdering, sag 42' }).expect(200);
  tokens.leader = await staff(LEADER_ID, [{ role: 'leader', unitId: ids.institution }]);
  await get(`/children/${ids.child}/legal-holds`, tokens.leader).expect(200);
  tokens.dpo = await staff(DPO_ID, [{ role: 'dpo', unitId: ids.mun }]);
  tokens.father = await parent(ids.father);
  tokens.otherParent = await parent(ids.otherParent);

  // The mother logs in with MitID through the broker, as the web client would.
  idp.nextLogin = { account: { sub: 'mitid-mother', cpr: cprs.mother }, acr: NSIS.substantial };
  const { cookie } = await finishLogin(identity, await browseLogin(identity.url, idp.issuer, 'citizen', REDIRECT));
  const issued = await tokenFromSession(identity, cookie);
  expect(issued.status).toBe(200);
  tokens.mother = `Bearer ${((await issued.json()) as { access_token: string }).access_token}`;
}, 120_000);

afterAll(async () => {
  await identity?.runtime.shutdown();
  await idp?.stop();
});

const withoutDash = (cpr: string) => cpr.replace('-', '');
/**
 * What identity keeps about the child and until when. The child was never placed (identity has
 * not seen an enrollment of it), so its entry's clock starts in the month it turns 7 or, being
 * registered today, today at the earliest; a parent's entry is not a record about the child.
 */
const identityRetention = [
  { kind: 'child-person', days: 5 * 365, publicRecord: false, records: [{ recordId: expect.any(String), deletedAfter: expect.stringMatching(/^20[3-9]\d-\d\d-\d\d$/) }] },
  { kind: 'parent-person', days: 30, publicRecord: false, records: [] },
];

describe('identity in parents’ insight', () => {
  test('a parent with custody sees the child’s person record without the CPR number, the guardianships by relation, and who read it by role and institution', async () => {
    const res = await get(`/children/${ids.child}/insight`, tokens.mother).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const child = await identity.db.collection('persons').findOne({ _id: ids.child as never });
    expect(res.body).toMatchObject({ service: 'identity', childId: ids.child, retention: identityRetention });
    expect(res.body.records.person).toEqual([
      { id: ids.child, kind: 'child', givenName: 'Ida', familyName: 'Hansen', birthYear: child!.birthYear, birthMonth: child!.birthMonth, cpr: { recorded: true, encrypted: true, shown: false } },
    ]);
    expect(res.body.records.guardianship).toHaveLength(2);
    expect(res.body.records.guardianship).toEqual(expect.arrayContaining([{ guardian: 'you', custody: true }, { guardian: 'another-parent', custody: false }]));

    const log = res.body.accessLog as { operation: string; recordType: string; by: { kind: string; roles: string[]; institutionIds: string[] }; purpose?: string }[];
    // The administrator's CPR read, by role only: its purpose was given in words, which may name people.
    expect(log.find((e) => e.operation === 'read-cpr')).toEqual({ at: expect.any(String), action: 'read', operation: 'read-cpr', recordType: 'person', by: { kind: 'staff', roles: ['system-administrator'], institutionIds: [] } });
    // The leader, by role and the institution found in identity's own tree.
    expect(log.find((e) => e.recordType === 'legal-hold')).toMatchObject({ action: 'read', by: { kind: 'staff', roles: ['leader'], institutionIds: [ids.institution] } });
    expect(log.find((e) => e.operation === 'create' && e.recordType === 'person')).toBeDefined();
    // The administrator's reads of the record and its guardians, and the two registrations of a parent (not the other child's).
    expect(log.filter((e) => e.by.roles.includes('system-administrator')).map((e) => `${e.operation} ${e.recordType}`)).toEqual([
      'create person',
      'create guardianship',
      'create guardianship',
      'read person',
      'read guardianship',
      'read-cpr person',
    ]);

    const json = JSON.stringify(res.body);
    for (const hidden of [withoutDash(cprs.child), cprs.child.slice(0, 6), 'sealedCpr', 'cprHash', ADMIN_ID, LEADER_ID, ids.father, ids.otherChild, 'Mette', 'Frank']) expect({ hidden, shown: json.includes(hidden) }).toEqual({ hidden, shown: false });

    const last = (await identity.audit.forChild(ids.child)).at(-1);
    expect(last).toMatchObject({ actor: ids.mother, actorKind: 'parent', action: 'read', recordType: 'insight', childId: ids.child });
  });

  test('anyone else gets 404: a parent without custody, another child’s parent, staff; a parent asking about another child', async () => {
    for (const [who, token] of [['father without custody', tokens.father], ['another child’s parent', tokens.otherParent], ['administrator', tokens.admin], ['officer', tokens.dpo]] as const) {
      expect({ who, status: (await get(`/children/${ids.child}/insight`, token)).status }).toEqual({ who, status: 404 });
    }
    expect((await get(`/children/${ids.otherChild}/insight`, tokens.mother)).status).toBe(404);
    // The same route answers that child's own parent.
    const other = await get(`/children/${ids.otherChild}/insight`, tokens.otherParent).expect(200);
    expect(other.body.records.person[0]).toMatchObject({ id: ids.otherChild, givenName: 'Otto' });
    expect(JSON.stringify(other.body)).not.toContain(ids.child);
  });
});

describe('identity in the officer’s export', () => {
  test('staff without the dpo role get 403; an officer of another municipality 404', async () => {
    for (const [who, token] of [['administrator', tokens.admin], ['leader', tokens.leader]] as const) {
      const res = await get(`/children/${ids.child}/export`, token);
      expect({ who, status: res.status, code: res.body.code }).toEqual({ who, status: 403, code: 'ROLE_REQUIRED' });
    }
    expect((await get(`/children/${ids.child}/export`, await staff(DPO_ID, [{ role: 'dpo', unitId: ids.mun }], '751'))).status).toBe(404);
    expect((await get(`/children/${ids.child}/export`, tokens.mother)).status).toBe(404);
  });

  test('the officer gets identity’s records of the child as stored, with the CPR number withheld, the full access log, and nothing of another child; the export is logged', async () => {
    const res = await get(`/children/${ids.child}/export`, tokens.dpo).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ service: 'identity', childId: ids.child, retention: identityRetention, legalHolds: [], disposals: [] });
    expect(res.body.records.person).toEqual([
      {
        id: ids.child,
        version: 1,
        kind: 'child',
        municipalityId: '510',
        givenName: 'Ida',
        familyName: 'Hansen',
        birthYear: expect.any(Number),
        birthMonth: expect.any(Number),
        registeredAt: expect.any(String),
        cpr: { recorded: true, encrypted: true, shown: false, keyId: 'cpr1', reason: expect.stringContaining('system administrator') },
      },
    ]);
    expect((res.body.records.guardianship as { id: string; custody: boolean }[]).map((g) => [g.id, g.custody]).sort()).toEqual(
      [[`${ids.mother}:${ids.child}`, true], [`${ids.father}:${ids.child}`, false]].sort(),
    );
    // The officer sees the entries in full: who by id, and the CPR read's purpose.
    const cprRead = (res.body.accessLog as { operation: string; actor: string; purpose?: string }[]).find((e) => e.operation === 'read-cpr');
    expect(cprRead).toMatchObject({ actor: ADMIN_ID, purpose: 'ressourcevurdering, sag 42' });
    expect(res.body.accessLog.some((e: { recordType: string; actor: string }) => e.recordType === 'insight' && e.actor === ids.mother)).toBe(true);

    const json = JSON.stringify(res.body);
    for (const hidden of [withoutDash(cprs.child), 'sealedCpr', 'cprHash', 'v1.cpr1.', ids.otherChild, ids.otherParent, 'Otto']) expect({ hidden, shown: json.includes(hidden) }).toEqual({ hidden, shown: false });

    const trail = await identity.audit.forChild(ids.child);
    expect(trail.at(-1)).toMatchObject({ actor: DPO_ID, roles: [`dpo@${ids.mun}`], action: 'export', operation: 'export', recordType: 'child-data', purpose: 'data-subject-access-request' });
    expect(trail.some((e) => e.actor === DPO_ID && e.operation === 'read-cpr')).toBe(false);
  });

  test('an officer who is also the municipality’s system administrator gets the CPR number, read under the CPR rule and logged with the request as purpose', async () => {
    const both = await staff(DPO_ID, [{ role: 'dpo', unitId: ids.mun }, { role: 'system-administrator', unitId: ids.mun }]);
    const res = await get(`/children/${ids.child}/export`, both).expect(200);
    expect(res.body.records.person[0].cpr).toEqual({ recorded: true, encrypted: true, shown: true, number: withoutDash(cprs.child), keyId: 'cpr1' });
    expect(JSON.stringify(res.body)).not.toContain(withoutDash(cprs.otherChild));
    const [cprRead, exported] = (await identity.audit.forChild(ids.child)).slice(-2);
    expect(cprRead).toMatchObject({ actor: DPO_ID, action: 'read', operation: 'read-cpr', recordType: 'person', recordId: ids.child, purpose: 'data-subject-access-request' });
    expect(exported).toMatchObject({ actor: DPO_ID, action: 'export', purpose: 'data-subject-access-request' });
  });

  test('no CPR number or name reaches the logs or the shipped audit events', async () => {
    const records = await readTopicUntil(brokers, AUDIT_TOPIC, 'the export entries', (rs) => rs.filter((r) => r.value!.includes(ids.child) && r.value!.includes('"action":"export"')).length >= 2);
    const mine = records.map((r) => r.value!).filter((v) => v.includes(ids.child));
    expect(mine.some((v) => v.includes('"recordType":"insight"'))).toBe(true);
    const text = `${mine.join('\n')}\n${logs.text()}`;
    expect(logs.text()).toContain(`/children/${ids.child}/export`);
    for (const secret of [withoutDash(cprs.child), withoutDash(cprs.mother), 'Ida', 'Hansen', 'Mette']) expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
  });
});
