// The publishing path against the real broker and store: order per key, and no loss when
// the relay dies between publish and clear (the duplicate is absorbed downstream).
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'mongoose';
import type { Collection } from 'mongodb';
import { connectMongo } from '@spor/mongo';
import { Registry } from 'prom-client';
import { memoryLogger, quietLogger, readTopic, readTopicUntil, testInfra, uniqueName, waitFor } from '@spor/testkit';
import {
  AggregateStore,
  EventConsumer,
  deletePublished,
  documentLockKey,
  KafkajsTransport,
  KeyedMutex,
  OutboxRelay,
  ProcessedEventStore,
  outboxForInsert,
  type EventFactory,
  type EventTransport,
  type SporEvent,
  type WrittenOutbox,
} from '../src/index.js';
import { counterContract, incrementCounter, newCounterId, type Counter } from './fixtures/counter-events.js';

const here = dirname(fileURLToPath(import.meta.url));
const { brokers, mongoUrl } = testInfra();
const logger = quietLogger();
let connection: Connection;
let transport: KafkajsTransport;
const dbName = uniqueName('outbox-test');

beforeAll(async () => {
  connection = await connectMongo({ url: mongoUrl, dbName, logger, attempts: 3 });
  transport = new KafkajsTransport({ clientId: 'outbox-test', brokers, logger });
});

afterAll(async () => {
  await transport.close();
  await connection.dropDatabase().catch(() => undefined);
  await connection.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function setup(): Promise<ReturnType<typeof counterContract> & { collection: Collection<any> }> {
  const contract = counterContract(uniqueName('fx'));
  await transport.ensureTopics([{ topic: contract.topic, partitions: 3 }]);
  const name = uniqueName('counters');
  await connection.db!.createCollection(name);
  return { ...contract, collection: connection.db!.collection(name) };
}

/**
 * Stores a counter with its first event pending, as the AggregateStore would, but with what the
 * relay cannot always publish: the event on another `topic` (one that may not exist), `padding`
 * characters longer, or `events` events. Answers the counter's id.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function storePending(collection: Collection<any>, factory: EventFactory, type: string, options: { topic?: string; padding?: number; events?: number } = {}): Promise<string> {
  const id = newCounterId();
  const events = Array.from({ length: options.events ?? 1 }, (_, i) =>
    factory.create(type, { subject: id, municipalityId: '510', aggregateVersion: i + 1, data: { counterId: id, amount: 1 } }),
  );
  const outbox = outboxForInsert(events);
  const pendingEvents = outbox.pendingEvents.map((p) => ({
    ...p,
    ...(options.topic ? { topic: options.topic } : {}),
    ...(options.padding ? { event: { ...p.event, padding: 'x'.repeat(options.padding) } } : {}),
  }));
  await collection.insertOne({ _id: id, version: events.length, total: events.length, ...outbox, pendingEvents });
  return id;
}

async function pendingIds(collection: Collection): Promise<string[]> {
  return (await collection.find({ hasPending: true }).toArray()).map((d) => String(d._id)).sort();
}

async function publishFailures(metrics: Registry): Promise<Record<string, number>> {
  const metric = await metrics.getSingleMetric('spor_outbox_publish_failures_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.collection), v.value]));
}

describe('outbox relay', () => {
  test('when aggregates change concurrently, then each key’s events reach Kafka in version order and the outbox empties', async () => {
    const { factory, type, topic, collection } = await setup();
    const locks = new KeyedMutex();
    const relay = new OutboxRelay({ collections: [collection], transport, logger, locks, sweepIntervalMs: 200 });
    const store = new AggregateStore<Counter>({ collection, locks, relay, aggregate: 'counter' });
    relay.start();
    const ids = [newCounterId(), newCounterId(), newCounterId()];
    const perCounter = 15;
    // Two writers per counter race each other and the relay; version conflicts are retried.
    await Promise.all(
      [...ids, ...ids].map(async (id) => {
        for (let i = 0; i < perCounter / 3; i++) await incrementCounter(store, factory, type, id);
      }),
    );
    const extra = ids.map((id) => (async () => { for (let i = 0; i < perCounter / 3; i++) await incrementCounter(store, factory, type, id); })());
    await Promise.all(extra);

    const records = await readTopic(brokers, topic, ids.length * perCounter);
    await relay.stop();
    for (const id of ids) {
      const versions = records.filter((r) => r.key === id).map((r) => (JSON.parse(r.value!) as SporEvent).aggregateversion);
      expect(versions).toEqual(Array.from({ length: perCounter }, (_, i) => i + 1));
      expect(new Set(records.filter((r) => r.key === id).map((r) => r.partition)).size).toBe(1);
    }
    expect(records[0]?.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    await waitFor('outbox emptied', async () => (await collection.countDocuments({ hasPending: true })) === 0);
    const docs = await collection.find({}).toArray();
    expect(docs.map((d) => d.pendingEvents)).toEqual([[], [], []]);
    expect(docs.map((d) => [d.version, d.total])).toEqual([[perCounter, perCounter], [perCounter, perCounter], [perCounter, perCounter]]);
  });

  test('when a sweep publishes a document whose writer’s notification is still queued, then the notification publishes and clears nothing again', async () => {
    const { factory, type, topic, collection } = await setup();
    const locks = new KeyedMutex();
    const relay = new OutboxRelay({ collections: [collection], transport, logger, locks, sweepIntervalMs: 0 });
    // The writer's notification (carrying the outbox it wrote) is held back until the sweep has run.
    const held: [string, unknown, WrittenOutbox?][] = [];
    const late = { notify: (name: string, id: unknown, written?: WrittenOutbox) => void held.push([name, id, written]) } as unknown as OutboxRelay;
    const store = new AggregateStore<Counter>({ collection, locks, relay: late, aggregate: 'counter' });
    const id = newCounterId();
    await incrementCounter(store, factory, type, id);
    await incrementCounter(store, factory, type, id);
    expect(held.map(([, , written]) => written?.outboxSeq)).toEqual([1, 2]);
    expect(held[1]![2]!.pendingEvents).toHaveLength(2);

    expect(await relay.runOnce()).toBe(2);
    for (const [name, docId, written] of held) relay.notify(name, docId, written);
    // The sweep cleared what the notifications carry: no second clear.
    const updates = jest.spyOn(collection, 'updateOne');
    expect(await relay.runOnce()).toBe(0);
    expect(updates).not.toHaveBeenCalled();
    updates.mockRestore();
    // A third write after the sweep: only its own event goes out, from the notification alone.
    const third = new AggregateStore<Counter>({ collection, locks, relay, aggregate: 'counter' });
    await incrementCounter(third, factory, type, id);
    expect(await relay.runOnce()).toBe(1);
    expect(await collection.countDocuments({ hasPending: true })).toBe(0);
    const records = await readTopic(brokers, topic, 3);
    expect(records.map((r) => (JSON.parse(r.value!) as SporEvent).aggregateversion)).toEqual([1, 2, 3]);
  });

  test('when a sweep finds a document whose notification came in during the round, then it leaves the document to that notification', async () => {
    const { factory, type, topic, collection } = await setup();
    const locks = new KeyedMutex();
    const [first, second] = [newCounterId(), newCounterId()];
    let held: [string, unknown, WrittenOutbox?] | undefined;
    const relay: OutboxRelay = new OutboxRelay({
      collections: [collection],
      transport,
      logger,
      locks,
      sweepIntervalMs: 0,
      // The second writer's notification arrives while the round publishes the first document.
      afterPublish: () => {
        if (held) relay.notify(...held);
        held = undefined;
      },
    });
    const notifying = new AggregateStore<Counter>({ collection, locks, relay, aggregate: 'counter' });
    const late = { notify: (name: string, id: unknown, written?: WrittenOutbox) => void (held = [name, id, written]) } as unknown as OutboxRelay;
    await incrementCounter(notifying, factory, type, first);
    await incrementCounter(new AggregateStore<Counter>({ collection, locks, relay: late, aggregate: 'counter' }), factory, type, second);
    expect(await relay.runOnce()).toBe(1);
    expect((await collection.findOne({ _id: second as never }))?.hasPending).toBe(true);
    expect(await relay.runOnce()).toBe(1);
    expect(await collection.countDocuments({ hasPending: true })).toBe(0);
    const records = await readTopic(brokers, topic, 2);
    expect(records.map((r) => r.key).sort()).toEqual([first, second].sort());
  });

  test('when one of a round’s documents gains an event between publish and clear, then the others are cleared and it keeps only its new event', async () => {
    const { factory, type, topic, collection } = await setup();
    const locks = new KeyedMutex();
    const store = new AggregateStore<Counter>({ collection, locks, aggregate: 'counter' });
    const ids = [newCounterId(), newCounterId(), newCounterId()];
    for (const id of ids) await incrementCounter(store, factory, type, id);
    let writes = 0;
    const relay = new OutboxRelay({
      collections: [collection],
      transport,
      logger,
      locks,
      sweepIntervalMs: 0,
      // A writer gets in after the publish is acknowledged and before the clear takes the locks.
      afterPublish: async () => {
        if (writes++ === 0) await incrementCounter(store, factory, type, ids[1]!);
      },
    });
    expect(await relay.runOnce()).toBe(3);
    const after = await collection.find({}).toArray();
    const byId = new Map(after.map((d) => [d._id, d]));
    expect(ids.map((id) => byId.get(id)?.pendingEvents.map((p: { event: SporEvent }) => p.event.aggregateversion))).toEqual([[], [2], []]);
    expect(ids.map((id) => byId.get(id)?.hasPending)).toEqual([false, true, false]);
    // The next round sends only the new event.
    expect(await relay.runOnce()).toBe(1);
    expect(await collection.countDocuments({ hasPending: true })).toBe(0);
    const records = await readTopic(brokers, topic, 4);
    expect(records.map((r) => [r.key, (JSON.parse(r.value!) as SporEvent).aggregateversion]).sort()).toEqual([...ids.map((id) => [id, 1]), [ids[1], 2]].sort());
  });

  test('when a saved state drops a field the state before it had, then the document drops it too', async () => {
    const { factory, type, collection } = await setup();
    const store = new AggregateStore<Counter & { note?: string }>({ collection, locks: new KeyedMutex(), aggregate: 'counter' });
    const id = newCounterId();
    const first = await store.create(id, { total: 1, note: 'kept until dropped' }, []);
    const { _id, version, ...state } = first;
    const { note: _dropped, ...withoutNote } = state;
    await store.save(_id, version, { ...withoutNote, total: 2 }, [factory.create(type, { subject: id, municipalityId: '510', aggregateVersion: 2, data: { counterId: id, amount: 1 } })], state);
    expect(await store.load(id)).toEqual({ _id: id, version: 2, total: 2 });
    // Given as undefined, though the state before did not have it: dropped all the same.
    await store.save(id, 2, { total: 3, note: undefined }, [], { total: 2 });
    expect(await collection.findOne({ _id: id })).not.toHaveProperty('note');
  });

  test('when an aggregate store has lookup keys, then every write stores them top-level, reads leave them out, and a backfill gives older documents theirs', async () => {
    const { factory, type, collection } = await setup();
    const locks = new KeyedMutex();
    const lookup = { fields: ['lookupParity'], of: (c: Counter) => ({ lookupParity: c.total % 2 ? 'odd' : 'even' }) };
    const store = new AggregateStore<Counter>({ collection, locks, aggregate: 'counter', lookup });
    const [a, b, old] = [newCounterId(), newCounterId(), newCounterId()];
    await incrementCounter(store, factory, type, a);
    await incrementCounter(store, factory, type, b);
    await incrementCounter(store, factory, type, b);
    expect((await collection.find({ lookupParity: 'odd' }).toArray()).map((d) => d._id)).toEqual([a]);
    expect((await collection.find({ lookupParity: 'even' }).toArray()).map((d) => d._id)).toEqual([b]);
    expect(await store.load(b)).toEqual({ _id: b, version: 2, total: 2 });
    // Stored by code that knew no keys: the backfill writes them, once.
    await incrementCounter(new AggregateStore<Counter>({ collection, locks, aggregate: 'counter' }), factory, type, old);
    expect(await collection.countDocuments({ lookupParity: { $exists: false } })).toBe(1);
    expect(await store.backfillLookups()).toBe(1);
    expect(await store.backfillLookups()).toBe(0);
    expect((await collection.find({ lookupParity: 'odd' }).toArray()).map((d) => d._id).sort()).toEqual([a, old].sort());
    expect(store.readProjection).toMatchObject({ lookupParity: 0, pendingEvents: 0 });
    // A key added later: every document stored before it gets it, though it has the first one.
    const wider = new AggregateStore<Counter>({ collection, locks, aggregate: 'counter', lookup: { fields: ['lookupParity', 'lookupSize'], of: (c: Counter) => ({ ...lookup.of(c), lookupSize: c.total > 1 ? 'many' : 'one' }) } });
    expect(await wider.backfillLookups()).toBe(3);
    expect(await wider.backfillLookups()).toBe(0);
    expect((await collection.find({ lookupSize: 'many' }).toArray()).map((d) => d._id)).toEqual([b]);
  });

  test('when documents were stored before their collection held aggregates, then adopting them gives each version 1, its lookup keys and its events once, and the relay publishes them', async () => {
    const { factory, type, topic, collection } = await setup();
    const locks = new KeyedMutex();
    const relay = new OutboxRelay({ collections: [collection], transport, logger, locks, sweepIntervalMs: 200 });
    relay.start();
    try {
      const lookup = { fields: ['lookupParity'], of: (c: Counter) => ({ lookupParity: c.total % 2 ? 'odd' : 'even' }) };
      const store = new AggregateStore<Counter>({ collection, locks, relay, aggregate: 'counter', lookup });
      const [plain, aggregate] = [newCounterId(), newCounterId()];
      // As code from before the aggregate stored it: state only.
      await collection.insertOne({ _id: plain, total: 3 });
      await incrementCounter(store, factory, type, aggregate);
      const adopt = () => store.adoptUnversioned((id, state) => [factory.create(type, { subject: id, municipalityId: '510', aggregateVersion: 1, data: { counterId: id, amount: state.total } })]);
      expect(await adopt()).toBe(1);
      expect(await adopt()).toBe(0);
      expect(await store.load(plain)).toEqual({ _id: plain, version: 1, total: 3 });
      expect(await collection.findOne({ _id: plain })).toMatchObject({ lookupParity: 'odd', outboxSeq: 1 });
      const records = await readTopicUntil(brokers, topic, 'the adopted counter', (rs) => rs.some((r) => r.key === plain));
      expect(records.filter((r) => r.key === plain).map((r) => (JSON.parse(r.value!) as SporEvent).data)).toEqual([{ counterId: plain, amount: 3 }]);
      // Its next change goes on from version 1.
      expect(await incrementCounter(store, factory, type, plain)).toBe(2);
    } finally {
      await relay.stop();
    }
  });

  test('when the relay dies between publish and clear, then a restart loses nothing and the consumer counts each event once', async () => {
    const { factory, type, topic, registry, collection } = await setup();
    const store = new AggregateStore<Counter>({ collection, locks: new KeyedMutex(), aggregate: 'counter' });
    const ids = [newCounterId(), newCounterId()];
    for (const id of ids) for (let i = 0; i < 10; i++) await incrementCounter(store, factory, type, id);

    // A relay in its own process publishes, then is killed before it clears.
    const child = spawn(process.execPath, ['--conditions=spor-source', '--import', 'tsx', join(here, 'fixtures', 'relay-then-die.ts')], {
      env: { ...process.env, MONGO_URL: mongoUrl, DB_NAME: dbName, COLLECTION: collection.collectionName, KAFKA_BROKERS: brokers.join(',') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const signal = await new Promise((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect({ signal, output: output.trim() }).toEqual({ signal: 'SIGKILL', output: 'published 20' });
    expect(await collection.countDocuments({ hasPending: true })).toBe(2);

    // The restarted relay publishes the same 20 events again and clears them.
    const relay = new OutboxRelay({ collections: [collection], transport, logger, locks: new KeyedMutex() });
    expect(await relay.runOnce()).toBe(20);
    expect(await collection.countDocuments({ hasPending: true })).toBe(0);
    const onTopic = await readTopic(brokers, topic, 40);
    expect(onTopic).toHaveLength(40);
    expect(new Set(onTopic.map((r) => (JSON.parse(r.value!) as SporEvent).id)).size).toBe(20);

    // An idempotent consumer turns the 40 messages into 20 counted events.
    const projectionName = uniqueName('projection');
    await connection.db!.createCollection(projectionName);
    const projection = connection.db!.collection<{ _id: string; count: number }>(projectionName);
    const processed = new ProcessedEventStore(connection, uniqueName('processed'));
    await processed.init();
    const consumer = new EventConsumer({
      groupId: uniqueName('counter-projection'),
      topics: [topic],
      registry,
      transport,
      logger,
      processed,
      handlers: {
        [type]: async (event) => {
          await projection.updateOne({ _id: event.subject }, { $inc: { count: 1 } }, { upsert: true });
        },
      },
    });
    await consumer.start();
    try {
      const offsets = await transport.topicOffsets(topic);
      await consumer.waitUntilCaughtUp(offsets.map((o) => ({ topic, partition: o.partition, high: o.high })), 30_000);
    } finally {
      await consumer.stop();
    }
    const counts = await projection.find({}).sort({ _id: 1 }).toArray();
    expect(counts).toEqual([...ids].sort().map((id) => ({ _id: id, count: 10 })));
  });

  test('when a retention sweep deletes documents, then one whose events the relay has not published stays and the call says so', async () => {
    const name = uniqueName('disposed');
    await connection.db!.createCollection(name);
    const docs = connection.db!.collection<{ _id: string; group: string; hasPending: boolean }>(name);
    await docs.insertMany([
      { _id: 'published', group: 'g', hasPending: false },
      { _id: 'waiting', group: 'g', hasPending: true },
    ]);
    await expect(deletePublished(docs as never, { group: 'g' }, 'group g')).rejects.toThrow('group g has events the relay has not published yet');
    expect((await docs.find({}).toArray()).map((d) => d._id)).toEqual(['waiting']);
    // Once published it goes, and a second call finds nothing to do.
    await docs.updateOne({ _id: 'waiting' }, { $set: { hasPending: false } });
    await deletePublished(docs as never, { group: 'g' }, 'group g');
    await deletePublished(docs as never, { group: 'g' }, 'group g');
    expect(await docs.countDocuments({})).toBe(0);
  });
});

describe('outbox relay, when a document cannot be published', () => {
  test('when one document’s topic is missing and another’s event is over the broker’s limit, then the rest of its collection and the collections after it are published, and the two are counted, logged without their events and tried again alone later', async () => {
    const first = await setup();
    const second = await setup();
    const missingTopic = uniqueName('missing-topic');
    // The failing ones first, so a sweep in stored order meets them before the others.
    const missing = await storePending(first.collection, first.factory, first.type, { topic: missingTopic });
    const tooLarge = await storePending(first.collection, first.factory, first.type, { padding: 1_200_000 });
    const store = new AggregateStore<Counter>({ collection: first.collection, locks: new KeyedMutex(), aggregate: 'counter' });
    const good = [newCounterId(), newCounterId()];
    for (const id of good) await incrementCounter(store, first.factory, first.type, id);
    const later = newCounterId();
    await incrementCounter(new AggregateStore<Counter>({ collection: second.collection, locks: new KeyedMutex(), aggregate: 'counter' }), second.factory, second.type, later);

    const metrics = new Registry();
    const logs = memoryLogger();
    const relay = new OutboxRelay({ collections: [first.collection, second.collection], transport, logger: logs.logger, locks: new KeyedMutex(), sweepIntervalMs: 0, metrics });
    expect(await relay.runOnce()).toBe(3);
    // In back-off (1 s): the next round does not try them (nor has anything else to send).
    const sends = jest.spyOn(transport, 'send');
    expect(await relay.runOnce()).toBe(0);
    expect(sends).not.toHaveBeenCalled();
    sends.mockRestore();
    expect(await pendingIds(first.collection)).toEqual([missing, tooLarge].sort());
    expect(await pendingIds(second.collection)).toEqual([]);
    expect(await publishFailures(metrics)).toEqual({ [first.collection.collectionName]: 2 });
    const failures = logs.lines().filter((l) => String(l.msg).includes('could not be published'));
    expect(failures.map((l) => [l.collection, l.id, l.attempts]).sort()).toEqual([[first.collection.collectionName, missing, 1], [first.collection.collectionName, tooLarge, 1]].sort());
    expect(logs.text()).not.toContain('xxxxxxxxxx');
    expect(logs.text()).not.toContain('specversion');
    const onTopic = await readTopic(brokers, first.topic, 2);
    expect(onTopic.map((r) => r.key).sort()).toEqual([...good].sort());

    // Once its topic exists, the first is published at its next attempt; the other fails again, waiting longer.
    await transport.ensureTopics([{ topic: missingTopic, partitions: 1 }]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await relay.runOnce()).toBe(1);
    expect(await pendingIds(first.collection)).toEqual([tooLarge]);
    expect(await publishFailures(metrics)).toEqual({ [first.collection.collectionName]: 3 });
    expect(logs.lines().find((l) => String(l.msg).includes('could not be published') && l.attempts === 2)).toMatchObject({ id: tooLarge, retryInMs: 2_000 });
    expect(logs.lines().some((l) => String(l.msg).includes('failed to publish is published') && l.id === missing)).toBe(true);
  });

  test('when more documents fail than a sweep takes, then the sweep passes over them to the others', async () => {
    const { factory, type, topic, collection } = await setup();
    const missingTopic = uniqueName('missing-topic');
    const failing = [];
    for (let i = 0; i < 3; i++) failing.push(await storePending(collection, factory, type, { topic: missingTopic }));
    const good = await storePending(collection, factory, type);
    const metrics = new Registry();
    const relay = new OutboxRelay({ collections: [collection], transport, logger, locks: new KeyedMutex(), sweepIntervalMs: 0, batchSize: 2, metrics });
    // Two rounds of two: each failing document is tried once, and the good one is published.
    expect((await relay.runOnce()) + (await relay.runOnce())).toBe(1);
    expect(await pendingIds(collection)).toEqual(failing.sort());
    expect(await publishFailures(metrics)).toEqual({ [collection.collectionName]: 3 });
    // The good one went out on its own topic.
    expect((await readTopic(brokers, topic, 1)).map((r) => r.key)).toEqual([good]);
  });

  test('when a round’s events are more bytes than the broker takes in one send, then they go in several, each document’s in order', async () => {
    const { factory, type, collection } = await setup();
    // One partition: every event lands in the same record batch of a send.
    const topic = uniqueName('one-partition');
    await transport.ensureTopics([{ topic, partitions: 1 }]);
    const many = await storePending(collection, factory, type, { topic, padding: 400_000, events: 3 });
    const single = [await storePending(collection, factory, type, { topic, padding: 400_000 }), await storePending(collection, factory, type, { topic, padding: 400_000 })];
    const relay = new OutboxRelay({ collections: [collection], transport, logger, locks: new KeyedMutex(), sweepIntervalMs: 0 });
    expect(await relay.runOnce()).toBe(5);
    expect(await pendingIds(collection)).toEqual([]);
    const records = await readTopic(brokers, topic, 5);
    expect(records.filter((r) => r.key === many).map((r) => (JSON.parse(r.value!) as SporEvent).aggregateversion)).toEqual([1, 2, 3]);
    expect(records.map((r) => r.key).filter((k) => k !== many).sort()).toEqual(single.sort());
  });

  test('when a send fails and the broker does not answer either, then the round fails at once and no document is put off', async () => {
    const first = await setup();
    const second = await setup();
    await storePending(first.collection, first.factory, first.type);
    await storePending(second.collection, second.factory, second.type);
    let down = true;
    let attempts = 0;
    const flaky = {
      send: (messages) => {
        attempts++;
        return down ? Promise.reject(new Error('connect ECONNREFUSED')) : transport.send(messages);
      },
      ping: () => (down ? Promise.reject(new Error('connect ECONNREFUSED')) : transport.ping()),
    } as Pick<EventTransport, 'send' | 'ping'> as EventTransport;
    const metrics = new Registry();
    const relay = new OutboxRelay({ collections: [first.collection, second.collection], transport: flaky, logger, locks: new KeyedMutex(), sweepIntervalMs: 0, metrics });
    await expect(relay.runOnce()).rejects.toThrow('ECONNREFUSED');
    // Not the second collection's time-out as well, nor one per document.
    expect(attempts).toBe(1);
    expect(await publishFailures(metrics)).toEqual({});
    // Back, the broker gets both at once: neither waits out a back-off.
    down = false;
    expect(await relay.runOnce()).toBe(2);
    expect([...(await pendingIds(first.collection)), ...(await pendingIds(second.collection))]).toEqual([]);
  });
});

describe('deletePublished', () => {
  test('when a writer of this process holds a document’s lock, then the delete waits for it and keeps the document if the writer left events pending', async () => {
    const name = uniqueName('disposed');
    await connection.db!.createCollection(name);
    const docs = connection.db!.collection<{ _id: string; hasPending: boolean }>(name);
    await docs.insertOne({ _id: 'racing', hasPending: false });
    const locks = new KeyedMutex();
    let release!: () => void;
    let writing!: () => void;
    const writerHasLock = new Promise<void>((resolve) => (writing = resolve));
    // A save: under the lock, it appends events (FerretDB 1.x would let a filtered delete interleave).
    const writer = locks.run(documentLockKey(name, 'racing'), async () => {
      writing();
      await new Promise<void>((resolve) => (release = resolve));
      await docs.updateOne({ _id: 'racing' }, { $set: { hasPending: true } });
    });
    await writerHasLock;
    const deleting = deletePublished(docs as never, { _id: 'racing' } as never, 'doc racing', { locks });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await docs.countDocuments({ _id: 'racing' })).toBe(1);
    release();
    await writer;
    await expect(deleting).rejects.toThrow('doc racing has events the relay has not published yet');
    expect(await docs.findOne({ _id: 'racing' })).toEqual({ _id: 'racing', hasPending: true });
    // Published, it goes; with a key of the caller's own as well.
    await docs.updateOne({ _id: 'racing' }, { $set: { hasPending: false } });
    const keys: string[] = [];
    await deletePublished(docs as never, { _id: 'racing' } as never, 'doc racing', { locks, lockKey: (id) => (keys.push(String(id)), documentLockKey(name, id)) });
    expect(keys).toEqual(['racing']);
    expect(await docs.countDocuments({})).toBe(0);
  });
});
