// Every event is validated against its schema before it can reach Kafka: EventFactory.create
// refuses an invalid event, and the outbox write (toPending, used by AggregateStore.create and
// save) validates again and refuses events changed after they were validated or never
// validated at all. A refused event fails the whole write: the state does not change, and the
// topic never sees it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { connectMongo } from '@spor/mongo';
import { quietLogger, readTopicUntil, testInfra, uniqueName } from '@spor/testkit';
import { AggregateStore, EventValidationError, KafkajsTransport, KeyedMutex, OutboxRelay, toPending, type SchemaRegistry, type SporEvent } from '../src/index.js';
import { counterContract, newCounterId, type Counter } from './fixtures/counter-events.js';

const { brokers, mongoUrl } = testInfra();
const logger = quietLogger();
let connection: Connection;
let transport: KafkajsTransport;

beforeAll(async () => {
  connection = await connectMongo({ url: mongoUrl, dbName: uniqueName('publish-validation'), logger, attempts: 3 });
  transport = new KafkajsTransport({ clientId: 'publish-validation-test', brokers, logger });
});

afterAll(async () => {
  await transport.close();
  await connection.dropDatabase().catch(() => undefined);
  await connection.close();
});

describe('validation before publishing', () => {
  test('when an event is invalid at the outbox write, then the write is refused and only valid events reach the topic', async () => {
    const { factory, registry, type, topic } = counterContract(uniqueName('pv'));
    await transport.ensureTopics([{ topic, partitions: 1 }]);
    const collectionName = uniqueName('counters');
    await connection.db!.createCollection(collectionName);
    const collection = connection.db!.collection<Counter & { _id: string; version: number; hasPending?: boolean }>(collectionName);
    const locks = new KeyedMutex();
    const relay = new OutboxRelay({ collections: [collection], transport, logger, locks, sweepIntervalMs: 200 });
    const store = new AggregateStore<Counter>({ collection, locks, relay, aggregate: 'counter' });
    relay.start();
    try {
      const id = newCounterId();
      const event = (version: number, amount = 1) => factory.create(type, { subject: id, municipalityId: '510', aggregateVersion: version, data: { counterId: id, amount } });

      // The factory refuses an invalid event outright.
      expect(() => event(1, 0)).toThrow(EventValidationError);

      // An event changed after create() is refused by the insert of a new aggregate: nothing is stored.
      const changed = event(1);
      (changed.data as { amount: number }).amount = 1_000;
      await expect(store.create(id, { total: 1_000 }, [changed])).rejects.toThrow(/data\.amount/);
      expect(await collection.countDocuments({ _id: id })).toBe(0);

      const first = event(1);
      await store.create(id, { total: 1 }, [first]);

      // The same for an update: the state stays at version 1 with nothing pending from it.
      const mutated = event(2);
      (mutated.data as Record<string, unknown>).label = 'x'.repeat(41);
      await expect(store.save(id, 1, { total: 2 }, [mutated], { total: 1 })).rejects.toThrow(EventValidationError);
      // An event that looks right but was never validated is refused too; validated, it passes.
      const forged: SporEvent = { ...event(2), id: randomUUID() };
      await expect(store.save(id, 1, { total: 2 }, [forged], { total: 1 })).rejects.toThrow(/never validated against its schema/);
      expect(() => toPending(forged)).toThrow(/never validated against its schema/);
      const validator: SchemaRegistry = registry;
      validator.assertValid(forged);
      expect(toPending(forged).id).toBe(forged.id);
      expect(await collection.findOne({ _id: id })).toMatchObject({ version: 1, total: 1 });

      const second = event(2);
      await store.save(id, 1, { total: 2 }, [second], { total: 1 });

      // The topic holds exactly the two valid events, in order, once the second has arrived.
      const refused = new Set([changed.id, mutated.id, forged.id]);
      const records = await readTopicUntil(brokers, topic, 'the second valid event', (rs) => rs.some((r) => r.value?.includes(second.id)));
      const ids = records.map((r) => (JSON.parse(r.value!) as SporEvent).id);
      expect(ids).toEqual([first.id, second.id]);
      expect(ids.filter((i) => refused.has(i))).toEqual([]);
    } finally {
      await relay.stop();
    }
  });
});
