// The kafkajs implementation of EventTransport: an idempotent producer with one request
// in flight (so retries cannot reorder a key), consumers that commit only what was processed.
import { Kafka, Partitioners, logLevel, type Admin, type Producer, type Consumer, type LogEntry, type IHeaders } from 'kafkajs';
import type { Logger } from 'pino';
import type { ConsumeOptions, EventTransport, InboundMessage, OutboundMessage, PartitionOffsets, Subscription, TopicSpec } from './transport.js';

// kafkajs computes a negative timer for its request queue on current Node versions, and
// Node warns about it on every such timer. The timer still behaves (it fires at once), so
// this one warning is dropped rather than filling service logs; all others pass.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const name = typeof warning === 'string' ? (typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string })?.type) : warning.name;
  if (name === 'TimeoutNegativeWarning') return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

export interface KafkaTransportOptions {
  clientId: string;
  brokers: string[];
  logger: Logger;
  /** How long stopping a consumer may take before it is abandoned. */
  stopTimeoutMs?: number;
  /** Connection and request time-outs; low values make readiness answer quickly. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

function pinoLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      const target = logger.child({ component: 'kafka' });
      if (level === logLevel.ERROR) target.error(extra, message);
      else if (level === logLevel.WARN) target.warn(extra, message);
      else target.debug(extra, message);
    };
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const v = Array.isArray(value) ? value[0] : value;
    if (v !== undefined) out[key] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}

/**
 * Broker answers after which an idempotent producer is broken for good: its producer id or
 * sequence numbers no longer match the broker's, or another producer fenced it. kafkajs neither
 * retries nor resets them, so every later send of that producer fails the same way.
 * (PRODUCER_FENCED, code 90, is newer than kafkajs and reaches us by its code alone.)
 */
const FATAL_TO_PRODUCER = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'DUPLICATE_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING', 'UNKNOWN_PRODUCER_ID', 'PRODUCER_FENCED']);
const PRODUCER_FENCED_CODE = 90;

/** Whether `error` (or what it wraps: kafkajs nests the broker's error in its retry errors) leaves the producer unusable. */
function isFatalToProducer(error: unknown): boolean {
  let current = error as { type?: string; code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    if ((current.type && FATAL_TO_PRODUCER.has(current.type)) || current.code === PRODUCER_FENCED_CODE) return true;
    current = current.cause as typeof current;
  }
  return false;
}

async function withTimeout(work: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const result = await Promise.race([work.then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') onTimeout();
}

export class KafkajsTransport implements EventTransport {
  private readonly kafka: Kafka;
  private readonly probe: Kafka;
  private producer?: Promise<Producer>;
  private admin?: Promise<Admin>;
  private readonly consumers = new Set<Consumer>();
  /**
   * Topics known to exist (ensured, or sent to). A send to any other topic first asks the broker
   * whether it exists: with auto-creation off, kafkajs would retry a missing topic for half a
   * minute before failing, and the relay would wait that long for every document that names it.
   */
  private readonly knownTopics = new Set<string>();

  constructor(private readonly options: KafkaTransportOptions) {
    const common = {
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: options.connectionTimeoutMs ?? 3_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      logLevel: logLevel.WARN,
      logCreator: pinoLogCreator(options.logger),
    };
    this.kafka = new Kafka({ ...common, retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 } });
    // Readiness must answer "no" quickly instead of retrying for half a minute.
    this.probe = new Kafka({ ...common, clientId: `${options.clientId}-probe`, connectionTimeout: 1_000, requestTimeout: 1_500, retry: { retries: 0 } });
  }

  private getProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return producer;
    })().catch((error) => {
      this.producer = undefined;
      throw error;
    });
    return this.producer;
  }

  private getAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }

  async send(messages: OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, OutboundMessage[]>();
    for (const m of messages) {
      const list = byTopic.get(m.topic) ?? [];
      list.push(m);
      byTopic.set(m.topic, list);
    }
    await this.failIfMissing([...byTopic.keys()]);
    const pending = this.getProducer();
    const producer = await pending;
    try {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
        })),
      });
    } catch (error) {
      // Dropped, so the next send starts a new producer (new id, sequences from zero) instead
      // of failing like this for ever. Only the producer that failed: a send that failed with
      // an older one must not drop its replacement.
      if (isFatalToProducer(error) && this.producer === pending) {
        this.producer = undefined;
        this.options.logger.warn({ err: error }, 'kafka producer broken by the broker; replaced by a new one for the next send');
        void producer.disconnect().catch(() => undefined);
      }
      throw error;
    }
    for (const topic of byTopic.keys()) this.knownTopics.add(topic);
  }

  /** Throws at once, naming them, when topics this transport has not seen yet do not exist. */
  private async failIfMissing(topics: string[]): Promise<void> {
    const unknown = topics.filter((t) => !this.knownTopics.has(t));
    if (unknown.length === 0) return;
    const existing = new Set(await (await this.getAdmin()).listTopics());
    const missing = unknown.filter((t) => !existing.has(t));
    for (const topic of unknown) if (existing.has(topic)) this.knownTopics.add(topic);
    if (missing.length > 0) throw new Error(`topic ${missing.join(', ')} does not exist (and is not created on first use)`);
  }

  async consume(options: ConsumeOptions): Promise<Subscription> {
    let stopping = false;
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      // After a crash (the broker went away) kafkajs restarts the consumer; not while we stop.
      retry: { initialRetryTime: 300, retries: 10, restartOnFailure: async () => !stopping },
    });
    await consumer.connect();
    this.consumers.add(consumer);
    for (const topic of options.topics) await consumer.subscribe({ topic, fromBeginning: options.fromBeginning });
    await consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
        for (const message of batch.messages) {
          // On shutdown or rebalance, stop at a message boundary; what was done is committed below.
          if (!isRunning() || isStale()) break;
          const inbound: InboundMessage = {
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            key: message.key ? message.key.toString('utf8') : null,
            value: message.value,
            headers: headersToStrings(message.headers),
          };
          await options.onMessage(inbound, heartbeat);
          resolveOffset(message.offset);
          await heartbeat();
        }
        await commitOffsetsIfNecessary();
      },
    });
    return {
      stop: async () => {
        stopping = true;
        this.consumers.delete(consumer);
        // disconnect() waits for the batch in hand, commits resolved offsets and leaves the group.
        // While kafkajs is reconnecting after a broker outage it can wait for ever; what was
        // processed is committed already or will be redelivered (at least once), so give up.
        await withTimeout(consumer.disconnect(), this.options.stopTimeoutMs ?? 10_000, () =>
          this.options.logger.warn({ groupId: options.groupId }, 'consumer did not stop in time; unprocessed messages will be redelivered'),
        );
      },
    };
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.getAdmin();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await this.create(admin, missing);
    await this.untilLed(topics.map((t) => t.topic));
    for (const t of topics) this.knownTopics.add(t.topic);
  }

  private async create(admin: Admin, missing: TopicSpec[]): Promise<void> {
    try {
      // kafkajs's own wait for leaders retries only LEADER_NOT_AVAILABLE; a broker that has just
      // created a topic can also answer UNKNOWN_TOPIC_OR_PARTITION for it until its metadata has
      // caught up, so the wait is done below, retrying both.
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          configEntries: [{ name: 'retention.ms', value: String(t.retentionMs ?? -1) }],
        })),
      });
    } catch (error) {
      // Another replica may have created it between listTopics and createTopics.
      if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
    }
  }

  /** Resolves once every partition of `topics` has a leader, retrying the errors of a topic that is still being created. */
  private async untilLed(topics: string[]): Promise<void> {
    const admin = await this.getAdmin();
    const deadline = Date.now() + 30_000;
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics: described } = await admin.fetchTopicMetadata({ topics });
        const led = described.length === topics.length && described.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
        if (led) return;
        if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leader after 30 s`);
      } catch (error) {
        const retriable = (error as { retriable?: boolean }).retriable === true;
        if (!retriable || Date.now() > deadline) throw error;
      }
      await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500)));
    }
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const admin = await this.getAdmin();
    // A topic created a moment ago (by another service, or by the broker on first mention) has
    // no leader yet for a short while; kafkajs's admin does not retry that, so it is retried
    // here with fresh metadata rather than failing a replay on a brand-new broker.
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high }));
      } catch (error) {
        // While its partitions have no leader yet, kafkajs's admin also fails with a TypeError of its
        // own (it reads the offsets of a partition list the broker left empty): the same moment.
        const retriable = (error as { retriable?: boolean }).retriable === true || error instanceof TypeError;
        if (!retriable || attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1_000)));
        await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      }
    }
  }

  async deleteConsumerGroup(groupId: string): Promise<void> {
    const admin = await this.getAdmin();
    await admin.deleteGroups([groupId]);
  }

  async ping(): Promise<void> {
    const admin = this.probe.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const timeout = this.options.stopTimeoutMs ?? 10_000;
    const warn = (what: string) => () => this.options.logger.warn(`${what} did not disconnect in time`);
    for (const consumer of this.consumers) await withTimeout(consumer.disconnect().catch(() => undefined), timeout, warn('a consumer'));
    this.consumers.clear();
    const producer = this.producer;
    const admin = this.admin;
    this.producer = undefined;
    this.admin = undefined;
    if (producer) await withTimeout(producer.then((p) => p.disconnect()).catch(() => undefined), timeout, warn('the producer'));
    if (admin) await withTimeout(admin.then((a) => a.disconnect()).catch(() => undefined), timeout, warn('the admin client'));
  }
}
