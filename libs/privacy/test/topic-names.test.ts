// The audit and retention topics are ensured at start under a name, and their events are
// published by the outbox relay to topicOfType(type). The two must be the same name, also
// under SPOR_TOPIC_NAMESPACE (the benchmarks' `bench.` topics): when they were not, every
// audit event of a benchmark waited in its entry for a topic that was never created.
import { afterAll, expect, test } from '@jest/globals';

const before = process.env.SPOR_TOPIC_NAMESPACE;
process.env.SPOR_TOPIC_NAMESPACE = 'namespaced';
afterAll(() => {
  if (before === undefined) delete process.env.SPOR_TOPIC_NAMESPACE;
  else process.env.SPOR_TOPIC_NAMESPACE = before;
});

test('the audit and retention topics are the ones their events are published to, namespace included', async () => {
  // Imported after the namespace is set: the names are made when the modules load.
  const { topicOfType } = await import('@spor/events');
  const { AUDIT_EVENT_TYPE, AUDIT_TOPIC } = await import('@spor/audit');
  const { RETENTION_EVENT_TYPE, RETENTION_TOPIC } = await import('../src/retention.js');
  expect(AUDIT_TOPIC).toBe('namespaced.spor.audit.access.v1');
  expect(AUDIT_TOPIC).toBe(topicOfType(AUDIT_EVENT_TYPE));
  expect(RETENTION_TOPIC).toBe('namespaced.spor.privacy.retention.v1');
  expect(RETENTION_TOPIC).toBe(topicOfType(RETENTION_EVENT_TYPE));
});
