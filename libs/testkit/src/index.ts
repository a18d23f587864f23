// Test helpers. Tests run against the real broker and store that `npm run infra:up`
// started (or those KAFKA_BROKERS / MONGO_URL name); nothing here imitates them.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { pino, type Logger } from 'pino';

export function testInfra(): { brokers: string[]; mongoUrl: string } {
  return {
    brokers: (process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.SPOR_KAFKA_PORT ?? 9092}`).split(','),
    mongoUrl: process.env.MONGO_URL ?? `mongodb://127.0.0.1:${process.env.SPOR_MONGO_PORT ?? 27017}`,
  };
}

/** A name no other test (or earlier run) uses: topics, groups, databases. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A logger that keeps its JSON lines in memory, for asserting what was (not) logged. */
export function memoryLogger(level = 'info'): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = pino({ level }, stream);
  return {
    logger,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export const quietLogger = (): Logger => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/**
 * How long `waitFor` polls by default. Most waits are for a projection to catch up, and a service
 * started with a fresh consumer group first replays every topic from the start: in a full run
 * (two suites in parallel on 2 cores, each topic holding every earlier suite's events) that once
 * took more than 20 s (transitions' directory in handover.test.ts). A wait that succeeds returns
 * at once; only a failing one waits this long.
 */
export const WAIT_FOR_MS = 45_000;

/** Polls until `check` returns a truthy value; fails with `what` after the time-out. */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = WAIT_FOR_MS, intervalMs = 100): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as Truthy<T>;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Reads a topic from the beginning until `count` messages arrived (or the time-out). */
export function readTopic(brokers: string[], topic: string, count: number, timeoutMs = 20_000): Promise<TopicRecord[]> {
  return readTopicUntil(brokers, topic, `${count} messages`, (records) => records.length >= count, timeoutMs);
}

/** Reads a topic from the beginning until `done` holds for what arrived (or the time-out). */
export async function readTopicUntil(brokers: string[], topic: string, what: string, done: (records: TopicRecord[]) => boolean, timeoutMs = 20_000): Promise<TopicRecord[]> {
  const kafka = new Kafka({ clientId: 'spor-test-reader', brokers, logLevel: logLevel.NOTHING });
  // The topic may not exist yet (a dead-letter topic is created on first use).
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(`topic ${topic} to exist`, async () => (await admin.listTopics()).includes(topic), timeoutMs, 200);
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({ groupId: uniqueName('reader') });
  const records: TopicRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(Array.isArray(v) ? v[0] : v);
        records.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers });
      },
    });
    await waitFor(`${what} on ${topic}`, () => done(records), timeoutMs);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Waits until the outbox relay has published every event written so far to the named collections
 * of a service's database (no document there is `hasPending`). A retention sweep passes over a
 * record whose events still wait for the relay (deleting it would lose them) and takes it at the
 * next sweep, so a test that expects a sweep to dispose of a record just written waits for this.
 */
export async function eventsPublished(mongoUrl: string, dbName: string, ...collections: string[]): Promise<void> {
  const client = await MongoClient.connect(mongoUrl);
  try {
    const db = client.db(dbName);
    await waitFor(`the events of ${collections.join(', ')} in ${dbName} published`, async () => {
      for (const name of collections) if (await db.collection(name).findOne({ hasPending: true }, { projection: { _id: 1 } })) return false;
      return true;
    });
  } finally {
    await client.close();
  }
}
