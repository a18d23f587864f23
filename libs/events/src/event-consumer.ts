// Runs a consumer group: validates each event, dispatches it by type, deduplicates,
// retries a failing handler with back-off and, when it keeps failing (or the message is
// malformed), parks it in `<topic>.dlq.<group>` with the error and moves on, so one bad
// message never stops its partition. Offsets are committed only after processing.
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { runWithContext, scrubCpr } from '@spor/service-kit';
import { HEADERS, type SporEvent } from './envelope.js';
import { deadLetterTopic } from './naming.js';
import type { ProcessedEventStore } from './processed-events.js';
import type { SchemaRegistry } from './schema-registry.js';
import type { EventTransport, InboundMessage, Subscription } from './transport.js';

export interface EventContext {
  topic: string;
  partition: number;
  offset: string;
  correlationId?: string;
  logger: Logger;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventHandler = (event: SporEvent<any>, context: EventContext) => Promise<void>;

export interface RetryPolicy {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface EventConsumerOptions {
  groupId: string;
  topics: string[];
  /** One handler per event type; events of other types on the topics are skipped. */
  handlers: Record<string, EventHandler>;
  registry: SchemaRegistry;
  transport: EventTransport;
  logger: Logger;
  /** Skip events this group has processed. Leave out when handlers apply by version. */
  processed?: ProcessedEventStore;
  retry?: Partial<RetryPolicy>;
  fromBeginning?: boolean;
  metrics?: Registry;
  partitionsConsumedConcurrently?: number;
}

export type Outcome = 'processed' | 'duplicate' | 'skipped' | 'dead-lettered';

const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 100, maxDelayMs: 5_000 };
const metricsByRegistry = new WeakMap<Registry, Counter<'group' | 'outcome'>>();

function outcomeCounter(registry: Registry): Counter<'group' | 'outcome'> {
  let counter = metricsByRegistry.get(registry);
  if (!counter) {
    counter = new Counter({ name: 'spor_events_consumed_total', help: 'Events consumed, by group and outcome', labelNames: ['group', 'outcome'], registers: [registry] });
    metricsByRegistry.set(registry, counter);
  }
  return counter;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class EventConsumer {
  private subscription?: Subscription;
  private readonly retry: RetryPolicy;
  private readonly knownDlqTopics = new Set<string>();
  private readonly counter?: Counter<'group' | 'outcome'>;
  private readonly progress = new Map<string, bigint>();
  private progressListener?: () => void;

  constructor(private readonly options: EventConsumerOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    if (options.metrics) this.counter = outcomeCounter(options.metrics);
  }

  async start(): Promise<void> {
    this.subscription = await this.options.transport.consume({
      groupId: this.options.groupId,
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning ?? true,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      onMessage: async (message, heartbeat) => {
        const outcome = await this.handle(message, heartbeat);
        this.counter?.inc({ group: this.options.groupId, outcome });
        this.progress.set(`${message.topic}:${message.partition}`, BigInt(message.offset));
        this.progressListener?.();
      },
    });
  }

  /** Finishes the message in hand, commits, leaves the group. */
  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  /** Resolves once every partition has been processed up to (not including) the given high offsets. */
  async waitUntilCaughtUp(targets: { topic: string; partition: number; high: string }[], timeoutMs: number): Promise<void> {
    const done = () => targets.every((t) => BigInt(t.high) === 0n || (this.progress.get(`${t.topic}:${t.partition}`) ?? -1n) >= BigInt(t.high) - 1n);
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`consumer ${this.options.groupId} did not catch up within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.progressListener = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Processes one message; only a failure to dead-letter rejects (then nothing is committed). */
  async handle(message: InboundMessage, heartbeat: () => Promise<void> = async () => undefined): Promise<Outcome> {
    const correlationId = message.headers[HEADERS.correlationId];
    const logger = this.options.logger.child({ topic: message.topic, partition: message.partition, offset: message.offset });

    let event: SporEvent;
    try {
      event = JSON.parse(message.value?.toString('utf8') ?? 'null') as SporEvent;
    } catch (error) {
      await this.deadLetter(message, 'MALFORMED', (error as Error).message, 0, logger);
      return 'dead-lettered';
    }
    // A well-formed event of a type this group does not handle (another consumer's, or a newer
    // one) is passed over, whether or not this service knows its schema.
    if (!this.options.handlers[event?.type] && this.options.registry.checkEnvelope(event).length === 0) return 'skipped';
    const problems = this.options.registry.check(event);
    if (problems.length > 0) {
      const detail = problems.map((p) => `${p.path || '(root)'} ${p.message}`).join('; ');
      await this.deadLetter(message, 'SCHEMA_INVALID', detail, 0, logger);
      return 'dead-lettered';
    }
    const handler = this.options.handlers[event.type]!;
    if (this.options.processed && (await this.options.processed.has(this.options.groupId, event.id))) return 'duplicate';

    const context: EventContext = { topic: message.topic, partition: message.partition, offset: message.offset, correlationId, logger: logger.child({ eventId: event.id, type: event.type }) };
    let delay = this.retry.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await runWithContext({ requestId: event.id, correlationId }, () => handler(event, context));
        break;
      } catch (error) {
        if (attempt >= this.retry.attempts) {
          await this.deadLetter(message, 'HANDLER_FAILED', (error as Error).message ?? String(error), attempt, context.logger);
          return 'dead-lettered';
        }
        context.logger.warn({ err: error, attempt, retryInMs: delay }, 'event handler failed, retrying');
        await sleep(delay);
        await heartbeat();
        delay = Math.min(delay * 2, this.retry.maxDelayMs);
      }
    }
    if (this.options.processed) await this.options.processed.mark(this.options.groupId, event.id, event.type);
    return 'processed';
  }

  private async deadLetter(message: InboundMessage, reason: string, error: string, attempts: number, logger: Logger): Promise<void> {
    const topic = deadLetterTopic(message.topic, this.options.groupId);
    if (!this.knownDlqTopics.has(topic)) {
      await this.options.transport.ensureTopics([{ topic, partitions: 1 }]);
      this.knownDlqTopics.add(topic);
    }
    await this.options.transport.send([
      {
        topic,
        key: message.key ?? '',
        value: message.value ?? Buffer.alloc(0),
        headers: {
          ...message.headers,
          [HEADERS.dlqReason]: reason,
          // Error texts can quote input; never let a CPR number travel on.
          [HEADERS.dlqError]: scrubCpr(error).slice(0, 2_000),
          [HEADERS.dlqOriginalTopic]: message.topic,
          [HEADERS.dlqOriginalPartition]: String(message.partition),
          [HEADERS.dlqOriginalOffset]: message.offset,
          [HEADERS.dlqConsumerGroup]: this.options.groupId,
          [HEADERS.dlqFailedAt]: new Date().toISOString(),
          [HEADERS.dlqAttempts]: String(attempts),
        },
      },
    ]);
    logger.error({ reason, dlqTopic: topic, error: scrubCpr(error) }, 'event parked in the dead-letter topic');
  }
}
