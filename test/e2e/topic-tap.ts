// Reads the suite's topics from their beginning for the whole test file, into memory, so each
// step can wait for its events without joining a new consumer group every time (a join costs
// seconds; the journey checks events after every step).
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { KafkajsTransport } from '@spor/events';
import { quietLogger, uniqueName, waitFor } from '@spor/testkit';

export interface Envelope {
  id: string;
  type: string;
  subject: string;
  data: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export class TopicTap {
  private readonly events = new Map<string, Envelope[]>();

  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string[], topics: string[]): Promise<TopicTap> {
    const consumer = new Kafka({ clientId: 'spor-journey-tap', brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('journey-tap') });
    const tap = new TopicTap(consumer);
    // On a brand-new broker a topic the services have only just created may not be served yet
    // (UNKNOWN_TOPIC_OR_PARTITION), which would fail the subscription; the events lib waits it out.
    const admin = new KafkajsTransport({ clientId: 'spor-journey-tap-admin', brokers, logger: quietLogger() });
    try {
      await admin.ensureTopics(topics.map((topic) => ({ topic, partitions: 3 })));
    } finally {
      await admin.close();
    }
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (!message.value) return;
        const list = tap.events.get(topic) ?? [];
        list.push(JSON.parse(message.value.toString()) as Envelope);
        tap.events.set(topic, list);
      },
    });
    return tap;
  }

  /** The events on `topic` so far, once `done` holds for them (or the time-out). */
  until(topic: string, what: string, done: (events: Envelope[]) => boolean, timeoutMs = 20_000): Promise<Envelope[]> {
    return waitFor(`${what} on ${topic}`, () => {
      const events = this.events.get(topic) ?? [];
      return done(events) ? events : false;
    }, timeoutMs);
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}
