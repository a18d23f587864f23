// The audit trail against a real MongoDB-wire server: entries name actor, roles, action and
// record, and a child's accesses are one query; every entry is chained to the one before, so
// the verify command finds a changed or removed entry and names it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient, type Collection, type Db } from 'mongodb';
import type { Principal } from '@spor/auth';
import { contractRegistry } from '@spor/contracts';
import { KafkajsTransport } from '@spor/events';
import { quietLogger, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { ServiceRuntime, containsCpr } from '@spor/service-kit';
import { connectMongo } from '@spor/mongo';
import { AuditShipper } from '../src/shipper.js';
import { AUDIT_EVENT_TYPE, AUDIT_TOPIC, AuditLog, accessEvent, auditShipping, entryId, eventIdOf, formatHash, startAuditLog, verifyAuditLog, type AuditEntry, type ChainState } from '../src/index.js';

let client: MongoClient;
let db: Db;
const { brokers, mongoUrl } = testInfra();

beforeAll(async () => {
  client = await MongoClient.connect(mongoUrl);
  db = client.db(uniqueName('audit-test'));
  for (const name of AuditLog.collections) await db.createCollection(name);
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

const educator: Principal = { subject: 'staff-1', kind: 'staff', municipalityId: '510', roles: [{ role: 'educator', unitId: 'group-1' }], children: [], scopes: [], expiresAt: new Date() };
const cli = fileURLToPath(new URL('../src/verify-cli.ts', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs `npm run audit:verify`'s program as an operator would; answers its exit code and output. */
async function verifyCommand(dbName: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await promisify(execFile)(`${root}node_modules/.bin/tsx`, ['--conditions=spor-source', cli, '--db', dbName], { env: { ...process.env, MONGO_URL: mongoUrl }, cwd: root });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

describe('audit log', () => {
  test('records who did what to which record about which child, in order, in the one format', async () => {
    const audit = new AuditLog(db, { service: 'assessments', instanceId: uniqueName('replica') });
    await audit.init();
    await audit.record(educator, { action: 'read', recordType: 'assessment', recordId: 'a-1', childId: 'child-1', institutionId: 'inst-1' });
    await audit.record(educator, { action: 'complete', recordType: 'assessment', recordId: 'a-1', childId: 'child-1' });
    await audit.record(educator, { action: 'read', recordType: 'assessment', recordId: 'a-2', childId: 'child-2' });
    const entries = await audit.forChild('child-1');
    expect(entries.map((e) => [e.action, e.operation, e.recordId, e.actor, e.actorKind, e.roles, e.municipalityId, e.service])).toEqual([
      ['read', 'read', 'a-1', 'staff-1', 'staff', ['educator@group-1'], '510', 'assessments'],
      ['change', 'complete', 'a-1', 'staff-1', 'staff', ['educator@group-1'], '510', 'assessments'],
    ]);
    expect(entries[0]!.institutionId).toBe('inst-1');
    expect((await audit.forRecord('a-2')).map((e) => e.childId)).toEqual(['child-2']);
  });

  test('a search keeps its criterion as ids and codes; a CPR number or free text in it is refused', async () => {
    const audit = new AuditLog(db, { service: 'assessments' });
    await audit.init();
    await audit.record(educator, { action: 'search', recordType: 'assessment', recordId: null, criterion: { institutionId: 'inst-1', instrument: 'topi', due: true } });
    await expect(audit.record(educator, { action: 'search', recordType: 'person', recordId: null, criterion: { cpr: '0101201234' } })).rejects.toThrow(/no CPR/);
    await expect(audit.record(educator, { action: 'search', recordType: 'person', recordId: null, criterion: { text: 'bekymret for Anna' } })).rejects.toThrow(/no free text/);
    await expect(audit.record(educator, { action: 'peek', recordType: 'person', recordId: null })).rejects.toThrow(/unknown verb "peek"/);
  });

  test('an entry’s shipped event is pseudonymous, valid against the contract, the same event each time it is made, with no free-text purpose', async () => {
    const audit = new AuditLog(db, { service: 'identity', instanceId: uniqueName('replica') });
    await audit.init();
    await audit.record(educator, { action: 'read-cpr', recordType: 'person', recordId: 'p-1', childId: 'child-9', purpose: 'ressourcevurdering, sag 42' });
    const [stored] = await db.collection<AuditEntry>(AuditLog.collection).find({ childId: 'child-9' }).toArray();
    // The entry holds no copy of its event and no outbox flag: the chain's watermark says what is shipped.
    expect(Object.keys(stored!).filter((k) => ['pendingEvents', 'hasPending', 'outboxGroup'].includes(k))).toEqual([]);
    const event = accessEvent(stored!, contractRegistry());
    expect(accessEvent(stored!, contractRegistry())).toEqual(event);
    expect(event.id).toBe(eventIdOf(stored!));
    expect(eventIdOf({ ...stored!, hash: formatHash('0'.repeat(64)) })).not.toBe(event.id);
    expect(contractRegistry().check(event)).toEqual([]);
    expect(event).toMatchObject({ type: AUDIT_EVENT_TYPE, source: 'spor/identity', subject: 'child-9', partitionkey: audit.chain, data: { action: 'read', operation: 'read-cpr', actorId: 'staff-1', roles: [{ role: 'educator', unitId: 'group-1' }], purposeRecorded: true, seq: 1 } });
    expect(JSON.stringify(event)).not.toContain('sag 42');
  });

  test('concurrent writes of two replicas form two unbroken chains; a changed or removed entry is named by the verify command', async () => {
    const own = client.db(uniqueName('audit-chain'));
    for (const name of AuditLog.collections) await own.createCollection(name);
    try {
      const replicas = [new AuditLog(own, { service: 'consent', instanceId: 'replica-a' }), new AuditLog(own, { service: 'consent', instanceId: 'replica-b' })];
      for (const r of replicas) await r.init();
      await Promise.all(Array.from({ length: 60 }, (_, i) => replicas[i % 2]!.record(educator, { action: 'read', recordType: 'consent', recordId: `c-${i}`, childId: 'child-3' })));
      expect(await verifyAuditLog(own)).toEqual({ ok: true, chains: 2, entries: 60 });
      const intact = await verifyCommand(own.databaseName);
      expect(intact.code).toBe(0);
      expect(intact.out).toContain('60 entries in 2 chain(s), all intact');

      // A restarted replica with the same instance id continues its chain.
      const restarted = new AuditLog(own, { service: 'consent', instanceId: 'replica-a' });
      await restarted.init();
      await restarted.record(educator, { action: 'read', recordType: 'consent', recordId: 'c-60', childId: 'child-3' });
      expect((await own.collection<AuditEntry>(AuditLog.collection).findOne({ recordId: 'c-60' }))!._id).toBe(entryId('replica-a', 31));
      expect((await verifyAuditLog(own)).ok).toBe(true);

      // Someone hides that they read c-7: the entry now says it was another record.
      const entries = own.collection<AuditEntry>(AuditLog.collection);
      await entries.updateOne({ _id: entryId('replica-b', 4) }, { $set: { recordId: 'c-999' } });
      const changed = await verifyCommand(own.databaseName);
      expect(changed.code).toBe(1);
      expect(changed.out).toContain(`BROKEN at entry ${entryId('replica-b', 4)}`);
      expect(changed.out).toContain('hash differs');
      await entries.updateOne({ _id: entryId('replica-b', 4) }, { $set: { recordId: 'c-7' } });
      expect((await verifyAuditLog(own)).ok).toBe(true);

      // ... or removes it.
      await entries.deleteOne({ _id: entryId('replica-a', 10) });
      const removed = await verifyCommand(own.databaseName);
      expect(removed.code).toBe(1);
      expect(removed.out).toContain(`BROKEN at entry ${entryId('replica-a', 10)}`);
      expect(removed.out).toContain('entry missing');
    } finally {
      await own.dropDatabase();
    }
  });

  test('retention removes a chain’s shipped entries older than the period, oldest first; what stays still verifies and the chain goes on', async () => {
    const own = client.db(uniqueName('audit-prune'));
    for (const name of AuditLog.collections) await own.createCollection(name);
    try {
      let now = new Date('2020-01-01T10:00:00Z');
      const clock = () => now;
      const audit = new AuditLog(own, { service: 'consent', instanceId: 'pruned', clock });
      await audit.init();
      const read = (i: number) => audit.record(educator, { action: 'read', recordType: 'consent', recordId: `c-${i}`, childId: 'child-5' });
      for (let i = 1; i <= 8; i++) await read(i);
      now = new Date('2026-01-01T10:00:00Z');
      for (let i = 9; i <= 10; i++) await read(i);
      const entries = own.collection<AuditEntry>(AuditLog.collection);
      const ship = (upTo: number) => own.collection<ChainState>(AuditLog.chainsCollection).updateOne({ _id: 'pruned' }, { $set: { shipped: upTo } });
      const left = async () => (await entries.find({}, { projection: { seq: 1 } }).sort({ seq: 1 }).toArray()).map((e) => e.seq);
      const cutoff = new Date('2025-01-01T00:00:00Z');

      // Nothing shipped yet: nothing goes (the stream must have it first).
      expect(await audit.prune(cutoff)).toBe(0);
      // Shipped up to 4: the prefix goes, nothing after it.
      await ship(4);
      expect(await audit.prune(cutoff)).toBe(4);
      expect(await left()).toEqual([5, 6, 7, 8, 9, 10]);
      expect(await verifyAuditLog(own)).toEqual({ ok: true, chains: 1, entries: 6 });
      expect(await own.collection(AuditLog.chainsCollection).findOne({ _id: 'pruned' as never })).toMatchObject({ seq: 4 });
      await ship(10);
      // A sweep removes at most its budget; the next one goes on where it stopped.
      expect(await audit.prune(cutoff, 3)).toBe(3);
      expect(await left()).toEqual([8, 9, 10]);
      expect(await audit.prune(cutoff)).toBe(1);
      expect(await audit.prune(cutoff)).toBe(0);
      expect(await left()).toEqual([9, 10]);
      const verified = await verifyCommand(own.databaseName);
      expect(verified.out).toContain('2 entries in 1 chain(s), all intact');

      // A prune that stopped after moving the start: verification passes over what it covers.
      const nine = (await entries.findOne({ seq: 9 }))!;
      await own.collection<{ _id: string; seq: number; hash: string }>(AuditLog.chainsCollection).updateOne({ _id: 'pruned' }, { $set: { seq: 9, hash: nine.hash } });
      expect(await verifyAuditLog(own)).toEqual({ ok: true, chains: 1, entries: 1 });
      // Every entry gone: the chain goes on from the last one removed, in this process and after a restart.
      expect(await audit.prune(new Date('2027-01-01T00:00:00Z'))).toBe(2);
      expect(await left()).toEqual([]);
      await read(11);
      const restarted = new AuditLog(own, { service: 'consent', instanceId: 'pruned', clock });
      await restarted.init();
      await restarted.record(educator, { action: 'read', recordType: 'consent', recordId: 'c-12', childId: 'child-5' });
      expect(await left()).toEqual([11, 12]);
      expect(await verifyAuditLog(own)).toEqual({ ok: true, chains: 1, entries: 2 });
      // ... and a removed entry after the start is still named.
      await entries.deleteOne({ seq: 11 });
      expect(await verifyAuditLog(own)).toMatchObject({ ok: false, firstBroken: { seq: 11, reason: expect.stringContaining('entry missing') } });
    } finally {
      await own.dropDatabase();
    }
  });

  test('a log written before chains were registered has its chains found at start, so retention reaches them', async () => {
    const own = client.db(uniqueName('audit-legacy'));
    for (const name of AuditLog.collections) await own.createCollection(name);
    try {
      const old = new AuditLog(own, { service: 'consent', instanceId: 'old-replica' });
      await old.init();
      await old.record(educator, { action: 'read', recordType: 'consent', recordId: 'c-1', childId: 'child-6' });
      await own.collection(AuditLog.chainsCollection).deleteMany({});
      const current = new AuditLog(own, { service: 'consent', instanceId: 'new-replica' });
      await current.init();
      expect((await own.collection(AuditLog.chainsCollection).find({}).sort({ _id: 1 }).toArray()).map((c) => [c._id, c.seq])).toEqual([
        ['new-replica', 0],
        ['old-replica', 0],
      ]);
      // Found in the entries, the old chain is taken as shipped to its end (its entries carry no pending flag).
      expect(await own.collection<ChainState>(AuditLog.chainsCollection).findOne({ _id: 'old-replica' })).toMatchObject({ shipped: 1, closed: false });
      expect(await current.prune(new Date(Date.now() + 1000))).toBe(1);
    } finally {
      await own.dropDatabase();
    }
  });

  test('a service’s audit log started with its retention prunes on schedule what it has shipped and the period has passed', async () => {
    const name = uniqueName('audit-scheduled');
    const connection = await connectMongo({ url: mongoUrl, dbName: name, logger: quietLogger(), attempts: 3 });
    const transport = new KafkajsTransport({ clientId: 'audit-retention-test', brokers, logger: quietLogger() });
    const runtime = new ServiceRuntime(quietLogger(), 5_000);
    let now = new Date('2026-01-01T10:00:00Z');
    try {
      const audit = await startAuditLog({ connection, db: connection.db!, transport }, 'consent', {
        clock: () => now,
        runtime,
        logger: quietLogger(),
        config: { AUDIT_RETENTION_DAYS: 30, AUDIT_RETENTION_SWEEP_SECONDS: 5, AUDIT_RETENTION_BATCH: 100, AUDIT_SHIPPING_BEAT_SECONDS: 1, AUDIT_WRITER_STALE_BEATS: 3 },
      });
      // The configured beat (1 s, not the default 10 s) keeps the chain's aliveAt fresh.
      const chains = connection.db!.collection<ChainState>(AuditLog.chainsCollection);
      const firstBeat = (await waitFor('the first beat', async () => (await chains.findOne({ _id: audit.chain }))?.aliveAt))!;
      await waitFor('the next beat within seconds', async () => ((await chains.findOne({ _id: audit.chain }))?.aliveAt ?? firstBeat) > firstBeat, 5_000, 100);
      await audit.record(educator, { action: 'read', recordType: 'consent', recordId: 'c-1', childId: 'child-7' });
      now = new Date('2026-01-20T10:00:00Z');
      await audit.record(educator, { action: 'read', recordType: 'consent', recordId: 'c-2', childId: 'child-7' });
      // 31 days after the first read, 12 after the second: the first goes, once shipped.
      now = new Date('2026-02-01T10:00:00Z');
      const entries = connection.db!.collection<AuditEntry>(AuditLog.collection);
      await waitFor('the expired entry pruned', async () => (await entries.countDocuments({})) === 1, 20_000, 250);
      expect((await entries.find({}).toArray()).map((e) => e.recordId)).toEqual(['c-2']);
      expect(await verifyAuditLog(connection.db!)).toEqual({ ok: true, chains: 1, entries: 1 });
    } finally {
      await runtime.shutdown();
      await transport.close();
      await connection.dropDatabase();
      await connection.close();
    }
  });

  test('the shipper ships every entry from what the flush wrote, never reading an entry back nor writing one again: one chain update per round', async () => {
    // A client of its own that counts the commands on the audit log after start-up.
    const watched = await MongoClient.connect(mongoUrl, { monitorCommands: true });
    const transport = new KafkajsTransport({ clientId: 'audit-shipper-test', brokers, logger: quietLogger() });
    const own = watched.db(uniqueName('audit-shipped'));
    const audit = new AuditLog(own, { service: 'assessments', instanceId: uniqueName('shipped'), shipping: { transport, logger: quietLogger(), sweepIntervalMs: 60_000 } });
    try {
      for (const name of AuditLog.collections) await own.createCollection(name);
      await transport.ensureTopics([{ topic: AUDIT_TOPIC, partitions: 3 }]);
      await audit.init();
      const reads: string[] = [];
      const writes = { insert: 0, entryUpdates: 0, chainUpdates: 0 };
      watched.on('commandStarted', (e) => {
        if (e.commandName === 'find' && e.command.find === AuditLog.collection) reads.push(JSON.stringify(e.command.filter));
        if (e.commandName === 'insert' && e.command.insert === AuditLog.collection) writes.insert++;
        if (e.commandName === 'update' && e.command.update === AuditLog.collection) writes.entryUpdates++;
        if (e.commandName === 'update' && e.command.update === AuditLog.chainsCollection) writes.chainUpdates++;
      });
      await Promise.all(Array.from({ length: 25 }, (_, i) => audit.record(educator, { action: 'read', recordType: 'assessment', recordId: `r-${i}`, childId: 'child-4' })));
      const chains = own.collection<ChainState>(AuditLog.chainsCollection);
      await waitFor('every entry shipped', async () => (await chains.findOne({ _id: audit.chain }))?.shipped === 25);
      expect(reads).toEqual([]);
      // Concurrent records share group writes; no entry is written twice; the watermark moves once per round.
      expect(writes.insert).toBeLessThan(25);
      expect(writes.entryUpdates).toBe(0);
      expect(writes.chainUpdates).toBeGreaterThan(0);
      expect(writes.chainUpdates).toBeLessThanOrEqual(writes.insert);
      const shipped = await readTopicUntil(brokers, AUDIT_TOPIC, '25 events of this chain', (records) => records.filter((r) => r.key === audit.chain).length >= 25);
      const events = shipped.filter((r) => r.key === audit.chain).map((r) => JSON.parse(r.value!) as { id: string; data: { seq: number; entryId: string } });
      // In order on the chain's partition, each with the id its entry gives.
      expect(events.map((e) => e.data.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      const stored = await own.collection<AuditEntry>(AuditLog.collection).find({ chain: audit.chain }).sort({ seq: 1 }).toArray();
      expect(events.map((e) => e.id)).toEqual(stored.map((e) => eventIdOf(e)));
    } finally {
      await audit.stop();
      await transport.close();
      await own.dropDatabase();
      await watched.close();
    }
  });

  test('entries nobody shipped are shipped from the store: a restart under the same instance id, a writer that died (by others, once it stops beating), and a log from before the watermark', async () => {
    const own = client.db(uniqueName('audit-recovery'));
    const transport = new KafkajsTransport({ clientId: 'audit-recovery-test', brokers, logger: quietLogger() });
    const shipping = { transport, logger: quietLogger(), sweepIntervalMs: 200, staleAfterMs: 500 };
    const chains = own.collection<ChainState>(AuditLog.chainsCollection);
    const [fixed, dead, legacy] = [uniqueName('fixed'), uniqueName('dead'), uniqueName('legacy')];
    let restarted: AuditLog | undefined;
    try {
      for (const name of AuditLog.collections) await own.createCollection(name);
      await transport.ensureTopics([{ topic: AUDIT_TOPIC, partitions: 3 }]);
      // Three writers whose entries were stored but not shipped: they had no shipper (they died first).
      for (const chain of [fixed, dead, legacy]) {
        const writer = new AuditLog(own, { service: 'consent', instanceId: chain });
        await writer.init();
        for (let i = 1; i <= 3; i++) await writer.record(educator, { action: 'read', recordType: 'consent', recordId: `${chain}-${i}`, childId: 'child-8' });
      }
      // The legacy chain was written before the watermark: entry 1 published, 2 and 3 still carrying their events.
      const entries = own.collection<AuditEntry & { pendingEvents?: unknown[]; hasPending?: boolean }>(AuditLog.collection);
      const legacyEvent = { ...accessEvent((await entries.findOne({ _id: entryId(legacy, 2) }))!, contractRegistry()), id: '0f8fad5b-d9cb-469f-a165-70867728950e' };
      await entries.updateOne({ _id: entryId(legacy, 1) }, { $set: { pendingEvents: [], hasPending: false } });
      await entries.updateOne({ _id: entryId(legacy, 2) }, { $set: { pendingEvents: [{ event: legacyEvent }], hasPending: true } });
      // Entry 3's stored event no longer holds against its contract: it is not sent as stored.
      await entries.updateOne({ _id: entryId(legacy, 3) }, { $set: { pendingEvents: [{ event: { ...legacyEvent, id: 'not-a-uuid' } }], hasPending: true } });
      // The old log's outbox indexes go at the next start.
      await entries.createIndex({ hasPending: 1 });
      await chains.updateOne({ _id: legacy }, { $unset: { shipped: '', closed: '' } });

      // The fixed chain's writer comes back with a shipper: it ships its stored entries first, then the new one after them.
      restarted = new AuditLog(own, { service: 'consent', instanceId: fixed, shipping });
      await restarted.init();
      await restarted.record(educator, { action: 'read', recordType: 'consent', recordId: `${fixed}-4`, childId: 'child-8' });
      await waitFor('the fixed chain shipped', async () => (await chains.findOne({ _id: fixed }))?.shipped === 4, 20_000, 100);
      // The dead and the legacy writer never beat: shipped to their end by the restarted process (at its start), and closed.
      await waitFor('the stale chains shipped and closed', async () => (await chains.find({ _id: { $in: [dead, legacy] }, closed: true }).toArray()).length === 2, 20_000, 100);
      expect((await chains.find({ _id: { $in: [dead, legacy] } }).toArray()).map((c) => c.shipped)).toEqual([3, 3]);
      expect((await chains.findOne({ _id: fixed }))!.closed).toBe(false);

      const records = await readTopicUntil(brokers, AUDIT_TOPIC, 'the chains’ events', (r) => r.filter((m) => [fixed, dead, legacy].includes(m.key!)).length >= 9);
      const of = (chain: string) => records.filter((r) => r.key === chain).map((r) => JSON.parse(r.value!) as { id: string; data: { seq: number } });
      expect(of(fixed).map((e) => e.data.seq)).toEqual([1, 2, 3, 4]);
      expect(of(dead).map((e) => e.data.seq)).toEqual([1, 2, 3]);
      // The legacy entry still carrying its event is shipped as that event (same id); the one published before is not sent again.
      expect(of(legacy).map((e) => e.data.seq)).toEqual([2, 3]);
      expect(of(legacy)[0]!.id).toBe(legacyEvent.id);
      expect(of(legacy)[1]!.id).toBe(eventIdOf((await entries.findOne({ _id: entryId(legacy, 3) }))!));
      expect((await entries.indexes()).map((i) => i.name)).not.toContain('hasPending_1');
      expect(await verifyAuditLog(own)).toEqual({ ok: true, chains: 3, entries: 10 });
      // An operator sees where each chain's shipping stands.
      expect((await auditShipping(own)).filter((c) => [fixed, dead, legacy].includes(c.chain)).map((c) => [c.chain, c.head, c.shipped, c.waiting, c.closed]).sort()).toEqual(
        [
          [fixed, 4, 4, 0, false],
          [dead, 3, 3, 0, true],
          [legacy, 3, 3, 0, true],
        ].sort(),
      );
      const report = await verifyCommand(own.databaseName);
      expect(report.out).toContain(`chain ${dead}: shipped to 3 of 3 (0 waiting), closed`);
      expect(report.out).toMatch(new RegExp(`chain ${fixed}: shipped to 4 of 4 \\(0 waiting\\), writer beat 20`));
    } finally {
      await restarted?.stop();
      await transport.close();
      await own.dropDatabase();
    }
  });

  /** A chain of its own, in a database of its own: its writer and a shipper not yet started, cleaned up after `use`. */
  async function withOwnChain(name: string, use: (chain: { chain: string; writer: AuditLog; shipper: AuditShipper; entries: Collection<AuditEntry>; shipped: () => Promise<number | undefined> }) => Promise<void>): Promise<void> {
    const own = client.db(uniqueName(`audit-${name}`));
    const transport = new KafkajsTransport({ clientId: `audit-${name}-test`, brokers, logger: quietLogger() });
    const chain = uniqueName(name);
    const shipper = new AuditShipper({ entries: own.collection(AuditLog.collection), chains: own.collection(AuditLog.chainsCollection), chain, transport, registry: contractRegistry(), logger: quietLogger(), sweepIntervalMs: 60_000 });
    try {
      for (const collection of AuditLog.collections) await own.createCollection(collection);
      await transport.ensureTopics([{ topic: AUDIT_TOPIC, partitions: 3 }]);
      const writer = new AuditLog(own, { service: 'consent', instanceId: chain });
      await writer.init();
      await shipper.init();
      const shipped = async () => (await own.collection<ChainState>(AuditLog.chainsCollection).findOne({ _id: chain }))?.shipped;
      await use({ chain, writer, shipper, entries: own.collection<AuditEntry>(AuditLog.collection), shipped });
    } finally {
      await shipper.stop();
      await transport.close();
      await own.dropDatabase();
    }
  }

  test('entries a flush stored but never handed over (it failed half way) are read from the store and shipped in order before the next ones', async () => {
    await withOwnChain('gap', async ({ chain, writer, shipper, entries, shipped }) => {
      // The writer of the chain stores entries; the shipper is told of none of them but the last two.
      shipper.start();
      for (let i = 1; i <= 5; i++) await writer.record(educator, { action: 'read', recordType: 'consent', recordId: `c-${i}`, childId: 'child-2' });
      shipper.hand(await entries.find({ chain, seq: { $gte: 4 } }).sort({ seq: 1 }).toArray());
      await waitFor('the chain shipped', async () => (await shipped()) === 5, 20_000, 100);
      const records = await readTopicUntil(brokers, AUDIT_TOPIC, 'the chain’s events', (r) => r.filter((m) => m.key === chain).length >= 5);
      expect(records.filter((r) => r.key === chain).map((r) => (JSON.parse(r.value!) as { data: { seq: number } }).data.seq)).toEqual([1, 2, 3, 4, 5]);
    });
  });

  test('entries a failed flush stored after the ones handed over are shipped too, with no write after them', async () => {
    await withOwnChain('tail', async ({ chain, writer, shipper, entries, shipped }) => {
      for (let i = 1; i <= 5; i++) await writer.record(educator, { action: 'read', recordType: 'consent', recordId: `c-${i}`, childId: 'child-3' });
      // 1 to 3 handed over; 4 and 5 stored by a flush that then failed, which says so.
      shipper.hand(await entries.find({ chain, seq: { $lte: 3 } }).sort({ seq: 1 }).toArray());
      shipper.recheck();
      shipper.start();
      await waitFor('the whole chain shipped', async () => (await shipped()) === 5, 20_000, 100);
    });
  });

  test('a broker that refuses leaves the entries stored and waiting; they are shipped, in order, once it answers, and a stop ships what is held', async () => {
    const own = client.db(uniqueName('audit-outage'));
    const transport = new KafkajsTransport({ clientId: 'audit-outage-test', brokers, logger: quietLogger() });
    let refusing = true;
    let refused = 0;
    // The real broker behind a switch: while refusing, every send fails as a broker outage would.
    const flaky = Object.assign(Object.create(transport) as KafkajsTransport, {
      send: async (messages: Parameters<KafkajsTransport['send']>[0]) => {
        if (refusing) {
          refused++;
          throw new Error('broker unavailable');
        }
        return transport.send(messages);
      },
    });
    const metrics = new Registry();
    const audit = new AuditLog(own, { service: 'consent', instanceId: uniqueName('outage'), shipping: { transport: flaky, logger: quietLogger(), metrics, sweepIntervalMs: 60_000 } });
    const chains = own.collection<ChainState>(AuditLog.chainsCollection);
    try {
      for (const name of AuditLog.collections) await own.createCollection(name);
      await transport.ensureTopics([{ topic: AUDIT_TOPIC, partitions: 3 }]);
      await audit.init();
      for (let i = 1; i <= 4; i++) await audit.record(educator, { action: 'read', recordType: 'consent', recordId: `c-${i}`, childId: 'child-1' });
      await waitFor('a refused round', async () => refused >= 2, 10_000, 50);
      expect((await chains.findOne({ _id: audit.chain }))!.shipped).toBe(0);
      expect(await own.collection(AuditLog.collection).countDocuments({ chain: audit.chain })).toBe(4);
      expect(await metrics.getSingleMetricAsString('spor_audit_entries_waiting')).toContain('spor_audit_entries_waiting 4');
      refusing = false;
      await waitFor('the entries shipped after the outage', async () => (await chains.findOne({ _id: audit.chain }))?.shipped === 4, 20_000, 100);
      expect(await metrics.getSingleMetricAsString('spor_audit_shipping_failures_total')).toMatch(/spor_audit_shipping_failures_total [1-9]/);
      // Recorded and stopped at once: the stop step ships them before the producer goes.
      await Promise.all([5, 6, 7].map((i) => audit.record(educator, { action: 'read', recordType: 'consent', recordId: `c-${i}`, childId: 'child-1' })));
      await audit.stop();
      expect((await chains.findOne({ _id: audit.chain }))!.shipped).toBe(7);
      const records = await readTopicUntil(brokers, AUDIT_TOPIC, 'the chain’s events', (r) => r.filter((m) => m.key === audit.chain).length >= 7);
      expect(records.filter((r) => r.key === audit.chain).map((r) => (JSON.parse(r.value!) as { data: { seq: number } }).data.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    } finally {
      await audit.stop();
      await transport.close();
      await own.dropDatabase();
    }
  });

  // Plain hex hashes hold a run of ten digits that reads as a CPR number about once in a few
  // hundred; the scanners guarding events would then refuse the entry (found by the benchmark).
  test('hashes and entry ids can never read as a CPR number', () => {
    for (let i = 0; i < 20_000; i++) expect(containsCpr(formatHash(randomBytes(32).toString('hex')))).toBe(false);
    expect(containsCpr(formatHash('1501201234'.repeat(6) + '0101'))).toBe(false);
    for (const seq of [1, 1_012_000_000, 3_112_991_234, 999_999_999_999]) expect(containsCpr(entryId('pod-a.42.x', seq))).toBe(false);
    expect(() => new AuditLog(db, { instanceId: 'pod.0101201234' })).toThrow(/CPR/);
  });
});
