// Data protection across the suite (issue 12), with identity, transitions, consent, assessments
// and action-plans on the real broker and store: every GET route that takes a child id leaves an
// audit entry; a parent sees the access log of their own child only, by role and institution;
// the data-protection officer's export holds every service's data about the child (identity's
// person record and guardianships too) and nothing about another child; a closed plan is archived and deleted when its period has run out, not
// before, and not while a legal hold stands; the audit log verifies and is shipped.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { MongoClient } from 'mongodb';
import { NSIS_LEVELS } from '@spor/auth';
import { verifyAuditLog, type AuditLog } from '@spor/audit';
import { composeExport, exportToHtml } from '@spor/privacy';
import { eventsPublished, quietLogger, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import type { RunningIdentity } from '../../services/identity/src/service.js';
import { bearer, freshCpr, startTestIdentity } from '../../services/identity/test/support.js';
import { startTransitions, type RunningTransitions } from '../../services/transitions/src/service.js';
import { startConsent, type RunningConsent } from '../../services/consent/src/service.js';
import { startAssessments, type RunningAssessments } from '../../services/assessments/src/service.js';
import { startActionPlans, type RunningActionPlans } from '../../services/action-plans/src/service.js';
import type { RunningGateway } from '../../services/gateway/src/service.js';
import { startTestGateway } from '../../services/gateway/test/support.js';
import { topicFor } from '@spor/events';

const { brokers, mongoUrl } = testInfra();
const DAY = 86_400_000;
let identity: RunningIdentity;
let transitions: RunningTransitions;
let consent: RunningConsent;
let assessments: RunningAssessments;
let actionPlans: RunningActionPlans;
let gateway: RunningGateway;
let archiveDir: string;
let now = new Date();
const dbNames = { actionPlans: uniqueName('action-plans-privacy'), assessments: uniqueName('assessments-privacy'), consent: uniqueName('consent-privacy'), transitions: uniqueName('transitions-privacy') };
const units = {} as Record<'mun' | 'district' | 'kindergarten' | 'group', string>;
const ids = {} as Record<'child' | 'otherChild' | 'mother' | 'otherParent' | 'plan' | 'otherPlan' | 'result' | 'consent', string>;
const tokens = {} as Record<'educator' | 'leader' | 'dpo' | 'mother' | 'otherParent', string>;
const cprs = {} as Record<'child' | 'otherChild', string>;

const staff = (role: string, unitId: string) => bearer(identity, '510', role, { roles: [{ role, unitId }] });
const parent = (personId: string) => bearer(identity, '510', 'educator', { personId, kind: 'parent', roles: [], acr: NSIS_LEVELS.substantial });
const day = (offset: number) => new Date(now.getTime() + offset * DAY).toISOString().slice(0, 10);

beforeAll(async () => {
  archiveDir = await mkdtemp(join(tmpdir(), 'spor-privacy-archive-'));
  identity = await startTestIdentity(quietLogger(), { ARCHIVE_DIR: archiveDir }, { clock: () => now });
  const root = await bearer(identity, '510');
  const post = async (path: string, body: object) => (await request(identity.url).post(path).set('authorization', root).send(body)).body.id as string;
  units.mun = await post('/admin/org-units', { kind: 'municipality', name: 'K', parentId: null, municipalityCode: '510' });
  units.district = await post('/admin/org-units', { kind: 'district', name: 'D', parentId: units.mun });
  units.kindergarten = await post('/admin/org-units', { kind: 'institution', name: 'Børnehaven', parentId: units.district, institutionType: 'boernehave' });
  units.group = await post('/admin/org-units', { kind: 'group', name: 'Solsikken', parentId: units.kindergarten });
  for (const key of ['child', 'otherChild'] as const) {
    cprs[key] = freshCpr();
    ids[key] = await post('/admin/persons', { kind: 'child', cpr: cprs[key], givenName: 'Barn', familyName: 'Test' });
  }
  for (const key of ['mother', 'otherParent'] as const) ids[key] = await post('/admin/persons', { kind: 'parent', cpr: `0303851${100 + Math.floor(Math.random() * 899)}`, givenName: 'Forælder', familyName: 'Test' });
  await request(identity.url).put('/admin/guardianships').set('authorization', root).send({ parentId: ids.mother, childId: ids.child, custody: true }).expect(201);
  await request(identity.url).put('/admin/guardianships').set('authorization', root).send({ parentId: ids.otherParent, childId: ids.otherChild, custody: true }).expect(201);
  tokens.educator = await staff('educator', units.group);
  tokens.leader = await staff('leader', units.kindergarten);
  tokens.dpo = await staff('dpo', units.mun);
  tokens.mother = await parent(ids.mother);
  tokens.otherParent = await parent(ids.otherParent);

  const common = { MONGO_URL: mongoUrl, KAFKA_BROKERS: brokers.join(','), PORT: '0', TOKEN_ISSUER: identity.config.TOKEN_ISSUER, IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json`, ARCHIVE_DIR: archiveDir };
  const options = { logger: quietLogger(), clock: () => now };
  transitions = await startTransitions({ ...common, TRANSITIONS_DB_NAME: dbNames.transitions, TRANSITIONS_CONSUMER_GROUP: uniqueName('transitions') }, options);
  consent = await startConsent({ ...common, CONSENT_DB_NAME: dbNames.consent, CONSENT_DIRECTORY_GROUP: uniqueName('consent-directory') }, options);
  assessments = await startAssessments({ ...common, ASSESSMENTS_DB_NAME: dbNames.assessments, ASSESSMENTS_CONSUMER_GROUP: uniqueName('assessments') }, options);
  actionPlans = await startActionPlans({ ...common, ACTION_PLANS_DB_NAME: dbNames.actionPlans, ACTION_PLANS_CONSUMER_GROUP: uniqueName('action-plans') }, options);
  gateway = await startTestGateway({
    identityUrl: identity.url,
    tokenIssuer: identity.config.TOKEN_ISSUER,
    upstreams: { identity: identity.url, 'action-plans': actionPlans.url, assessments: assessments.url, consent: consent.url, transitions: transitions.url },
  });

  const admin = await staff('system-administrator', units.mun);
  for (const childId of [ids.child, ids.otherChild]) {
    await waitFor('the child enrolled', async () => (await request(transitions.url).post(`/children/${childId}/placements`).set('authorization', admin).send({ institutionId: units.kindergarten, groupId: units.group, from: '2024-08-01' })).status === 201, 90_000);
  }
  const seen = async (url: string, token: string) => (await request(url).get('').set('authorization', token)).status === 200;
  for (const childId of [ids.child, ids.otherChild]) {
    await waitFor('action-plans to know the placement', () => seen(`${actionPlans.url}/children/${childId}/plans`, tokens.educator), 60_000);
    await waitFor('assessments to know the placement', () => seen(`${assessments.url}/children/${childId}/external-results`, tokens.educator), 60_000);
    await waitFor('consent to know the placement', () => seen(`${consent.url}/children/${childId}/consents`, tokens.educator), 60_000);
  }
  await waitFor('consent to know the custody', () => seen(`${consent.url}/children/${ids.child}/consents`, tokens.mother), 60_000);
  // Every service's directory has the mother's custody once her insight answers (each catches up on its own).
  for (const [name, url] of [['action-plans', actionPlans.url], ['assessments', assessments.url], ['transitions', transitions.url]] as const) {
    await waitFor(`${name} to know the custody`, () => seen(`${url}/children/${ids.child}/insight`, tokens.mother), 60_000);
  }
  await request(transitions.url).get(`/children/${ids.child}/placements`).set('authorization', admin).expect(200);

  // Records about both children in every service.
  for (const [key, childId] of [['plan', ids.child], ['otherPlan', ids.otherChild]] as const) {
    const plan = await request(actionPlans.url).post('/plans').set('authorization', tokens.educator).send({ childId, startOn: day(-30), goals: [{ text: 'Leger med andre', signs: ['Tager initiativ'] }], nextEvaluationOn: day(30) }).expect(201);
    ids[key] = plan.body.id;
  }
  await request(actionPlans.url).patch(`/plans/${ids.plan}`).set('authorization', tokens.educator).send({ sharedWithParents: true }).expect(200);
  ids.result = (await request(assessments.url).post(`/children/${ids.child}/external-results`).set('authorization', tokens.educator).send({ source: 'ordblindetesten', testName: 'Ordblindetesten', testedOn: day(-1), score: 12, interpretation: 'as-expected' }).expect(201)).body.id;
  await request(assessments.url).post(`/children/${ids.otherChild}/external-results`).set('authorization', tokens.educator).send({ source: 'ordblindetesten', testName: 'Ordblindetesten', testedOn: day(-1), score: 3, interpretation: 'below-expected' }).expect(201);
  await request(actionPlans.url).post(`/children/${ids.child}/concern-notifications`).set('authorization', tokens.leader).send({ on: day(-2), summary: 'Underretning sendt' }).expect(201);
  ids.consent = (await request(consent.url).post('/consents').set('authorization', tokens.educator).send({ childId: ids.child, purposeId: 'network-meeting' }).expect(201)).body.id;
  await request(consent.url).post('/consents').set('authorization', tokens.educator).send({ childId: ids.otherChild, purposeId: 'network-meeting' }).expect(201);
}, 300_000);

afterAll(async () => {
  for (const s of [gateway, actionPlans, assessments, consent, transitions, identity]) await s?.runtime.shutdown();
  await rm(archiveDir, { recursive: true, force: true });
});

/** The GET routes of a service that take a child id, read from its route modules and the privacy lib's. */
function childRoutes(service: string): string[] {
  const files = [
    ...readdirSyncTs(fileURLToPath(new URL(`../../services/${service}/src/http/`, import.meta.url))),
    fileURLToPath(new URL('../../libs/privacy/src/privacy.ts', import.meta.url)),
  ];
  const routes = new Set<string>();
  for (const file of files) for (const m of readFileSync(file, 'utf8').matchAll(/router\.get\(\s*'(\/children\/:childId[^']*)'/g)) routes.add(m[1]!);
  return [...routes].sort();
}
function readdirSyncTs(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
}

describe('data protection across the services', () => {
  test.each([
    ['action-plans', () => actionPlans.url, () => actionPlans.audit, 4],
    ['assessments', () => assessments.url, () => assessments.audit, 4],
    ['consent', () => consent.url, () => consent.audit, 4],
    ['transitions', () => transitions.url, () => transitions.audit, 4],
    // identity's only routes by child are the privacy lib's: insight, export, legal holds.
    ['identity', () => identity.url, () => identity.audit, 3],
  ] as [string, () => string, () => AuditLog, number][])('every GET route of %s that takes a child id leaves an audit entry about that child', async (service, url, audit, least) => {
    const routes = childRoutes(service);
    expect(routes.length).toBeGreaterThanOrEqual(least);
    for (const route of routes) {
      let answered = 0;
      // Each route is for someone: staff of the child, its leader, the officer, or a parent.
      for (const token of [tokens.educator, tokens.leader, tokens.dpo, tokens.mother]) {
        const before = (await audit().forChild(ids.child)).length;
        const res = await request(url()).get(route.replace(':childId', ids.child)).set('authorization', token);
        if (res.status !== 200) continue;
        answered++;
        const after = await audit().forChild(ids.child);
        expect({ route, logged: after.length - before }).toEqual({ route, logged: 1 });
        expect(['read', 'export']).toContain(after.at(-1)!.action);
      }
      expect({ route, answered: answered > 0 }).toEqual({ route, answered: true });
    }
  });

  test('a parent sees what is shared, the access log by role and institution (no staff ids), and when records go; another parent sees nothing of it', async () => {
    const insight = await request(actionPlans.url).get(`/children/${ids.child}/insight`).set('authorization', tokens.mother).expect(200);
    expect(insight.body.records['action-plan'].map((p: { id: string }) => p.id)).toEqual([ids.plan]);
    expect(insight.body.records['concern-notification']).toBeUndefined();
    const created = insight.body.accessLog.find((e: { operation: string }) => e.operation === 'create');
    expect(created).toMatchObject({ action: 'create', recordType: 'action-plan', by: { kind: 'staff', roles: ['educator'], institutionIds: [units.kindergarten] } });
    expect(JSON.stringify(insight.body.accessLog)).not.toContain('7e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b'); // the staff member's id
    // Every kind's period; only the records the parent may see are named: the notification of
    // concern (leader and consultants only, R13) is not given away by its deletion date.
    expect(insight.body.retention).toEqual([
      { kind: 'action-plan', description: expect.stringContaining('closed'), days: 5 * 365, publicRecord: true, records: [{ recordId: ids.plan, deletedAfter: null }] },
      { kind: 'resource-case', description: expect.stringContaining('decision'), days: 5 * 365, publicRecord: true, records: [] },
      { kind: 'concern-notification', description: expect.stringContaining('notification'), days: 5 * 365, publicRecord: true, records: [] },
    ]);
    const forDpo = await request(actionPlans.url).get(`/children/${ids.child}/export`).set('authorization', tokens.dpo).expect(200);
    expect(forDpo.body.retention.find((k: { kind: string }) => k.kind === 'concern-notification').records).toHaveLength(1);
    // Nor is it given away by the access log: recording it and reading it are in the officer's export only.
    const concernEntries = (log: { recordType: string }[]) => log.filter((e) => e.recordType === 'concern-notification').length;
    expect(concernEntries(forDpo.body.accessLog)).toBeGreaterThanOrEqual(1);
    expect(concernEntries(insight.body.accessLog)).toBe(0);
    expect(JSON.stringify(insight.body)).not.toContain(ids.otherChild);

    const consents = await request(consent.url).get(`/children/${ids.child}/insight`).set('authorization', tokens.mother).expect(200);
    expect(consents.body.consents.map((c: { id: string }) => c.id)).toEqual([ids.consent]);

    // identity: the child's person record without the CPR number, the mother's custody, and who read the record.
    const person = await request(identity.url).get(`/children/${ids.child}/insight`).set('authorization', tokens.mother).expect(200);
    expect(person.body.records.person).toEqual([expect.objectContaining({ id: ids.child, givenName: 'Barn', cpr: { recorded: true, encrypted: true, shown: false } })]);
    expect(person.body.records.guardianship).toEqual([{ guardian: 'you', custody: true }]);
    expect(person.body.accessLog.find((e: { operation: string }) => e.operation === 'create')).toMatchObject({ recordType: 'person', by: { kind: 'staff', roles: ['system-administrator'] } });
    expect(JSON.stringify(person.body)).not.toContain(cprs.child);
    expect(JSON.stringify(person.body)).not.toContain(ids.otherChild);

    for (const url of [actionPlans.url, assessments.url, consent.url, transitions.url, identity.url]) {
      expect((await request(url).get(`/children/${ids.child}/insight`).set('authorization', tokens.otherParent)).status).toBe(404);
      expect((await request(url).get(`/children/${ids.child}/insight`).set('authorization', tokens.educator)).status).toBe(404);
    }
  });

  test('the officer’s export holds every service’s data about the child, nothing about another child, and is itself logged', async () => {
    expect((await request(actionPlans.url).get(`/children/${ids.child}/export`).set('authorization', tokens.leader)).status).toBe(403);
    expect((await request(identity.url).get(`/children/${ids.child}/export`).set('authorization', tokens.leader)).status).toBe(403);
    const services = [
      { service: 'identity', url: identity.url },
      { service: 'action-plans', url: actionPlans.url },
      { service: 'assessments', url: assessments.url },
      { service: 'consent', url: consent.url },
      { service: 'transitions', url: transitions.url },
    ];
    const composed = await composeExport({ childId: ids.child, services, authorization: tokens.dpo, now });
    expect(composed.missing).toEqual([]);
    const by = Object.fromEntries(composed.services.map((s) => [s.service, s]));
    expect((by['action-plans']!.records['action-plan'] as { id: string }[]).map((p) => p.id)).toEqual([ids.plan]);
    expect((by.assessments!.records['external-result'] as { id: string }[]).map((r) => r.id)).toEqual([ids.result]);
    expect((by.consent!.records.consent as { id: string }[]).map((c) => c.id)).toEqual([ids.consent]);
    expect((by.transitions!.records.enrollment as { id: string }[]).map((e) => e.id)).toEqual([ids.child]);
    expect((by.identity!.records.person as { id: string }[]).map((p) => p.id)).toEqual([ids.child]);
    expect((by.identity!.records.guardianship as { id: string }[]).map((g) => g.id)).toEqual([`${ids.mother}:${ids.child}`]);
    for (const s of composed.services) expect(s.accessLog.length).toBeGreaterThan(0);
    const json = JSON.stringify(composed);
    for (const other of [ids.otherChild, ids.otherPlan, ids.otherParent, cprs.child, cprs.otherChild]) expect(json).not.toContain(other);
    const html = exportToHtml(composed);
    expect(html).toContain(ids.plan);
    expect(html).not.toContain(ids.otherChild);
    for (const audit of [actionPlans.audit, assessments.audit, consent.audit, transitions.audit, identity.audit]) {
      const exports = (await audit.forChild(ids.child)).filter((e) => e.action === 'export' && e.operation === 'export');
      expect(exports.at(-1)).toMatchObject({ actorKind: 'staff', roles: [`dpo@${units.mun}`], purpose: 'data-subject-access-request' });
    }
  });

  test('through the gateway one call gives a parent every service’s insight and the officer every service’s export, identity’s included; anyone else is refused as by the services', async () => {
    const everyService = ['identity', 'action-plans', 'assessments', 'consent', 'transitions'];
    const logged = async () => Promise.all([identity, actionPlans, assessments, consent, transitions].map(async (s) => (await s.audit.forChild(ids.child)).length));
    const before = await logged();
    const insight = await request(gateway.url).get(`/api/children/${ids.child}/insight`).set('authorization', tokens.mother).expect(200);
    expect(insight.headers['cache-control']).toBe('no-store');
    expect(insight.body.services.map((s: { service: string }) => s.service)).toEqual(everyService);
    expect(insight.body.missing).toEqual([]);
    expect(insight.body.services[0].records.person.map((p: { id: string }) => p.id)).toEqual([ids.child]);
    for (const other of [ids.otherChild, ids.otherPlan, cprs.child]) expect(JSON.stringify(insight.body)).not.toContain(other);
    // Each service logged the parent's read itself.
    expect((await logged()).map((n, i) => n - before[i]!)).toEqual([1, 1, 1, 1, 1]);

    const exported = await request(gateway.url).get(`/api/children/${ids.child}/export`).set('authorization', tokens.dpo).expect(200);
    expect(exported.body.services.map((s: { service: string }) => s.service)).toEqual(everyService);
    expect(exported.body.services[0].records.guardianship.map((g: { id: string }) => g.id)).toEqual([`${ids.mother}:${ids.child}`]);
    expect(JSON.stringify(exported.body)).not.toContain(ids.otherChild);
    expect((await identity.audit.forChild(ids.child)).at(-1)).toMatchObject({ action: 'export', roles: [`dpo@${units.mun}`], purpose: 'data-subject-access-request' });

    expect((await request(gateway.url).get(`/api/children/${ids.child}/insight`).set('authorization', tokens.otherParent)).status).toBe(404);
    expect((await request(gateway.url).get(`/api/children/${ids.child}/export`).set('authorization', tokens.leader)).status).toBe(403);
    expect((await request(gateway.url).get(`/api/children/${ids.child}/insight`)).status).toBe(401);
    expect((await request(gateway.url).get('/api/children/not-a-uuid/insight').set('authorization', tokens.mother)).status).toBe(400);
  });

  test('a closed plan is archived and deleted when its period has run out, not before and not while a legal hold stands', async () => {
    const started = now;
    try {
      const closed = await request(actionPlans.url).post(`/plans/${ids.plan}/close`).set('authorization', tokens.educator).expect(200);
      const closedOn = Date.parse(`${closed.body.closedOn}T00:00:00Z`);
      // The plan's 'closed' event leaves with the relay before the plan may go (it is never deleted with an event unsent).
      await eventsPublished(mongoUrl, dbNames.actionPlans, 'plans', 'concern_notifications');
      now = new Date(closedOn + (5 * 365 - 1) * DAY);
      // Not the plan yet; the notification of concern, recorded two days before it, has gone.
      expect(await actionPlans.privacy.sweep()).toMatchObject({ archived: 1, disposed: 1 });
      expect((await actionPlans.privacy.retention.disposalsOf(ids.child)).map((d) => d.kind)).toEqual(['concern-notification']);
      const hold = await request(actionPlans.url).post(`/children/${ids.child}/legal-holds`).set('authorization', tokens.leader).send({ caseRef: 'SAG-2024-117' }).expect(201);
      expect((await request(actionPlans.url).post(`/children/${ids.child}/legal-holds`).set('authorization', tokens.educator).send({ caseRef: 'X-1' })).status).toBe(403);
      now = new Date(closedOn + 5 * 365 * DAY + 1000);
      expect(await actionPlans.privacy.sweep()).toMatchObject({ archived: 0, held: 1 });
      await request(actionPlans.url).post(`/children/${ids.child}/legal-holds/${hold.body._id}/release`).set('authorization', tokens.leader).expect(200);
      expect(await actionPlans.privacy.sweep()).toMatchObject({ archived: 1, disposed: 1 });

      expect(await readdir(join(archiveDir, 'action-plans', '510', 'action-plan'))).toEqual([`${ids.plan}.json`]);
      const leader = await staff('leader', units.kindergarten);
      expect((await request(actionPlans.url).get(`/plans/${ids.plan}`).set('authorization', leader)).status).toBe(404);
      const ops = (await actionPlans.audit.forChild(ids.child)).map((e) => e.operation);
      expect(ops.slice(-2)).toEqual(['archive', 'delete']);
      expect(ops).toEqual(expect.arrayContaining(['hold', 'release']));
      const events = await readTopicUntil(brokers, topicFor('privacy', 'retention'), 'the disposal', (rs) => rs.some((r) => r.value!.includes(ids.plan)));
      expect(events.map((r) => JSON.parse(r.value!)).find((e) => e.subject === ids.plan)).toMatchObject({ source: 'spor/action-plans', data: { recordKind: 'action-plan', disposal: 'deleted', childId: ids.child } });
    } finally {
      now = started;
    }
  });

  test('a child’s entry leaves identity five years after its last placement ended, with its guardianships, and every directory view forgets it; its parent’s entry follows 30 days later', async () => {
    const started = now;
    const admin = await staff('system-administrator', units.mun);
    const client = await MongoClient.connect(mongoUrl);
    try {
      // A parent registered today and never linked to a child: its clock starts now.
      const lone = (await request(identity.url).post('/admin/persons').set('authorization', await bearer(identity, '510')).send({ kind: 'parent', cpr: `0404861${100 + Math.floor(Math.random() * 899)}`, givenName: 'Alene', familyName: 'Test' }).expect(201)).body.id as string;
      // One registered before registeredAt existed, never linked: its clock starts when the sweep first finds it.
      const legacy = (await request(identity.url).post('/admin/persons').set('authorization', await bearer(identity, '510')).send({ kind: 'parent', cpr: `0505862${100 + Math.floor(Math.random() * 899)}`, givenName: 'Gammel', familyName: 'Test' }).expect(201)).body.id as string;
      // Only once the relay has cleared its registration event: FerretDB 1.x applies an update as
      // read-modify-write, so the relay's clear racing this edit could write registeredAt back.
      await eventsPublished(mongoUrl, identity.config.IDENTITY_DB_NAME, 'persons');
      await identity.db.collection('persons').updateOne({ _id: legacy } as never, { $unset: { registeredAt: '' } });
      const { body: history } = await request(transitions.url).get(`/children/${ids.otherChild}/placements`).set('authorization', admin).expect(200);
      const open = history.items.find((p: { to?: string | null }) => !p.to);
      const lastDay = day(-1);
      await request(transitions.url).post(`/children/${ids.otherChild}/placements/${open.placementId}/end`).set('authorization', admin).send({ to: lastDay }).expect(200);
      await waitFor('identity to know the placement ended', async () => (await identity.db.collection('directory_placements').findOne({ childId: ids.otherChild }))?.to === lastDay);
      // The clock starts the day after the last placement, but never before the entry was registered (today here).
      const registeredAt = ((await identity.db.collection('persons').findOne({ _id: ids.otherChild } as never))!.registeredAt as Date).getTime();
      const clockStart = Math.max(Date.parse(`${lastDay}T00:00:00Z`) + DAY, registeredAt);
      const identitySweep = async () => {
        const result = await identity.privacy.sweep();
        return { archived: result.archived, disposed: result.disposed, failed: result.failed };
      };

      now = new Date(clockStart + (5 * 365 - 1) * DAY);
      // Only the parent never linked (30 days after its registration) has gone by now.
      expect(await identitySweep()).toEqual({ archived: 1, disposed: 1, failed: 0 });
      expect(readFileSync(join(archiveDir, 'identity', '510', 'parent-person', `${lone}.json`), 'utf8')).toMatch(/"neverLinked": true/);
      const legacySeen = (await identity.db.collection('persons').findOne({ _id: legacy } as never))!.retentionSeenAt as Date;
      expect(legacySeen).toEqual(now);
      // The export says when the entry goes.
      const exported = await request(identity.url).get(`/children/${ids.otherChild}/export`).set('authorization', tokens.dpo).expect(200);
      expect(exported.body.retention.find((r: { kind: string }) => r.kind === 'child-person').records).toEqual([{ recordId: ids.otherChild, deletedAfter: new Date(clockStart + 5 * 365 * DAY).toISOString().slice(0, 10) }]);

      now = new Date(clockStart + 5 * 365 * DAY + 1000);
      // transitions' placements of the child leave on the same day (its enrollment kind). Every
      // service's view drops them on the enrollment's removal; identity's keeps its own, as the
      // entry's clock starts from them, so its sweep below still finds the child due.
      await eventsPublished(mongoUrl, dbNames.transitions, 'enrollments');
      expect(await transitions.privacy.sweep()).toMatchObject({ failed: 0 });
      expect((await transitions.privacy.retention.disposalsOf(ids.otherChild)).map((d) => [d.kind, d.status])).toContainEqual(['enrollment', 'disposed']);
      for (const db of [dbNames.assessments, dbNames.consent, dbNames.actionPlans]) {
        await waitFor(`${db} to drop the placements`, async () => (await client.db(db).collection('directory_placements').countDocuments({ childId: ids.otherChild })) === 0);
        expect(await client.db(db).collection('directory_persons').findOne({ _id: ids.otherChild } as never)).toMatchObject({ kind: 'child' });
      }
      expect(await identity.db.collection('directory_placements').countDocuments({ childId: ids.otherChild })).toBeGreaterThan(0);
      // Only the child who left: the other child is still placed, and no parent is unlinked yet.
      expect(await identitySweep()).toEqual({ archived: 1, disposed: 1, failed: 0 });
      const root = await bearer(identity, '510');
      expect((await request(identity.url).get(`/admin/persons/${ids.otherChild}`).set('authorization', root)).status).toBe(404);
      expect(await identity.db.collection('guardianships').countDocuments({ childId: ids.otherChild })).toBe(0);
      expect((await request(identity.url).get(`/admin/persons/${ids.child}`).set('authorization', root)).status).toBe(200);
      expect(await identity.db.collection('guardianships').countDocuments({ childId: ids.child })).toBe(1);

      // The archive package holds neither a name nor the CPR number, sealed or not.
      const packageText = readFileSync(join(archiveDir, 'identity', '510', 'child-person', `${ids.otherChild}.json`), 'utf8');
      expect(JSON.parse(packageText).package.record).toMatchObject({ kind: 'child', guardianships: [{ parentId: ids.otherParent, custody: true }], placements: [{ to: lastDay }] });
      expect(packageText).not.toMatch(new RegExp(`Barn|Test|sealedCpr|cprHash|${cprs.otherChild}|${cprs.otherChild.slice(0, 6)}-`));
      const events = await readTopicUntil(brokers, topicFor('privacy', 'retention'), 'identity’s disposal', (rs) => rs.some((r) => r.value!.includes(ids.otherChild) && r.value!.includes('spor/identity')));
      expect(events.map((r) => JSON.parse(r.value!)).find((e) => e.source === 'spor/identity' && e.subject === ids.otherChild)).toMatchObject({ data: { recordKind: 'child-person', childId: ids.otherChild, disposal: 'deleted' } });

      // identity says so on the person's own topic, after its registration.
      const personEvents = await readTopicUntil(brokers, topicFor('identity', 'person'), 'the child’s removal', (rs) => rs.some((r) => r.value!.includes(ids.otherChild) && r.value!.includes('person.removed')));
      expect(personEvents.map((r) => JSON.parse(r.value!)).filter((e) => e.subject === ids.otherChild).map((e) => [e.type, e.data.kind])).toEqual([
        ['dk.spor.identity.person.registered.v1', 'child'],
        ['dk.spor.identity.person.removed.v1', 'child'],
      ]);
      // Every service's view of the directory forgets the child: person, custody, placements;
      // what stays is a marker with the id and kind, so a replay cannot bring them back.
      for (const db of [dbNames.assessments, dbNames.consent, dbNames.actionPlans]) {
        const marker = () => client.db(db).collection('directory_persons').findOne({ _id: ids.otherChild } as never);
        await waitFor(`${db} to forget the child`, async () => (await marker())?.removed === true);
        expect(Object.keys((await marker())!).sort()).toEqual(['_id', 'kind', 'removed', 'version']);
        expect(await client.db(db).collection('directory_custody').countDocuments({ childId: ids.otherChild })).toBe(0);
        expect(await client.db(db).collection('directory_placements').countDocuments({ childId: ids.otherChild })).toBe(0);
        expect(await client.db(db).collection('directory_persons').countDocuments({ _id: ids.child } as never)).toBe(1);
      }

      // Its parent, linked to no other child, starts its clock; the mother, still linked, does not.
      const unlinked = (await identity.db.collection('persons').findOne({ _id: ids.otherParent } as never))!.unlinkedAt as Date;
      expect(unlinked).toEqual(now);
      expect((await identity.db.collection('persons').findOne({ _id: ids.mother } as never))!.unlinkedAt).toBeUndefined();
      now = new Date(unlinked.getTime() + 30 * DAY - 60_000);
      // Not the unlinked parent yet; the old entry's 30 days from when the sweep first saw it have run.
      expect(await identitySweep()).toEqual({ archived: 1, disposed: 1, failed: 0 });
      expect(readFileSync(join(archiveDir, 'identity', '510', 'parent-person', `${legacy}.json`), 'utf8')).toMatch(/"neverLinked": true/);
      expect(legacySeen.getTime() + 30 * DAY).toBeLessThan(now.getTime());
      now = new Date(unlinked.getTime() + 30 * DAY + 1000);
      expect(await identitySweep()).toEqual({ archived: 1, disposed: 1, failed: 0 });
      expect((await request(identity.url).get(`/admin/persons/${ids.otherParent}`).set('authorization', root)).status).toBe(404);
      expect((await request(identity.url).get(`/admin/persons/${ids.mother}`).set('authorization', root)).status).toBe(200);
      expect(readFileSync(join(archiveDir, 'identity', '510', 'parent-person', `${ids.otherParent}.json`), 'utf8')).not.toMatch(/Forælder|Test|sealedCpr/);
      await waitFor('assessments to forget the parent', async () => (await client.db(dbNames.assessments).collection('directory_persons').countDocuments({ _id: ids.otherParent, removed: true } as never)) === 1);
      expect(await client.db(dbNames.assessments).collection('directory_persons').countDocuments({ _id: ids.otherParent, municipalityId: { $exists: true } } as never)).toBe(0);
      expect(await identity.db.collection('directory_placements').countDocuments({ childId: ids.otherChild })).toBe(0);
      const ops = (await identity.audit.forRecord(ids.otherParent)).map((e) => e.operation);
      expect(ops.slice(-2)).toEqual(['archive', 'delete']);
    } finally {
      now = started;
      await client.close();
    }
  });

  test('the audit log of a service verifies, and its entries reach spor.audit.access.v1 without names', async () => {
    const client = await MongoClient.connect(mongoUrl);
    try {
      const result = await verifyAuditLog(client.db(dbNames.actionPlans));
      expect(result).toMatchObject({ ok: true });
      expect(result.entries).toBeGreaterThan(10);
    } finally {
      await client.close();
    }
    const records = await readTopicUntil(brokers, topicFor('audit', 'access'), 'the export entry', (rs) => rs.some((r) => r.value!.includes(ids.child) && r.value!.includes('"action":"export"') && r.value!.includes('spor/action-plans')));
    const mine = records.map((r) => JSON.parse(r.value!)).filter((e) => e.data.childId === ids.child);
    expect(mine.length).toBeGreaterThan(5);
    expect(JSON.stringify(mine)).not.toMatch(/Barn|Forælder|Leger med andre/);
  });
});
