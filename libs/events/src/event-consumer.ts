// Runs a consumer group: validates each event, dispatches it by type, deduplicates,
// retries a failing handler with back-off and, when it keeps failing (or the message is
// malformed), parks it in `<topic>.dlq.<group>` with the error and moves on, so one bad
// message never stops its partition. A handler that fails because the store or the broker
// cannot be reached is retried for as long as that lasts: the event is not at fault, and once
// parked, a projection applying by version would pass it by with the key's later events and
// could not take it from the dead-letter topic again. Offsets are committed only after processing.
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

export interface ParkedMessage {
  topic: string;
  partition: number;
  offset: string;
  reason: string;
}

const UNREACHABLE_NAMES = /^(Mongo(ServerSelection|Network|NetworkTimeout|PoolCleared|NotConnected|TopologyClosed)Error|KafkaJS(Connection|RequestTimeout|NumberOfRetriesExceeded|BrokerNotFound)Error)$/;
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);
// FerretDB passes its backend's failure on when PostgreSQL cannot be reached.
const UNREACHABLE_TEXT = /connection refused|failed to connect|the database system is (starting up|shutting down)|terminating connection due to administrator command/i;

/** Whether an error says the store or the broker could not be reached (through its causes), not that the event was refused. */
export function isUnreachable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, code, message } = e as { name?: string; code?: unknown; message?: string };
    if (name && UNREACHABLE_NAMES.test(name)) return true;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    const labelled = (e as { hasErrorLabel?: (label: string) => boolean }).hasErrorLabel;
    if (typeof labelled === 'function' && (labelled.call(e, 'RetryableWriteError') || labelled.call(e, 'ResetPool'))) return true;
    if (message && UNREACHABLE_TEXT.test(message)) return true;
  }
  return false;
}

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
  private stopping = false;
  private readonly parkedCounts = new Map<string, number>();
  private firstParked = new Map<string, ParkedMessage>();

  constructor(private readonly options: EventConsumerOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    if (options.metrics) this.counter = outcomeCounter(options.metrics);
  }

  async start(): Promise<void> {
    this.stopping = false;
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

  /** How many messages this consumer has parked since it was made for `reason` (MALFORMED, SCHEMA_INVALID, HANDLER_FAILED), and the first. */
  parked(reason: string): { count: number; first?: ParkedMessage } {
    const first = this.firstParked.get(reason);
    return { count: this.parkedCounts.get(reason) ?? 0, ...(first ? { first } : {}) };
  }

  /** Finishes the message in hand, commits, leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
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

  /** Processes one message; only a failure to dead-letter, or a stop while the store is unreachable, rejects (then nothing is committed). */
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
        const unreachable = isUnreachable(error);
        if (!unreachable && attempt >= this.retry.attempts) {
          await this.deadLetter(message, 'HANDLER_FAILED', (error as Error).message ?? String(error), attempt, context.logger);
          return 'dead-lettered';
        }
        // Stopping while the store is away: the message stays uncommitted, for the next start.
        if (unreachable && this.stopping) throw error;
        context.logger.warn({ err: error, attempt, retryInMs: delay, unreachable }, unreachable ? 'event handler could not reach the store or the broker, retrying until it can' : 'event handler failed, retrying');
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
    this.parkedCounts.set(reason, (this.parkedCounts.get(reason) ?? 0) + 1);
    if (!this.firstParked.has(reason)) this.firstParked.set(reason, { topic: message.topic, partition: message.partition, offset: message.offset, reason });
    logger.error({ reason, dlqTopic: topic, error: scrubCpr(error) }, 'event parked in the dead-letter topic');
  }
}
