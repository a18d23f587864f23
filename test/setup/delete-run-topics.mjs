// jest's global teardown: deletes the topics of this test run (`<namespace>.` prefix, set in
// jest.config.mjs), so a long-lived local broker does not collect every run's topics. Nothing
// happens when the caller chose the namespace, or when the broker is gone already.
import { Kafka, logLevel } from 'kafkajs';

export default async function deleteRunTopics() {
  const namespace = process.env.SPOR_TEST_RUN_TOPICS;
  if (!namespace) return;
  const brokers = (process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.SPOR_KAFKA_PORT ?? 9092}`).split(',');
  const admin = new Kafka({ clientId: 'spor-test-teardown', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 2_000, retry: { retries: 1 } }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  } catch (error) {
    process.stderr.write(`the test run's topics (${namespace}.*) were not deleted: ${error.message}\n`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
