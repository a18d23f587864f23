// The kafkajs transport against the real broker: a producer the broker broke is replaced, and a
// send to a topic that does not exist fails at once instead of after kafkajs's half-minute of retries.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { quietLogger, testInfra, uniqueName } from '@spor/testkit';
import { KafkajsTransport } from '../src/index.js';

const { brokers } = testInfra();
let transport: KafkajsTransport;
let topic: string;
/** What the transport caches (private): the producer and the admin client. */
const internals = () => transport as unknown as { producer?: Promise<Producer>; admin?: Promise<Admin> };
// kafkajs is CommonJS and spreads its errors into its exports, which ESM cannot name.
const { KafkaJSNonRetriableError, KafkaJSProtocolError } = kafkajs;
const message = () => ({ topic, key: 'k', value: 'v', headers: {} });

/** A broker's error as kafkajs's retrier hands it out: a non-retriable error wrapping the protocol error. */
function brokerError(type: string, code: number): Error {
  const protocol = new KafkaJSProtocolError(Object.assign(new Error(`broker says ${type}`), { type, code, retriable: false }));
  return new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(protocol, { cause: protocol });
}

beforeAll(async () => {
  transport = new KafkajsTransport({ clientId: 'transport-test', brokers, logger: quietLogger() });
  topic = uniqueName('transport');
  await transport.ensureTopics([{ topic, partitions: 1 }]);
});

afterAll(() => transport.close());

describe('kafkajs transport', () => {
  test('when the broker breaks the idempotent producer, then it is replaced for the next send; another refusal keeps it', async () => {
    await transport.send([message()]);
    const first = await internals().producer!;
    jest.spyOn(first, 'sendBatch').mockRejectedValueOnce(brokerError('MESSAGE_TOO_LARGE', 10));
    await expect(transport.send([message()])).rejects.toThrow('MESSAGE_TOO_LARGE');
    expect(await internals().producer).toBe(first);

    const disconnect = jest.spyOn(first, 'disconnect');
    jest.spyOn(first, 'sendBatch').mockRejectedValueOnce(brokerError('OUT_OF_ORDER_SEQUENCE_NUMBER', 45));
    await expect(transport.send([message()])).rejects.toThrow('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(disconnect).toHaveBeenCalled();
    await transport.send([message()]);
    const second = await internals().producer!;
    expect(second).not.toBe(first);

    // PRODUCER_FENCED is newer than kafkajs, which knows it by its code alone.
    jest.spyOn(second, 'sendBatch').mockRejectedValueOnce(brokerError('KAFKAJS_UNKNOWN_ERROR_CODE', 90));
    await expect(transport.send([message()])).rejects.toThrow();
    await transport.send([message()]);
    expect(await internals().producer).not.toBe(second);
  });

  test('when a topic does not exist, then a send fails at once naming it; a topic ensured or sent to is not looked up again', async () => {
    const missing = uniqueName('missing');
    const started = Date.now();
    await expect(transport.send([message(), { ...message(), topic: missing }])).rejects.toThrow(`topic ${missing} does not exist`);
    expect(Date.now() - started).toBeLessThan(5_000);
    const listTopics = jest.spyOn(await internals().admin!, 'listTopics');
    await transport.send([message()]);
    expect(listTopics).not.toHaveBeenCalled();
    listTopics.mockRestore();
  });
});
