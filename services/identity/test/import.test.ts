// Directory imports by municipal IT: all or nothing, every bad row named, re-importable,
// and finished after a restart when a process died half-way.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { AttemptStopped } from '@spor/mongo';
import { quietLogger } from '@spor/testkit';
import type { RunningIdentity } from '../src/service.js';
import { resumeImports } from '../src/http/import.routes.js';
import { bearer, freshCpr, startTestIdentity } from './support.js';

let identity: RunningIdentity;
let admin: string;

beforeAll(async () => {
  identity = await startTestIdentity();
  admin = await bearer(identity, '510');
});

afterAll(() => identity.runtime.shutdown());

/** A CPR number of someone born 1970–1988 (7th digit 4: the 1900s for those years). */
const adultCpr = () => {
  const n = (below: number) => Math.floor(Math.random() * below);
  return `${String(1 + n(28)).padStart(2, '0')}${String(1 + n(12)).padStart(2, '0')}${70 + n(19)}4${String(n(1000)).padStart(3, '0')}`;
};
const importFile = (body: unknown) => request(identity.url).post('/admin/imports').set('authorization', admin).send(body as object);
const lookup = (cpr: string) => request(identity.url).post('/admin/person-lookups').set('authorization', admin).send({ cpr, purpose: 'import test check' });

const child = freshCpr();
const mother = `020285${4000 + Math.floor(Math.random() * 999)}`.slice(0, 10);
const father = `030383${1000 + Math.floor(Math.random() * 999)}`.slice(0, 10);
const educator = `040490${1000 + Math.floor(Math.random() * 999)}`.slice(0, 10);
const tree = {
  units: [
    { externalId: 'GRP-1', kind: 'group', name: 'Mariehønen', parentExternalId: 'INST-1' },
    { externalId: 'KOM-510', kind: 'municipality', name: 'Haderslev Kommune', parentExternalId: null, municipalityCode: '510' },
    { externalId: 'DIS-N', kind: 'district', name: 'Nord', parentExternalId: 'KOM-510' },
    { externalId: 'INST-1', kind: 'institution', name: 'Solstrålen', parentExternalId: 'DIS-N', institutionType: 'boernehave' },
  ],
  persons: [
    { kind: 'child', cpr: child, givenName: 'Ida', familyName: 'Hansen' },
    { kind: 'parent', cpr: mother, givenName: 'Mette', familyName: 'Hansen' },
    { kind: 'parent', cpr: father, givenName: 'Jens', familyName: 'Hansen' },
    { kind: 'staff', cpr: educator, givenName: 'Lise', familyName: 'Pedersen' },
  ],
  memberships: [{ cpr: educator, unitExternalId: 'GRP-1', role: 'educator', from: '2026-08-01' }],
  guardianships: [
    { parentCpr: mother, childCpr: child, custody: true },
    { parentCpr: father, childCpr: child, custody: true },
  ],
};

describe('directory import', () => {
  test('a good file is imported whole; the same file again changes nothing; a grown file adds only what is new', async () => {
    const first = await importFile(tree);
    expect(first.status).toBe(201);
    expect(first.body.counts).toEqual({
      units: { created: 4, unchanged: 0 },
      persons: { created: 4, unchanged: 0 },
      memberships: { created: 1, unchanged: 0 },
      guardianships: { created: 2, unchanged: 0 },
    });
    const childId = (await lookup(child)).body.personId;
    const guardians = await request(identity.url).get(`/admin/persons/${childId}/guardians`).set('authorization', admin);
    expect(guardians.body.items.filter((g: { custody: boolean }) => g.custody)).toHaveLength(2);

    const again = await importFile(tree);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ jobId: first.body.jobId, repeated: true });

    const sibling = freshCpr();
    const grown = await importFile({ ...tree, persons: [...tree.persons, { kind: 'child', cpr: sibling, givenName: 'Bo', familyName: 'Hansen' }], guardianships: [...tree.guardianships, { parentCpr: mother, childCpr: sibling, custody: true }] });
    expect(grown.status).toBe(201);
    expect(grown.body.counts).toMatchObject({ units: { created: 0, unchanged: 4 }, persons: { created: 1, unchanged: 4 }, guardianships: { created: 1, unchanged: 2 } });
  });

  test('a file with bad rows is refused whole with 422 naming every bad row and field; nothing is written', async () => {
    const newChild = freshCpr();
    const res = await importFile({
      units: [
        { externalId: 'DIS-S', kind: 'district', name: 'Syd', parentExternalId: 'NOWHERE' },
        { externalId: 'INST-9', kind: 'institution', name: 'Uden type', parentExternalId: 'DIS-N' },
        { externalId: 'INST-9', kind: 'group', name: 'Dublet', parentExternalId: 'DIS-N' },
      ],
      persons: [
        { kind: 'child', cpr: newChild, givenName: 'Ny', familyName: 'Elev' },
        { kind: 'child', cpr: '3213214321', givenName: 'Forkert', familyName: 'Dato' },
      ],
      memberships: [{ cpr: mother, unitExternalId: 'INST-1', role: 'educator' }],
      guardianships: [{ parentCpr: child, childCpr: newChild, custody: true }],
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('IMPORT_INVALID');
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
      [
        'units[1].parentExternalId',
        'units[2].institutionType',
        'units[3].externalId',
        'units[3].parentExternalId',
        'persons[2].cpr',
        'memberships[1].cpr',
        'guardianships[1].parentCpr',
      ].sort(),
    );
    expect(JSON.stringify(res.body)).not.toContain('3213214321');
    expect((await lookup(newChild)).status).toBe(404);
  });

  test('an import links only its own municipality’s persons, and gives no staff member a login another one has', async () => {
    // A child and a staff member of municipality 561, with a login.
    const admin561 = await bearer(identity, '561');
    const theirChild = freshCpr();
    const theirStaff = adultCpr();
    const login = `laerer.${Math.floor(Math.random() * 1e9)}@kommune561.dk`;
    const theirs = await request(identity.url).post('/admin/imports').set('authorization', admin561).send({ persons: [{ kind: 'child', cpr: theirChild, givenName: 'A', familyName: 'B' }, { kind: 'staff', cpr: theirStaff, givenName: 'C', familyName: 'D', externalId: login }] });
    expect(theirs.status).toBe(201);

    const mum = adultCpr();
    const ours = adultCpr();
    const res = await importFile({
      persons: [
        { kind: 'parent', cpr: mum, givenName: 'E', familyName: 'F' },
        { kind: 'child', cpr: theirChild, givenName: 'A', familyName: 'B' },
        { kind: 'staff', cpr: ours, givenName: 'G', familyName: 'H', externalId: login },
        { kind: 'staff', cpr: adultCpr(), givenName: 'I', familyName: 'J', externalId: 'to.i.en@haderslev.dk' },
        { kind: 'staff', cpr: adultCpr(), givenName: 'K', familyName: 'L', externalId: 'to.i.en@haderslev.dk' },
      ],
      memberships: [{ cpr: theirStaff, unitExternalId: 'GRP-1', role: 'educator' }],
      guardianships: [{ parentCpr: mum, childCpr: theirChild, custody: true }],
    });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string; message: string }) => `${e.field}: ${e.message}`).sort()).toEqual([
      `guardianships[1].childCpr: is registered in another municipality's directory: it is neither registered nor linked here`,
      `memberships[1].cpr: is registered in another municipality's directory: it is neither registered nor linked here`,
      `persons[2].cpr: is registered in another municipality's directory: it is neither registered nor linked here`,
      `persons[3].externalId: ${login} is the login of a staff member in another municipality already`,
      'persons[5].externalId: to.i.en@haderslev.dk is the login of another staff member in the file',
    ]);
    expect((await lookup(mum)).status).toBe(404);
    // Registering one by hand does not tell this municipality the other's id either.
    const byHand = await request(identity.url).post('/admin/persons').set('authorization', admin).send({ kind: 'child', cpr: theirChild, givenName: 'A', familyName: 'B' });
    expect(byHand.status).toBe(409);
    expect(byHand.body.detail).toBe('a person with this CPR number is registered already');
  });

  test('a malformed row is named by section and row', async () => {
    const res = await importFile({ units: [{ externalId: 'X', kind: 'region', name: 'x', parentExternalId: null }], colour: 'red' });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['', 'units[1].kind']);
  });

  test('an import that a stopped process left half-applied is finished on start, and its sealed file dropped', async () => {
    const orphan = freshCpr();
    const file = { units: [], persons: [{ kind: 'child', cpr: orphan, givenName: 'Halv', familyName: 'Import' }], memberships: [], guardianships: [] };
    const jobId = 'half-applied-job';
    const { jobs } = identity.imports;
    await jobs.start({ _id: jobId, municipalityId: '510', actor: 'test', payload: identity.imports.vault.sealText(JSON.stringify(file), jobId) });
    expect((await lookup(orphan)).status).toBe(404);
    // Its attempt still owns it (the lease a crashed process leaves runs out by itself).
    expect(await resumeImports(identity.imports, quietLogger())).toBe(0);
    // The process stopping hands it back.
    expect(await jobs.attempt((await jobs.get(jobId))!, () => Promise.reject(new AttemptStopped()))).toEqual({ status: 'stopped' });
    expect(await resumeImports(identity.imports, quietLogger())).toBe(1);
    expect((await lookup(orphan)).status).toBe(200);
    const job = await identity.imports.jobs.get(jobId);
    expect(job).toMatchObject({ status: 'done', counts: { persons: { created: 1, unchanged: 0 } } });
    expect(job).not.toHaveProperty('payload');
  });

  test('the same file sent while another request applies it is told to wait; once that attempt ends without an end, the file sent again finishes it', async () => {
    const orphan = freshCpr();
    const file = { units: [], persons: [{ kind: 'child', cpr: orphan, givenName: 'Lang', familyName: 'Import' }], memberships: [], guardianships: [] };
    const { jobs, vault } = identity.imports;
    // Keyed: a plain hash of a file this small could be reversed by trying the CPR numbers of a birth date.
    const jobId = vault.keyedDigest(`510\n${JSON.stringify(file)}`).slice(0, 32);
    expect(jobId).not.toBe(createHash('sha256').update(`510\n${JSON.stringify(file)}`).digest('hex').slice(0, 32));
    // As another replica's request left it, still applying.
    expect(await jobs.start({ _id: jobId, municipalityId: '510', actor: 'test', payload: vault.sealText(JSON.stringify(file), jobId) })).toMatchObject({ outcome: 'started' });
    const busy = await importFile(file);
    expect([busy.status, busy.body.code]).toEqual([409, 'IMPORT_IN_PROGRESS']);
    // Until the other attempt's lease (two minutes, kept by its heartbeat) ends.
    expect(Number(busy.headers['retry-after'])).toBeGreaterThan(100);
    expect(Number(busy.headers['retry-after'])).toBeLessThanOrEqual(120);

    await jobs.attempt((await jobs.get(jobId))!, () => Promise.reject(new AttemptStopped()));
    const taken = await importFile(file);
    expect([taken.status, taken.body]).toEqual([201, { jobId, status: 'done', counts: expect.objectContaining({ persons: { created: 1, unchanged: 0 } }) }]);
    expect(await jobs.get(jobId)).toMatchObject({ status: 'done', attempts: 1 });
    expect((await lookup(orphan)).status).toBe(200);
    expect((await importFile(file)).body).toMatchObject({ status: 'done', repeated: true });
    // Each request is on the record before its job is touched, the one told to wait included.
    expect((await identity.audit.forRecord(jobId)).map((e) => e.operation)).toEqual(['import', 'import', 'import']);
    // The importer reads how far the job is; another municipality finds nothing; a malformed id is named.
    const job = await request(identity.url).get(`/admin/import-jobs/${jobId}`).set('authorization', admin);
    expect([job.status, job.body]).toEqual([200, { jobId, status: 'done', startedAt: expect.any(String), finishedAt: expect.any(String), counts: expect.objectContaining({ persons: { created: 1, unchanged: 0 } }), attempts: 1 }]);
    expect((await request(identity.url).get(`/admin/import-jobs/${jobId}`).set('authorization', await bearer(identity, '461'))).status).toBe(404);
    const malformed = await request(identity.url).get('/admin/import-jobs/not-a-job').set('authorization', admin);
    expect([malformed.status, malformed.body.errors?.[0]?.field]).toEqual([400, 'jobId']);
  });
});

describe('CSV import', () => {
  const csv = (section: string, text: string) => request(identity.url).post(`/admin/imports/${section}`).set('authorization', admin).set('content-type', 'text/csv').send(text);

  test('a persons file and a guardianships file (semicolons, Danish ja/nej) are imported', async () => {
    const kid = freshCpr();
    const mum = `050580${1000 + Math.floor(Math.random() * 999)}`;
    const dad = `060681${1000 + Math.floor(Math.random() * 999)}`;
    const persons = await csv('persons', `kind,cpr,givenName,familyName,externalId\nchild,${kid},"Åse, den lille",Nielsen,ELEV-77\nparent,${mum},Anne,Nielsen,\nparent,${dad},Ole,Nielsen,\n`);
    expect(persons.status).toBe(201);
    expect(persons.body.counts.persons).toEqual({ created: 3, unchanged: 0 });
    const guardians = await csv('guardianships', `parentCpr;childCpr;custody\n${mum};${kid};ja\n${dad};${kid};nej\n`);
    expect(guardians.status).toBe(201);
    const kidId = (await lookup(kid)).body.personId;
    const list = await request(identity.url).get(`/admin/persons/${kidId}/guardians`).set('authorization', admin);
    expect(list.body.items.map((g: { custody: boolean }) => g.custody).sort()).toEqual([false, true]);
    const person = await request(identity.url).get(`/admin/persons/${kidId}`).set('authorization', admin);
    expect(person.body).toMatchObject({ givenName: 'Åse, den lille', externalId: 'ELEV-77' });
  });

  test.each([
    ['an unknown section', 'pets', 'kind\ncat\n', 400, 'VALIDATION_FAILED'],
    ['an unknown column', 'persons', 'kind,cpr,shoeSize\nchild,0101214000,42\n', 422, 'CSV_HEADER'],
    ['a row with too many cells', 'persons', 'kind,cpr\nchild,0101214000,extra\n', 422, 'CSV_MALFORMED'],
    ['a bad custody value', 'guardianships', `parentCpr,childCpr,custody\n${'0101214000'},${'0101214001'},maybe\n`, 422, 'IMPORT_INVALID'],
  ])('%s is refused', async (_what, section, text, status, code) => {
    const res = await csv(section, text);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
  });

  test('a section import needs a CSV body', async () => {
    const res = await request(identity.url).post('/admin/imports/persons').set('authorization', admin).send({ persons: [] });
    expect(res.status).toBe(415);
  });
});
