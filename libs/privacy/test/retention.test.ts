// Retention against a real MongoDB-wire server with a clock the test moves: a record is
// archived and only then deleted, not a day before its period (the municipality's own, where it
// set one) has run out; a failing archive keeps the record; a legal hold keeps everything.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Collection, type Db } from 'mongodb';
import { AuditLog } from '@spor/audit';
import { contractRegistry } from '@spor/contracts';
import { EventFactory, KeyedMutex } from '@spor/events';
import { quietLogger, testInfra, uniqueName } from '@spor/testkit';
import { DirectoryArchive, LegalHolds, Retention, SweepLease, aggregateCandidates, disposeAggregate, fingerprint, type ArchiveHook, type ArchivePackage, type RetainedKind } from '../src/index.js';

const DAY = 86_400_000;
let client: MongoClient;
let db: Db;
let dir: string;
let records: Collection<{ _id: string; childId: string; municipalityId: string; closedAt: Date }>;
let now = new Date('2030-01-01T12:00:00Z');
/** What happened, in order: archive and delete calls, so the test can see the one came first. */
const steps: string[] = [];

const kind: RetainedKind = {
  kind: 'note',
  description: 'test notes, from closure',
  defaultDays: 30,
  publicRecord: true,
  async candidates(startedBy) {
    return (await records.find({}).toArray()).filter((r) => r.closedAt <= startedBy).map((r) => ({ id: r._id, municipalityId: r.municipalityId, childId: r.childId, retainedFrom: r.closedAt, record: r }));
  },
  async ofChild(childId) {
    return (await records.find({ childId }).toArray()).map((r) => ({ id: r._id, retainedFrom: r.closedAt }));
  },
  async dispose(id) {
    if (refuseDispose.has(id)) throw new Error(`record ${id} cannot go yet`);
    if (inUseAgain.has(id)) return 'kept';
    steps.push(`delete ${id}`);
    await records.deleteOne({ _id: id });
    return 'deleted';
  },
  // Notes whose id starts with a- say they are gone in an event of their own (as identity's persons do).
  async announce(candidate) {
    if (!candidate.id.startsWith('a-')) return [];
    return [new EventFactory('identity', contractRegistry()).create('dk.spor.identity.person.removed.v1', { subject: announcedPerson, municipalityId: candidate.municipalityId, aggregateVersion: 2, data: { personId: announcedPerson, kind: 'child' } })];
  },
};
const announcedPerson = randomUUID();

let failArchive = false;
/** Records whose disposal fails for now (identity's, say, with an event the relay has not sent yet). */
const refuseDispose = new Set<string>();
/** Records that came into use again after the sweep chose them (a consent granted again, say). */
const inUseAgain = new Set<string>();
function archiveHook(): ArchiveHook {
  const inner = new DirectoryArchive(dir);
  return {
    async archive(pkg: ArchivePackage) {
      if (failArchive) throw new Error('the archive did not answer');
      const ref = await inner.archive(pkg);
      steps.push(`archive ${pkg.recordId}`);
      return ref;
    },
  };
}

let retention: Retention;
let holds: LegalHolds;
let audit: AuditLog;

beforeAll(async () => {
  client = await MongoClient.connect(testInfra().mongoUrl);
  db = client.db(uniqueName('privacy-test'));
  for (const name of ['records', AuditLog.collection, LegalHolds.collection, ...Retention.collections]) await db.createCollection(name);
  records = db.collection('records');
  dir = await mkdtemp(join(tmpdir(), 'spor-archive-'));
  audit = new AuditLog(db, { service: 'test-service', clock: () => now });
  await audit.init();
  holds = new LegalHolds(db);
  await holds.init();
  retention = new Retention({ service: 'test-service', db, kinds: [kind], archive: archiveHook(), holds, audit, registry: contractRegistry(), clock: () => now, logger: quietLogger() });
  await retention.init();
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
  await rm(dir, { recursive: true, force: true });
});

describe('retention', () => {
  const child = randomUUID();
  const heldChild = randomUUID();
  const closedAt = new Date('2030-01-01T00:00:00Z');

  test('a child who left the directory takes all its records with it at once, whatever their clocks; a legal hold keeps them', async () => {
    const notes = db.collection<{ _id: string; childId: string; municipalityId: string; closedAt: Date }>('child_notes');
    const [leaving, held, staying] = [randomUUID(), randomUUID(), randomUUID()];
    // Closed only yesterday: years from running out.
    const closed = new Date('2030-06-01T00:00:00Z');
    await notes.insertMany([
      { _id: 'l-1', childId: leaving, municipalityId: '510', closedAt: closed },
      { _id: 'l-2', childId: leaving, municipalityId: '510', closedAt: closed },
      { _id: 'h-1', childId: held, municipalityId: '510', closedAt: closed },
      { _id: 's-1', childId: staying, municipalityId: '510', closedAt: closed },
    ]);
    // The kind is asked for the child's records only; it answers a superset (every note), which disposeChild narrows.
    const asked: (string | undefined)[] = [];
    const notesKind: RetainedKind = {
      ...kind,
      kind: 'child-note',
      defaultDays: 3650,
      candidates: async (startedBy, childId) => {
        asked.push(childId);
        return (await notes.find({}).toArray()).filter((r) => r.closedAt <= startedBy).map((r) => ({ id: r._id, municipalityId: r.municipalityId, childId: r.childId, retainedFrom: r.closedAt, record: r }));
      },
      ofChild: async (childId) => (await notes.find({ childId }).toArray()).map((r) => ({ id: r._id, retainedFrom: r.closedAt })),
      dispose: async (id) => {
        await notes.deleteOne({ _id: id });
        return 'deleted';
      },
      announce: undefined,
    };
    const childRetention = new Retention({ service: 'test-leaving', db, kinds: [notesKind], archive: new DirectoryArchive(dir), holds, audit, registry: contractRegistry(), clock: () => new Date('2030-06-02T00:00:00Z'), logger: quietLogger() });
    await childRetention.init();
    await holds.place({ childId: held, municipalityId: '510', caseRef: 'SAG-1', placedBy: 'dpo', at: new Date('2030-06-01T00:00:00Z') });
    expect(await childRetention.disposeChild(leaving, 'person-removed')).toBe(2);
    expect(await childRetention.disposeChild(held, 'person-removed')).toBe(0);
    expect((await notes.find({}).toArray()).map((n) => n._id).sort()).toEqual(['h-1', 's-1']);
    expect(asked).toEqual([leaving]);
    expect((await audit.forChild(leaving)).map((e) => [e.operation, e.purpose])).toEqual([
      ['archive', 'person-removed'],
      ['delete', 'person-removed'],
      ['archive', 'person-removed'],
      ['delete', 'person-removed'],
    ]);
  });

  test('a record that is no public record is archived as its fingerprint only: deleted at the end of its period, it is not kept on in the archive', async () => {
    const privateNotes = db.collection<{ _id: string; childId: string; municipalityId: string; closedAt: Date; text: string }>('private_notes');
    const note = { _id: 'p-1', childId: randomUUID(), municipalityId: '510', closedAt, text: 'Et notat om barnet' };
    await privateNotes.insertOne(note);
    const privateKind: RetainedKind = {
      ...kind,
      kind: 'private-note',
      publicRecord: false,
      candidates: async () => (await privateNotes.find({}).toArray()).map((r) => ({ id: r._id, municipalityId: r.municipalityId, childId: r.childId, retainedFrom: r.closedAt, record: r })),
      ofChild: async () => [],
      dispose: async (id) => {
        await privateNotes.deleteOne({ _id: id });
        return 'deleted';
      },
      announce: undefined,
    };
    const privateRetention = new Retention({ service: 'test-private', db, kinds: [privateKind], archive: new DirectoryArchive(dir), holds, audit, registry: contractRegistry(), clock: () => new Date(closedAt.getTime() + 31 * DAY), logger: quietLogger() });
    await privateRetention.init();
    expect(await privateRetention.sweep()).toMatchObject({ archived: 1, disposed: 1 });
    expect(await privateNotes.countDocuments({})).toBe(0);
    const [file] = await readdir(join(dir, 'test-private', '510', 'private-note'));
    const text = await readFile(join(dir, 'test-private', '510', 'private-note', file!), 'utf8');
    expect(text).not.toContain('notat');
    expect(JSON.parse(text).package).toEqual(expect.objectContaining({ recordId: 'p-1', publicRecord: false, recordSha256: fingerprint(note) }));
    expect(JSON.parse(text).package).not.toHaveProperty('record');
  });

  test('a record is kept until its period has run out, then archived, and only then deleted', async () => {
    await records.insertMany([{ _id: 'n-1', childId: child, municipalityId: '510', closedAt }]);
    now = new Date(closedAt.getTime() + 29 * DAY);
    expect(await retention.sweep()).toEqual({ archived: 0, disposed: 0, held: 0, failed: 0, kept: 0 });
    expect(await records.countDocuments({ _id: 'n-1' })).toBe(1);

    now = new Date(closedAt.getTime() + 30 * DAY);
    expect(await retention.sweep()).toMatchObject({ archived: 1, disposed: 1 });
    expect(await records.countDocuments({ _id: 'n-1' })).toBe(0);
    expect(steps).toEqual(['archive n-1', 'delete n-1']);
    const [file] = await readdir(join(dir, 'test-service', '510', 'note'));
    const archived = JSON.parse(await readFile(join(dir, 'test-service', '510', 'note', file!), 'utf8'));
    expect(archived.package).toMatchObject({ recordId: 'n-1', childId: child, publicRecord: true, record: { _id: 'n-1' } });
    expect((await audit.forChild(child)).map((e) => [e.action, e.operation, e.actorKind, e.purpose])).toEqual([
      ['export', 'archive', 'service', 'retention-expired'],
      ['delete', 'delete', 'service', 'retention-expired'],
    ]);
    const [disposal] = await retention.disposalsOf(child);
    expect(disposal).toMatchObject({ status: 'disposed', disposal: 'deleted' });
    const event = (await db.collection<{ _id: string; pendingEvents: { event: unknown }[] }>('retention_disposals').findOne({ _id: disposal!._id }))!.pendingEvents[0]!.event;
    expect(event).toMatchObject({ type: 'dk.spor.privacy.retention.disposed.v1', source: 'spor/test-service', data: { recordKind: 'note', recordId: 'n-1', childId: child, disposal: 'deleted', archived: true } });
  });

  test('a record re-created under the id of one disposed of gets a proof of its own: the first proof and its unpublished event stay', async () => {
    const reborn = randomUUID();
    await records.insertOne({ _id: 'r-1', childId: reborn, municipalityId: '510', closedAt });
    now = new Date(closedAt.getTime() + 30 * DAY);
    expect(await retention.sweep()).toMatchObject({ archived: 1, disposed: 1 });
    const later = new Date(closedAt.getTime() + 31 * DAY);
    await records.insertOne({ _id: 'r-1', childId: reborn, municipalityId: '510', closedAt: later });
    now = new Date(later.getTime() + 30 * DAY);
    expect(await retention.sweep()).toMatchObject({ archived: 1, disposed: 1 });
    const proofs = await db.collection<{ _id: string; status: string; retainedFrom: Date; pendingEvents: { event: { data: { retainedFrom: string } } }[] }>('retention_disposals').find({ childId: reborn }).toArray();
    expect(proofs.map((p) => [p.status, p.retainedFrom.toISOString(), p.pendingEvents.map((e) => e.event.data.retainedFrom)]).sort()).toEqual([
      ['disposed', closedAt.toISOString(), [closedAt.toISOString()]],
      ['disposed', later.toISOString(), [later.toISOString()]],
    ]);
    expect(proofs.map((p) => p._id).sort()).toEqual(['note:r-1', expect.stringMatching(/^note:r-1:[0-9a-f-]{36}$/)]);
    expect(await retention.disposalsOf(reborn)).toHaveLength(2);
    // Each proof leads to its own package, still the one it names: the second did not replace the first.
    const both = await retention.disposalsOf(reborn);
    expect(new Set(both.map((d) => d.archiveRef)).size).toBe(2);
    for (const d of both) {
      const [path, sha256] = d.archiveRef.replace(/^file:/, '').split('#sha256=');
      const stored = JSON.parse(await readFile(path!, 'utf8')) as { sha256: string; package: ArchivePackage & { record: { closedAt: string } } };
      expect(stored.sha256).toBe(sha256);
      expect(stored.package.record.closedAt).toBe(d.retainedFrom.toISOString());
      expect(d.recordSha256).toBe(fingerprint(stored.package.record));
    }
  });

  test('nothing is deleted that did not reach the archive', async () => {
    steps.length = 0;
    await records.insertOne({ _id: 'n-2', childId: child, municipalityId: '510', closedAt });
    now = new Date(closedAt.getTime() + 40 * DAY);
    failArchive = true;
    expect(await retention.sweep()).toMatchObject({ archived: 0, disposed: 0, failed: 1 });
    expect(await records.countDocuments({ _id: 'n-2' })).toBe(1);
    failArchive = false;
    expect(await retention.sweep()).toMatchObject({ archived: 1, disposed: 1, failed: 0 });
    expect(steps).toEqual(['archive n-2', 'delete n-2']);
  });

  test('an archived record that cannot be disposed of yet is tried again at each sweep, and does not stop the sweep for the others', async () => {
    steps.length = 0;
    await records.insertMany([{ _id: 'n-10', childId: child, municipalityId: '510', closedAt }, { _id: 'n-11', childId: child, municipalityId: '510', closedAt }]);
    now = new Date(closedAt.getTime() + 40 * DAY);
    refuseDispose.add('n-10');
    expect(await retention.sweep()).toMatchObject({ archived: 2, disposed: 1, failed: 1 });
    // Archived, not disposed: the next sweep finds it interrupted, fails on it again, and goes on.
    await records.insertOne({ _id: 'n-12', childId: child, municipalityId: '510', closedAt });
    expect(await retention.sweep()).toMatchObject({ archived: 1, disposed: 1, failed: 1 });
    expect(await records.countDocuments({ _id: { $in: ['n-10', 'n-12'] } })).toBe(1);
    refuseDispose.clear();
    expect(await retention.sweep()).toMatchObject({ disposed: 1, failed: 0 });
    expect(await records.countDocuments({ _id: 'n-10' })).toBe(0);
    expect(steps.filter((s) => s.startsWith('delete'))).toEqual(['delete n-11', 'delete n-12', 'delete n-10']);
  });

  test('a hold placed after a record was archived, but before its disposal was finished, keeps it until the hold is released', async () => {
    steps.length = 0;
    const late = randomUUID();
    await records.insertOne({ _id: 'h-1', childId: late, municipalityId: '510', closedAt });
    now = new Date(closedAt.getTime() + 40 * DAY);
    refuseDispose.add('h-1');
    expect(await retention.sweep()).toMatchObject({ archived: 1, disposed: 0, failed: 1 });
    refuseDispose.clear();
    const hold = await holds.place({ childId: late, municipalityId: '510', caseRef: 'SAG-2030-41', placedBy: 'leader-1', at: now });
    expect(await retention.sweep()).toMatchObject({ disposed: 0, held: 1 });
    expect(await records.countDocuments({ _id: 'h-1' })).toBe(1);
    await holds.release(late, hold._id, 'leader-1', now);
    expect(await retention.sweep()).toMatchObject({ disposed: 1, held: 0 });
    expect(await records.countDocuments({ _id: 'h-1' })).toBe(0);
  });

  test('a kind’s own events about a disposal are made at archiving, and published with the disposal event only once the record is gone', async () => {
    await records.insertOne({ _id: 'a-1', childId: child, municipalityId: '510', closedAt });
    now = new Date(closedAt.getTime() + 40 * DAY);
    refuseDispose.add('a-1');
    expect(await retention.sweep()).toMatchObject({ archived: 1, disposed: 0, failed: 1 });
    const outbox = () => db.collection<{ _id: string; status: string; hasPending?: boolean; pendingEvents?: { event: { type: string; data: { personId?: string } } }[] }>('retention_disposals').findOne({ _id: 'note:a-1' });
    // Archived, not disposed: nothing to publish yet.
    expect(await outbox()).toMatchObject({ status: 'archived' });
    expect((await outbox())!.pendingEvents ?? []).toEqual([]);
    refuseDispose.clear();
    expect(await retention.sweep()).toMatchObject({ disposed: 1, failed: 0 });
    expect((await outbox())!.pendingEvents!.map((p) => p.event.type)).toEqual(['dk.spor.privacy.retention.disposed.v1', 'dk.spor.identity.person.removed.v1']);
    expect((await outbox())!.pendingEvents![1]!.event.data.personId).toBe(announcedPerson);
  });

  test('a record disposed of now (disposeNow) goes the same way, logged with its own purpose; a child under a legal hold keeps it', async () => {
    const now1 = randomUUID();
    await records.insertMany([{ _id: 'now-1', childId: now1, municipalityId: '510', closedAt: now }, { _id: 'now-2', childId: heldChild, municipalityId: '510', closedAt: now }]);
    const candidate = (id: string, childId: string) => ({ id, municipalityId: '510', childId, retainedFrom: now, record: { _id: id } });
    expect(await retention.disposeNow('note', candidate('now-1', now1), 'registered-in-error')).toBe('deleted');
    expect(await records.countDocuments({ _id: 'now-1' })).toBe(0);
    expect((await audit.forChild(now1)).map((e) => [e.operation, e.purpose])).toEqual([
      ['archive', 'registered-in-error'],
      ['delete', 'registered-in-error'],
    ]);
    const hold = await holds.place({ childId: heldChild, municipalityId: '510', caseRef: 'SAG-2030-99', placedBy: 'leader-1', at: now });
    await expect(retention.disposeNow('note', candidate('now-2', heldChild), 'registered-in-error')).rejects.toMatchObject({ status: 409, code: 'LEGAL_HOLD' });
    expect(await records.countDocuments({ _id: 'now-2' })).toBe(1);
    await holds.release(heldChild, hold._id, 'leader-1', now);
    await records.deleteOne({ _id: 'now-2' });
  });

  test('a record found in use again after it was archived is kept: its disposal is called off, nothing is deleted or announced', async () => {
    steps.length = 0;
    const again = randomUUID();
    await records.insertOne({ _id: 'k-1', childId: again, municipalityId: '510', closedAt });
    now = new Date(closedAt.getTime() + 40 * DAY);
    inUseAgain.add('k-1');
    expect(await retention.sweep()).toMatchObject({ archived: 1, disposed: 0, failed: 0, kept: 1 });
    expect(await records.countDocuments({ _id: 'k-1' })).toBe(1);
    expect(steps).toEqual(['archive k-1']);
    // No disposal left behind: not retried as an interrupted one, no event waiting to be published.
    expect(await retention.disposalsOf(again)).toEqual([]);
    expect((await audit.forChild(again)).map((e) => e.operation)).toEqual(['archive']);
    // Asked for now, it is refused by name.
    await expect(retention.disposeNow('note', { id: 'k-1', municipalityId: '510', childId: again, retainedFrom: now, record: { _id: 'k-1' } }, 'registered-in-error')).rejects.toMatchObject({ status: 409, code: 'RECORD_IN_USE' });
    expect(await records.countDocuments({ _id: 'k-1' })).toBe(1);
    // Out of use again: its new clock runs out, and it goes.
    inUseAgain.clear();
    expect(await retention.sweep()).toMatchObject({ archived: 1, disposed: 1, kept: 0 });
    expect(await records.countDocuments({ _id: 'k-1' })).toBe(0);
  });

  test('a municipality’s own period counts instead of the default', async () => {
    await records.insertMany([{ _id: 'n-3', childId: child, municipalityId: '561', closedAt }, { _id: 'n-4', childId: child, municipalityId: '510', closedAt }]);
    await retention.setPeriod('561', 'note', 90, 'admin-1');
    now = new Date(closedAt.getTime() + 60 * DAY);
    await retention.sweep();
    expect((await records.find({}).toArray()).map((r) => r._id)).toEqual(['n-3']);
    expect((await retention.periods('561'))[0]).toMatchObject({ kind: 'note', days: 90, defaultDays: 30, overridden: true });
  });

  test('a legal hold keeps the child’s records past their period until it is released', async () => {
    await records.insertOne({ _id: 'n-5', childId: heldChild, municipalityId: '510', closedAt });
    const hold = await holds.place({ childId: heldChild, municipalityId: '510', caseRef: 'SAG-2030-17', placedBy: 'leader-1', at: now });
    now = new Date(closedAt.getTime() + 365 * DAY);
    expect(await retention.sweep()).toMatchObject({ held: 1 });
    expect(await records.countDocuments({ _id: 'n-5' })).toBe(1);
    await holds.release(heldChild, hold._id, 'leader-1', now);
    await retention.sweep();
    expect(await records.countDocuments({ _id: 'n-5' })).toBe(0);
  });

  test('two replicas never sweep at once: the second skips while the first holds the lease, and a dead holder\'s lease is taken over once expired', async () => {
    steps.length = 0;
    await records.insertOne({ _id: 'n-6', childId: child, municipalityId: '510', closedAt });
    now = new Date(closedAt.getTime() + 400 * DAY);
    // The first replica's archive answers only when the test lets it: its sweep holds the lease meanwhile.
    let letArchive!: () => void;
    const archiving = new Promise<void>((resolve) => (letArchive = resolve));
    let archiveCalls = 0;
    let entered!: () => void;
    const inArchive = new Promise<void>((resolve) => (entered = resolve));
    const slow: ArchiveHook = {
      async archive(pkg) {
        archiveCalls++;
        entered();
        await archiving;
        return archiveHook().archive(pkg);
      },
    };
    const replica = (archive: ArchiveHook) => new Retention({ service: 'test-service', db, kinds: [kind], archive, holds, audit, registry: contractRegistry(), clock: () => now, logger: quietLogger() });
    const first = replica(slow).sweep();
    await inArchive;
    // The second replica's archive answers at once: without the lease it would archive n-6 too.
    const counting: ArchiveHook = {
      archive(pkg) {
        archiveCalls++;
        return archiveHook().archive(pkg);
      },
    };
    expect(await replica(counting).sweep()).toEqual({ archived: 0, disposed: 0, held: 0, failed: 0, kept: 0, skipped: 'another replica is sweeping' });
    letArchive();
    expect(await first).toEqual({ archived: 1, disposed: 1, held: 0, failed: 0, kept: 0 });
    expect(archiveCalls).toBe(1);
    expect(steps).toEqual(['archive n-6', 'delete n-6']);
    expect((await retention.disposalsOf(child)).filter((d) => d.recordId === 'n-6')).toHaveLength(1);

    // Released at the end: the next sweep of any replica runs.
    expect((await replica(slow).sweep()).skipped).toBeUndefined();

    // A replica died holding the lease: kept until it expires, then taken over.
    const leases = db.collection<{ _id: string; holder: string; until: Date }>(SweepLease.collection);
    await leases.insertOne({ _id: 'sweep', holder: 'dead-replica', until: new Date(Date.now() + 60_000) });
    expect((await retention.sweep()).skipped).toBe('another replica is sweeping');
    await leases.updateOne({ _id: 'sweep' }, { $set: { until: new Date(Date.now() - 1) } });
    expect((await retention.sweep()).skipped).toBeUndefined();
    expect(await leases.countDocuments({})).toBe(0);
  });

  test('a sweep that stalled past its lease learns that another replica took it over, and stops', async () => {
    const leases = db.collection<{ _id: string; holder: string; until: Date }>(uniqueName('leases'));
    let t = 1_000_000;
    const a = new SweepLease(leases, 1_000, () => t);
    const b = new SweepLease(leases, 1_000, () => t);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    t += 500;
    expect(await a.keep()).toBe(true); // renewed: now held until t + 1000
    t += 900;
    expect(await b.acquire()).toBe(false);
    t += 200;
    expect(await b.acquire()).toBe(true);
    expect(await a.keep()).toBe(false);
    await a.release(); // not a's any more: b's lease stays
    expect(await leases.countDocuments({ holder: { $exists: true } })).toBe(1);
    await b.release();
    expect(await leases.countDocuments({})).toBe(0);
  });
});

describe('finishing a disposal deletes only the state that was archived', () => {
  type Result = { _id: string; version: number; municipalityId: string; childId: string; testedOn: string; score: number; hasPending?: boolean; pendingEvents?: unknown[] };
  const locks = new KeyedMutex();
  const testDay = (r: { testedOn: string }) => new Date(`${r.testedOn}T00:00:00Z`);
  /** An aggregate kind as the services declare one: candidates and disposal by version and clock. */
  const resultKind = (results: Collection<Result>, name: string): RetainedKind => ({
    kind: name,
    description: 'test results, from the day of the test',
    defaultDays: 30,
    publicRecord: false,
    candidates: (startedBy) => aggregateCandidates(results, {}, startedBy, (r) => ({ childId: r.childId, retainedFrom: testDay(r) })),
    ofChild: async () => [],
    dispose: (id, retainedFrom, version) => disposeAggregate(results, id, { locks, what: `result ${id}`, archived: { retainedFrom, version }, clockOf: testDay }),
  });
  /** The packages under a service's folder for a kind, newest last, with the fingerprint each holds. */
  const packages = async (service: string, name: string) => {
    const folder = join(dir, service, '510', name);
    const files = await readdir(folder);
    return Promise.all(files.map(async (f) => (JSON.parse(await readFile(join(folder, f), 'utf8')) as { package: ArchivePackage }).package));
  };

  test('a correction made after the record was archived is not deleted by the disposal: it is kept, archived afresh, and only then goes', async () => {
    const results = db.collection<Result>(uniqueName('results'));
    await db.createCollection(results.collectionName);
    const childId = randomUUID();
    const v1: Result = { _id: 'x-1', version: 1, municipalityId: '510', childId, testedOn: '2030-01-01', score: 12 };
    await results.insertOne({ ...v1, hasPending: false, pendingEvents: [] });
    // An import correction lands right after the archive took v1, its event not yet published.
    let correct = true;
    const correcting: ArchiveHook = {
      async archive(pkg) {
        const ref = await new DirectoryArchive(dir).archive(pkg);
        if (correct) {
          correct = false;
          await results.updateOne({ _id: 'x-1' }, { $set: { score: 14, hasPending: true, pendingEvents: [{ id: 'e-2' }] }, $inc: { version: 1 } });
        }
        return ref;
      },
    };
    const clockNow = new Date('2030-03-01T00:00:00Z');
    const r = new Retention({ service: 'test-corrected', db, kinds: [resultKind(results, 'result')], archive: correcting, holds, audit, registry: contractRegistry(), clock: () => clockNow, logger: quietLogger() });
    await r.init();
    // v1 archived; v2 is not the record archived: its disposal is called off, nothing deleted.
    expect(await r.sweep()).toMatchObject({ archived: 1, disposed: 0, failed: 0, kept: 1 });
    expect(await results.findOne({ _id: 'x-1' })).toMatchObject({ version: 2, score: 14 });
    expect(await r.disposalsOf(childId)).toEqual([]);
    // The relay publishes; v2 is archived afresh (its clock ran out already) and only then deleted.
    await results.updateOne({ _id: 'x-1' }, { $set: { hasPending: false, pendingEvents: [] } });
    expect(await r.sweep()).toMatchObject({ archived: 1, disposed: 1, failed: 0, kept: 0 });
    expect(await results.countDocuments({ _id: 'x-1' })).toBe(0);
    const v2 = { ...v1, version: 2, score: 14 };
    const [disposal] = await r.disposalsOf(childId);
    expect(disposal).toMatchObject({ status: 'disposed', recordVersion: 2, recordSha256: fingerprint(v2) });
    // The archive holds both states, each as its own package: what went is in it.
    expect((await packages('test-corrected', 'result')).map((p) => p.recordSha256).sort()).toEqual([fingerprint(v1), fingerprint(v2)].sort());
  });

  test('a record deleted whose disposal was not finished (its audit entry failed), then re-created under the same id, is not deleted by the next sweep', async () => {
    const results = db.collection<Result>(uniqueName('results'));
    await db.createCollection(results.collectionName);
    const childId = randomUUID();
    // Version 1, as the one re-created later will be: only its clock tells them apart.
    await results.insertOne({ _id: 'c-1', version: 1, municipalityId: '510', childId, testedOn: '2030-01-01', score: 3, hasPending: false, pendingEvents: [] });
    let failDeleteEntry = true;
    const flaky = new Proxy(audit, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (key !== 'record') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        return async (...args: Parameters<AuditLog['record']>) => {
          if (failDeleteEntry && args[1].action === 'delete') {
            failDeleteEntry = false;
            throw new Error('the audit store did not answer');
          }
          return target.record(...args);
        };
      },
    });
    let clockNow = new Date('2030-03-01T00:00:00Z');
    const r = new Retention({ service: 'test-recreated', db, kinds: [resultKind(results, 'recreated')], archive: new DirectoryArchive(dir), holds, audit: flaky, registry: contractRegistry(), clock: () => clockNow, logger: quietLogger() });
    await r.init();
    expect(await r.sweep()).toMatchObject({ archived: 1, disposed: 0, failed: 1 });
    expect(await results.countDocuments({ _id: 'c-1' })).toBe(0);
    // Asked for again: the same id, version 1, a clock of its own that has not run out.
    await results.insertOne({ _id: 'c-1', version: 1, municipalityId: '510', childId, testedOn: '2030-02-20', score: 5, hasPending: false, pendingEvents: [] });
    clockNow = new Date('2030-03-02T00:00:00Z');
    expect(await r.sweep()).toMatchObject({ archived: 0, disposed: 0, failed: 0, kept: 1 });
    expect(await results.findOne({ _id: 'c-1' })).toMatchObject({ testedOn: '2030-02-20', score: 5 });
  });
});

describe('disposeAggregate', () => {
  type Doc = { _id: string; version: number; open: boolean; hasPending: boolean; pendingEvents: unknown[] };
  let docs: Collection<Doc>;
  const locks = new KeyedMutex();
  const options = (what: string) => ({ locks, what, inUse: (d: Doc) => d.open });

  beforeAll(async () => {
    docs = db.collection<Doc>(uniqueName('aggregates'));
    await db.createCollection(docs.collectionName);
  });

  test('deletes a document out of use; again after a crash it finds nothing and says deleted', async () => {
    await docs.insertOne({ _id: 'd-1', version: 3, open: false, hasPending: false, pendingEvents: [] });
    expect(await disposeAggregate(docs, 'd-1', options('doc d-1'))).toBe('deleted');
    expect(await docs.countDocuments({ _id: 'd-1' })).toBe(0);
    expect(await disposeAggregate(docs, 'd-1', options('doc d-1'))).toBe('deleted');
  });

  test('keeps a document in use again, and one whose events wait for the relay', async () => {
    await docs.insertMany([
      { _id: 'd-2', version: 1, open: true, hasPending: false, pendingEvents: [] },
      { _id: 'd-3', version: 1, open: false, hasPending: true, pendingEvents: [{ id: 'e-1' }] },
    ]);
    expect(await disposeAggregate(docs, 'd-2', options('doc d-2'))).toBe('kept');
    await expect(disposeAggregate(docs, 'd-3', options('doc d-3'))).rejects.toThrow(/doc d-3 has events the relay has not published yet/);
    expect(await docs.countDocuments({ _id: { $in: ['d-2', 'd-3'] } })).toBe(2);
  });

  test('does not delete a document another process wrote after it was read: that throws, and the next try sees the write', async () => {
    await docs.insertOne({ _id: 'd-4', version: 1, open: false, hasPending: false, pendingEvents: [] });
    // Another process (no shared lock) places the child again right after the read.
    let first = true;
    const racing = new Proxy(docs, {
      get(target, key, receiver) {
        if (key !== 'findOne') return Reflect.get(target, key, receiver);
        return async (...args: Parameters<Collection<Doc>['findOne']>) => {
          const found = await target.findOne(...args);
          if (first) {
            first = false;
            await target.updateOne({ _id: 'd-4' }, { $set: { open: true }, $inc: { version: 1 } });
          }
          return found;
        };
      },
    });
    await expect(disposeAggregate(racing, 'd-4', options('doc d-4'))).rejects.toThrow(/doc d-4 was changed while it was disposed of/);
    expect(await docs.findOne({ _id: 'd-4' })).toMatchObject({ version: 2, open: true });
    expect(await disposeAggregate(docs, 'd-4', options('doc d-4'))).toBe('kept');
  });

  test('deletes only the version archived: another version is kept; without a version (a disposal archived before versions were kept) the one read goes', async () => {
    await docs.insertMany([
      { _id: 'd-5', version: 2, open: false, hasPending: false, pendingEvents: [] },
      { _id: 'd-6', version: 4, open: false, hasPending: false, pendingEvents: [] },
    ]);
    const retainedFrom = new Date('2030-01-01T00:00:00Z');
    expect(await disposeAggregate(docs, 'd-5', { ...options('doc d-5'), archived: { retainedFrom, version: 1 } })).toBe('kept');
    expect(await docs.countDocuments({ _id: 'd-5' })).toBe(1);
    expect(await disposeAggregate(docs, 'd-5', { ...options('doc d-5'), archived: { retainedFrom, version: 2 } })).toBe('deleted');
    expect(await docs.countDocuments({ _id: 'd-5' })).toBe(0);
    expect(await disposeAggregate(docs, 'd-6', { ...options('doc d-6'), archived: { retainedFrom } })).toBe('deleted');
    expect(await docs.countDocuments({ _id: 'd-6' })).toBe(0);
  });
});

describe('the disposal log', () => {
  test('with a proof period, disposals older than it go once published; newer ones, unpublished ones and unfinished ones stay; without one, all stay', async () => {
    const own = client.db(uniqueName('privacy-disposal-log'));
    try {
      for (const name of [AuditLog.collection, LegalHolds.collection, ...Retention.collections]) await own.createCollection(name);
      const ownAudit = new AuditLog(own, { service: 'test-service', clock: () => now });
      await ownAudit.init();
      const ownHolds = new LegalHolds(own);
      await ownHolds.init();
      const at = (day: string) => new Date(`${day}T00:00:00Z`);
      const entry = (id: string, status: string, disposedAt: Date, hasPending = false) => ({ _id: id, kind: 'note', recordId: id, municipalityId: '510', childId: randomUUID(), retainedFrom: at('2030-01-01'), archiveRef: `ref-${id}`, status, disposedAt, hasPending, pendingEvents: hasPending ? [{ id: randomUUID() }] : [], outboxSeq: 1 });
      await own.collection('retention_disposals').insertMany([
        entry('old', 'disposed', at('2038-01-01')),
        entry('old-unpublished', 'disposed', at('2038-01-01'), true),
        entry('recent', 'disposed', at('2039-12-01')),
        // Archived, its disposal not finished: never pruned (a kind this service does not retain, so the sweep passes it over).
        { ...entry('unfinished', 'archived', at('2038-01-01')), kind: 'gone-kind' },
      ] as never[]);
      const ids = async () => (await own.collection('retention_disposals').find({}).toArray()).map((d) => d._id).sort();
      const make = (disposalLogDays?: number) => new Retention({ service: 'test-service', db: own, kinds: [], archive: archiveHook(), holds: ownHolds, audit: ownAudit, registry: contractRegistry(), clock: () => now, logger: quietLogger(), ...(disposalLogDays ? { disposalLogDays } : {}) });
      now = at('2040-01-01');
      await make().sweep();
      expect(await ids()).toEqual(['old', 'old-unpublished', 'recent', 'unfinished']);
      await make(365).sweep();
      expect(await ids()).toEqual(['old-unpublished', 'recent', 'unfinished']);
    } finally {
      await own.dropDatabase();
    }
  });
});
