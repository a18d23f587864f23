// Rebuilds a projection by replaying topics from the start under a fresh consumer group,
// stopping when every partition reaches the end it had when the replay began.
import { randomUUID } from 'node:crypto';
import { EventConsumer, type EventConsumerOptions } from './event-consumer.js';

export interface ReplayOptions extends Omit<EventConsumerOptions, 'groupId' | 'fromBeginning'> {
  /** Prefix of the temporary consumer group; the group is deleted afterwards. */
  groupPrefix: string;
  timeoutMs?: number;
}

export async function replayTopics(options: ReplayOptions): Promise<{ groupId: string }> {
  const targets = (
    await Promise.all(options.topics.map(async (topic) => (await options.transport.topicOffsets(topic)).map((o) => ({ topic, partition: o.partition, high: o.high, low: o.low }))))
  ).flat();
  const groupId = `${options.groupPrefix}.replay.${randomUUID()}`;
  const consumer = new EventConsumer({ ...options, groupId, fromBeginning: true });
  await consumer.start();
  try {
    await consumer.waitUntilCaughtUp(
      targets.filter((t) => t.high !== t.low),
      options.timeoutMs ?? 10 * 60_000,
    );
    // An event a handler refused would be missing from what the replay rebuilt, parked in the
    // dead-letter topic of a group that is gone: the replay fails instead, and the caller keeps
    // what it was to replace. (A malformed or schema-invalid message is the topic's own: the live
    // group parked it too, where operators look.)
    const { count, first } = consumer.parked('HANDLER_FAILED');
    if (first) throw new Error(`the replay could not apply ${count} event(s) (first: ${first.topic} partition ${first.partition} offset ${first.offset}); nothing was rebuilt`);
  } finally {
    await consumer.stop();
    await options.transport.deleteConsumerGroup(groupId).catch(() => undefined);
  }
  return { groupId };
}
