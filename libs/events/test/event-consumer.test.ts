// Consuming against the real broker and store: bad messages and failing handlers are parked
// in the dead-letter topic with the error while the partition keeps flowing, and a projection
// rebuilt by replaying the topic equals the one built live.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Connection } from 'mongoose';
import { applyVersioned, connectMongo } from '@spor/mongo';
import { quietLogger, readTopic, testInfra, uniqueName } from '@spor/testkit';
import { CLOUDEVENTS_CONTENT_TYPE, EventConsumer, KafkajsTransport, deadLetterTopic, isUnreachable, replayTopics, type SporEvent } from '../src/index.js';
import { counterContract, newCounterId } from './fixtures/counter-events.js';

const { brokers, mongoUrl } = testInfra();
const logger = quietLogger();
let connection: Connection;
let transport: KafkajsTransport;

beforeAll(async () => {
  connection = await connectMongo({ url: mongoUrl, dbName: uniqueName('consumer-test'), logger, attempts: 3 });
  transport = new KafkajsTransport({ clientId: 'consumer-test', brokers, logger });
});

afterAll(async () => {
  await transport.close();
  await connection.dropDatabase().catch(() => undefined);
  await connection.close();
});

function message(topic: string, key: string, value: string | object) {
  return { topic, key, value: typeof value === 'string' ? value : JSON.stringify(value), headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, 'correlation-id': 'corr-1' } };
}

describe('event consumer', () => {
  test('when messages are malformed, break their schema or keep failing, then they are dead-lettered with the error and later messages still flow', async () => {
    const { registry, factory, type, topic } = counterContract(uniqueName('fx'));
    await transport.ensureTopics([{ topic, partitions: 1 }]);
    const key = newCounterId();
    const event = (version: number, amount = 1) => factory.create(type, { subject: key, municipalityId: '510', aggregateVersion: version, data: { counterId: key, amount } });
    const first = event(1);
    const poison = event(2, 13);
    const flaky = event(3, 7);
    const last = event(4);
    const badSchema = { ...event(5), data: { counterId: key, amount: 'lots', colour: 'red' } };
    const otherType = { ...event(6), type: `${type.replace('.incremented.', '.archived.')}`, data: { anything: true } };
    await transport.send([
      message(topic, key, first),
      message(topic, key, '{"specversion": "1.0", '),
      message(topic, key, badSchema),
      message(topic, key, poison),
      message(topic, key, otherType),
      message(topic, key, flaky),
      message(topic, key, last),
    ]);

    const handled: number[] = [];
    let flakyFailures = 0;
    const groupId = uniqueName('dlq-group');
    const consumer = new EventConsumer({
      groupId,
      topics: [topic],
      registry,
      transport,
      logger,
      retry: { attempts: 3, initialDelayMs: 10 },
      handlers: {
        [type]: async (e: SporEvent<{ amount: number }>) => {
          if (e.data.amount === 13) throw new Error('projection refused amount 13');
          if (e.data.amount === 7 && flakyFailures++ < 2) throw new Error('temporary failure');
          handled.push(e.aggregateversion);
        },
      },
    });
    await consumer.start();
    const parked = await readTopic(brokers, deadLetterTopic(topic, groupId), 3);
    await consumer.waitUntilCaughtUp([{ topic, partition: 0, high: '7' }], 20_000);
    await consumer.stop();

    expect(handled).toEqual([1, 3, 4]);
    expect(parked.map((r) => [r.headers['dlq-reason'], r.headers['dlq-original-offset']])).toEqual([
      ['MALFORMED', '1'],
      ['SCHEMA_INVALID', '2'],
      ['HANDLER_FAILED', '3'],
    ]);
    // The event of a type this group does not handle was passed over, not parked.
    const dlqOffsets = await transport.topicOffsets(deadLetterTopic(topic, groupId));
    expect(dlqOffsets.map((o) => o.high)).toEqual(['3']);
    expect(parked[1]?.headers['dlq-error']).toBe('data has unknown property "colour"; data.amount must be integer');
    expect(parked[2]?.headers).toMatchObject({ 'dlq-error': 'projection refused amount 13', 'dlq-attempts': '3', 'dlq-consumer-group': groupId, 'dlq-original-topic': topic, 'correlation-id': 'corr-1' });
    expect(JSON.parse(parked[2]!.value!)).toEqual(poison);
  });

  test('when a projection is rebuilt by replaying the topic, then it equals the live one', async () => {
    const { registry, factory, type, topic } = counterContract(uniqueName('fx'));
    await transport.ensureTopics([{ topic, partitions: 3 }]);
    const ids = Array.from({ length: 6 }, newCounterId);
    const events = ids.flatMap((id, n) => Array.from({ length: n + 2 }, (_, v) => factory.create(type, { subject: id, municipalityId: '510', aggregateVersion: v + 1, data: { counterId: id, amount: v + 1 } })));
    // Every third event is delivered twice, as a relay restart would.
    await transport.send([...events, ...events.filter((_, i) => i % 3 === 0)].map((e) => message(topic, e.subject, e)));

    const projectionHandler = (collectionName: string) => ({
      [type]: async (e: SporEvent<{ amount: number }>) => {
        await applyVersioned(connection.db!.collection(collectionName), e.subject, e.aggregateversion, { $inc: { sum: e.data.amount, events: 1 } });
      },
    });
    const live = uniqueName('live');
    const rebuilt = uniqueName('rebuilt');
    await connection.db!.createCollection(live);
    await connection.db!.createCollection(rebuilt);
    const consumer = new EventConsumer({ groupId: uniqueName('live-group'), topics: [topic], registry, transport, logger, handlers: projectionHandler(live) });
    await consumer.start();
    const offsets = await transport.topicOffsets(topic);
    await consumer.waitUntilCaughtUp(offsets.map((o) => ({ topic, partition: o.partition, high: o.high })), 30_000);
    await consumer.stop();

    await replayTopics({ groupPrefix: 'counter-projection', topics: [topic], registry, transport, logger, handlers: projectionHandler(rebuilt) });

    const read = (name: string) => connection.db!.collection(name).find({}).sort({ _id: 1 }).toArray();
    const liveDocs = await read(live);
    expect(liveDocs).toHaveLength(ids.length);
    expect(liveDocs.find((d) => String(d._id) === ids[5])).toEqual({ _id: ids[5], version: 7, sum: 28, events: 7 });
    expect(await read(rebuilt)).toEqual(liveDocs);
  });

  test('when the store cannot be reached, then the handler is retried until it can, past the retry limit, and nothing is parked', async () => {
    const { registry, factory, type, topic } = counterContract(uniqueName('fx'));
    const key = newCounterId();
    const event = factory.create(type, { subject: key, municipalityId: '510', aggregateVersion: 1, data: { counterId: key, amount: 1 } });
    let failures = 0;
    const unreachable = Object.assign(new Error('connection <monitor> to 127.0.0.1:27017 closed'), { name: 'MongoServerSelectionError' });
    const consumer = new EventConsumer({
      groupId: uniqueName('unreachable-group'),
      topics: [topic],
      registry,
      transport,
      logger,
      retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 5 },
      handlers: {
        [type]: async () => {
          if (failures++ < 6) throw unreachable;
        },
      },
    });
    const outcome = await consumer.handle({ topic, partition: 0, offset: '0', key, value: Buffer.from(JSON.stringify(event)), headers: {} });
    expect([outcome, failures]).toEqual(['processed', 7]);
    expect(consumer.parked('HANDLER_FAILED').count).toBe(0);
    expect(isUnreachable(new Error('failed to connect to `host=127.0.0.1 user=ferret database=ferretdb`: dial error (dial tcp 127.0.0.1:5432: connect: connection refused)'))).toBe(true);
    expect(isUnreachable(new Error('projection refused amount 13'))).toBe(false);
  });

  test('when a replay cannot apply an event, then it fails rather than rebuild without it', async () => {
    const { registry, factory, type, topic } = counterContract(uniqueName('fx'));
    await transport.ensureTopics([{ topic, partitions: 1 }]);
    const key = newCounterId();
    await transport.send([1, 2].map((v) => message(topic, key, factory.create(type, { subject: key, municipalityId: '510', aggregateVersion: v, data: { counterId: key, amount: v === 2 ? 13 : 1 } }))));
    const replay = replayTopics({
      groupPrefix: uniqueName('refusing'),
      topics: [topic],
      registry,
      transport,
      logger,
      retry: { attempts: 1, initialDelayMs: 1 },
      handlers: {
        [type]: async (e: SporEvent<{ amount: number }>) => {
          if (e.data.amount === 13) throw new Error('projection refused amount 13');
        },
      },
    });
    await expect(replay).rejects.toThrow(/could not apply 1 event/);
  });
});
