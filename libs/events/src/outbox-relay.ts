// Publishes the pending events of aggregate documents and then clears them.
// Crash between publish and clear: the events are published again on restart; consumers
// deduplicate, so a replay may duplicate but never lose. Order per aggregate holds because
// a document's events are sent in array order by a producer with one request in flight.
// A document that cannot be published (its topic is missing, an event is over the broker's
// limit) holds up only itself: it is counted, logged and retried alone with a growing back-off,
// and the sweep passes over it meanwhile.
import type { Collection, Document } from 'mongodb';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { inChunks } from '@spor/mongo';
import { documentLockKey, type KeyedMutex } from './keyed-mutex.js';
import { eventMessage, type OutboxFields, type PendingEvent } from './pending-events.js';
import type { EventTransport, OutboundMessage } from './transport.js';
import { WorkLoop } from './work-loop.js';

export interface OutboxRelayOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  collections: Collection<any>[];
  transport: EventTransport;
  logger: Logger;
  /** The same per-document locks the aggregate stores of this process take. */
  locks: KeyedMutex;
  /** Documents per publish round. */
  batchSize?: number;
  /** How often every collection is swept for pending events nobody notified about. */
  sweepIntervalMs?: number;
  /**
   * Bytes of events per send (JSON, keys, headers). The broker refuses a partition's share of a
   * send over its max.message.bytes (1 MiB by default); a document with more is sent in several
   * sends, in order.
   */
  maxSendBytes?: number;
  metrics?: Registry;
  /** Called after a publish is acknowledged and before the events are cleared (fault injection in tests). */
  afterPublish?: (eventIds: string[]) => void | Promise<void>;
}

type OutboxDocument = Document & OutboxFields & { _id: unknown };

/** Ids of events this relay published lately; enough to span the notifications still queued. */
const REMEMBERED = 10_000;

/**
 * What a writer knows of a document's outbox right after its write, under the document's lock:
 * every event then pending and the sequence number. A notification that carries it spares the
 * relay reading the document back.
 */
export interface WrittenOutbox {
  pendingEvents: PendingEvent[];
  outboxSeq: number;
}

/** A document whose events could not be published: tried again, alone, from `retryAt` on. */
interface Failing {
  collection: string;
  id: unknown;
  attempts: number;
  retryAt: number;
}

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 300_000;
const MAX_SEND_BYTES = 512 * 1024;

/** A send failed and the broker does not answer at all: no document is to blame, and none can be published now. */
class BrokerUnreachable extends Error {
  constructor(readonly sendError: unknown) {
    super('the broker does not answer');
  }
}

function messageBytes(m: OutboundMessage): number {
  let bytes = Buffer.byteLength(m.key) + (typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length);
  for (const [k, v] of Object.entries(m.headers)) bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  return bytes;
}

/** Adds ids to a bounded memory, the oldest dropped first. */
function remember(memory: Set<string>, ids: string[]): void {
  for (const id of ids) memory.add(id);
  for (const id of memory) {
    if (memory.size <= REMEMBERED) break;
    memory.delete(id);
  }
}

export class OutboxRelay {
  /** Per collection, the notified documents: what their writer saw, or null to read them back. */
  private readonly notified = new Map<string, Map<unknown, WrittenOutbox | null>>();
  /**
   * Events published lately, so one that a sweep already published is not published again from
   * a notification queued meanwhile (or from a later snapshot of the same document). Kept in
   * publishing order, oldest dropped first.
   */
  private readonly published = new Set<string>();
  /**
   * Events this relay published and cleared lately. A writer's notification can arrive after a
   * sweep already published and cleared what it wrote (the sweep's read answered before the
   * writer's insert did): the notified outbox is then cleared already, and is not cleared again.
   */
  private readonly cleared = new Set<string>();
  /** Documents that failed to publish lately, by lock key; bounded like the memories above. */
  private readonly failing = new Map<string, Failing>();
  private readonly byName: Map<string, Collection<OutboxDocument>>;
  private readonly loop: WorkLoop;
  private lastSweep = 0;
  private readonly publishedCount?: Counter<'collection'>;
  private readonly failures?: Counter;
  private readonly publishFailures?: Counter<'collection'>;

  constructor(private readonly options: OutboxRelayOptions) {
    this.byName = new Map(options.collections.map((c) => [c.collectionName, c as unknown as Collection<OutboxDocument>]));
    if (options.metrics) {
      this.publishedCount = new Counter({ name: 'spor_outbox_events_published_total', help: 'Events published by the outbox relay', labelNames: ['collection'], registers: [options.metrics] });
      this.failures = new Counter({ name: 'spor_outbox_relay_failures_total', help: 'Failed outbox relay rounds (retried)', registers: [options.metrics] });
      this.publishFailures = new Counter({ name: 'spor_outbox_publish_failures_total', help: 'Documents whose events could not be published (retried alone, with back-off)', labelNames: ['collection'], registers: [options.metrics] });
    }
    this.loop = new WorkLoop({
      // Notifications that came in during the round are worked off at once, not after the interval.
      round: async () => (await this.runOnce()) > 0 || this.anyNotified(),
      idleMs: options.sweepIntervalMs ?? 1_000,
      logger: options.logger,
      failureMessage: 'outbox relay round failed; events stay pending',
      failures: this.failures,
    });
  }

  /**
   * Adds a collection whose documents carry pending events after the relay was built: a
   * library's own collection (the audit log) that the service does not list as an aggregate.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  watch(collection: Collection<any>): void {
    if (!this.byName.has(collection.collectionName)) this.byName.set(collection.collectionName, collection as unknown as Collection<OutboxDocument>);
  }

  /**
   * Tells the relay a document has new pending events, so it need not wait for the sweep. With
   * `written` (the outbox as the write left it), the relay publishes from it without reading
   * the document back; its clear is still guarded by the sequence number.
   */
  notify(collectionName: string, id: unknown, written?: WrittenOutbox): void {
    if (!this.byName.has(collectionName)) throw new Error(`the relay does not watch collection ${collectionName}`);
    const queued = this.notified.get(collectionName) ?? new Map<unknown, WrittenOutbox | null>();
    const before = queued.get(id);
    // Two notifications of one document: the later write's outbox holds the earlier one's
    // events too; one without it (null) means the document must be read back.
    const merged = before === null || !written ? null : before && before.outboxSeq > written.outboxSeq ? before : written;
    queued.set(id, merged);
    this.notified.set(collectionName, queued);
    this.loop.wake();
  }

  start(): void {
    this.loop.start();
  }

  /** Finishes the round in hand (publish and clear), then stops. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One round: notified documents first, and a sweep of every collection when it is due. Returns events published. */
  async runOnce(): Promise<number> {
    const batchSize = this.options.batchSize ?? 200;
    let total = 0;
    const sweepDue = Date.now() - this.lastSweep >= (this.options.sweepIntervalMs ?? 1_000);
    const failed: string[] = [];
    for (const [name, collection] of this.byName) {
      try {
        total += await this.runCollection(name, collection, batchSize, sweepDue);
      } catch (error) {
        // Nothing can be published now: the round fails at once (the loop backs off) instead of
        // waiting out the broker's time-out again for every collection.
        if (error instanceof BrokerUnreachable) throw error.sendError;
        // Otherwise the failure is this collection's (its store): the ones after it still get their turn.
        failed.push(name);
        this.options.logger.warn({ err: error, collection: name }, 'outbox relay: a collection failed this round; its events stay pending');
      }
    }
    if (sweepDue) this.lastSweep = Date.now();
    if (failed.length > 0) throw new Error(`outbox relay round failed for ${failed.join(', ')}`);
    return total;
  }

  private async runCollection(name: string, collection: Collection<OutboxDocument>, batchSize: number, sweepDue: boolean): Promise<number> {
    let total = 0;
    // A document waiting out its back-off is left to the sweep that finds it due.
    const taken = this.takeNotified(name, batchSize).filter(([id]) => !this.backingOff(name, id));
    if (taken.length > 0) {
      const known = taken.filter(([, written]) => written !== null).map(([id, written]) => ({ _id: id, ...written!, hasPending: true }) as OutboxDocument);
      const ids = taken.filter(([, written]) => written === null).map(([id]) => id);
      // One lookup by _id each: an equality both stores answer from the index (FerretDB 1.x
      // reads the whole collection for `$in`, decision 0002). Writers that hand over their
      // outbox spare even that.
      const found = await inChunks(ids, (id) => collection.findOne({ _id: id } as Document) as Promise<OutboxDocument | null>);
      const docs = [...known, ...found.filter((d): d is OutboxDocument => d !== null && d.hasPending === true)];
      total += await this.publishAndClear(name, collection, docs);
    }
    if (sweepDue) {
      // A document whose writer's notification is still queued (written during this round) is
      // left to that notification: published and cleared once, not once from here and again there.
      const queued = this.notified.get(name);
      // Documents in back-off are left out by the query: a sweep limited to `batchSize` (and in
      // no order) would otherwise find the same failing ones every time and never the others.
      const waiting = this.backingOffIds(name);
      const filter = waiting.length > 0 ? { hasPending: true, _id: { $nin: waiting } } : { hasPending: true };
      const docs = (await collection.find(filter as Document).limit(batchSize).toArray()).filter((d) => !queued?.has(d._id));
      total += await this.publishAndClear(name, collection, docs);
    }
    return total;
  }

  private backingOff(name: string, id: unknown): boolean {
    return (this.failing.get(documentLockKey(name, id))?.retryAt ?? 0) > Date.now();
  }

  private backingOffIds(name: string): unknown[] {
    if (this.failing.size === 0) return [];
    const now = Date.now();
    return [...this.failing.values()].filter((f) => f.collection === name && f.retryAt > now).map((f) => f.id);
  }

  private anyNotified(): boolean {
    for (const queued of this.notified.values()) if (queued.size > 0) return true;
    return false;
  }

  private takeNotified(name: string, max: number): [unknown, WrittenOutbox | null][] {
    const queued = this.notified.get(name);
    if (!queued || queued.size === 0) return [];
    const taken: [unknown, WrittenOutbox | null][] = [];
    for (const entry of queued) {
      taken.push(entry);
      queued.delete(entry[0]);
      if (taken.length >= max) break;
    }
    return taken;
  }

  private async publishAndClear(name: string, collection: Collection<OutboxDocument>, docs: OutboxDocument[]): Promise<number> {
    const withEvents = docs.filter((d) => d.pendingEvents?.length > 0);
    if (withEvents.length === 0) return 0;
    const { published, sent } = await this.publish(name, withEvents);
    if (sent.length > 0) await this.options.afterPublish?.(sent);
    const toClear = published.filter((d) => !d.pendingEvents.every((p) => this.cleared.has(p.id)));
    await this.clear(collection, toClear);
    remember(this.cleared, toClear.flatMap((d) => d.pendingEvents.map((p) => p.id)));
    this.publishedCount?.inc({ collection: name }, sent.length);
    return sent.length;
  }

  /**
   * Sends the documents' events not published already: all together, in sends limited by bytes,
   * and, should a send fail while the broker answers, document by document, so that one the
   * broker refuses holds up only itself. A document that failed before goes alone from the
   * start (with the others it would fail their send again). Answers the documents now published
   * in full and the ids sent.
   */
  private async publish(name: string, docs: OutboxDocument[]): Promise<{ published: OutboxDocument[]; sent: string[] }> {
    // Ids sent by this call (the relay's memory is bounded, and a large round could outgrow it).
    const sent = new Set<string>();
    const isOut = (p: PendingEvent) => sent.has(p.id) || this.published.has(p.id);
    const send = async (list: OutboxDocument[]) => {
      const events = list.flatMap((d) => d.pendingEvents).filter((p) => !isOut(p));
      for (const part of this.bySize(events)) {
        await this.options.transport.send(part.map(([, m]) => m));
        for (const [p] of part) sent.add(p.id);
        remember(this.published, part.map(([p]) => p.id));
      }
    };
    // A failed send blames a document only if the broker answers: otherwise none is at fault.
    let brokerAnswers = false;
    const unlessBrokerDown = async (error: unknown) => {
      if (brokerAnswers) return;
      await this.options.transport.ping().catch(() => {
        throw new BrokerUnreachable(error);
      });
      brokerAnswers = true;
    };
    const alone = docs.filter((d) => this.failing.has(documentLockKey(name, d._id)));
    const together = docs.filter((d) => !this.failing.has(documentLockKey(name, d._id)));
    try {
      await send(together);
    } catch (error) {
      await unlessBrokerDown(error);
      alone.push(...together.filter((d) => !d.pendingEvents.every(isOut)));
    }
    for (const doc of alone) {
      try {
        await send([doc]);
        this.succeeded(name, doc);
      } catch (error) {
        await unlessBrokerDown(error);
        this.failed(name, doc, error);
      }
    }
    return { published: docs.filter((d) => d.pendingEvents.every(isOut)), sent: [...sent] };
  }

  /** Events with their messages, in order, in parts of at most maxSendBytes (an event larger than that alone). */
  private bySize(events: PendingEvent[]): [PendingEvent, OutboundMessage][][] {
    const max = this.options.maxSendBytes ?? MAX_SEND_BYTES;
    const parts: [PendingEvent, OutboundMessage][][] = [];
    let part: [PendingEvent, OutboundMessage][] = [];
    let bytes = 0;
    for (const p of events) {
      const message = eventMessage(p);
      const size = messageBytes(message);
      if (part.length > 0 && bytes + size > max) {
        parts.push(part);
        part = [];
        bytes = 0;
      }
      part.push([p, message]);
      bytes += size;
    }
    if (part.length > 0) parts.push(part);
    return parts;
  }

  private failed(name: string, doc: OutboxDocument, error: unknown): void {
    const key = documentLockKey(name, doc._id);
    const attempts = (this.failing.get(key)?.attempts ?? 0) + 1;
    const retryInMs = Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), MAX_RETRY_MS);
    this.failing.delete(key);
    this.failing.set(key, { collection: name, id: doc._id, attempts, retryAt: Date.now() + retryInMs });
    for (const oldest of this.failing.keys()) {
      if (this.failing.size <= REMEMBERED) break;
      this.failing.delete(oldest);
    }
    this.publishFailures?.inc({ collection: name });
    // The id and the error, never the events: they can carry personal data.
    this.options.logger.warn({ err: error, collection: name, id: String(doc._id), attempts, retryInMs }, 'outbox relay: a document’s events could not be published; tried again alone later, the others go on');
  }

  private succeeded(name: string, doc: OutboxDocument): void {
    const key = documentLockKey(name, doc._id);
    const before = this.failing.get(key);
    if (!before) return;
    this.failing.delete(key);
    this.options.logger.info({ collection: name, id: String(doc._id), attempts: before.attempts }, 'outbox relay: a document that failed to publish is published');
  }

  private async clear(collection: Collection<OutboxDocument>, aggregates: OutboxDocument[]): Promise<void> {
    // One update per aggregate, not one bulk command for the round: FerretDB 1.23 keeps a
    // PostgreSQL connection for every statement of an update command until the command ends,
    // so a bulk larger than its pool hangs the whole server (seen at 60 statements); a filter
    // on _id alone with $in would be one statement, but FerretDB scans the collection for it.
    await inChunks(aggregates, (doc) =>
      this.options.locks.run(documentLockKey(collection.collectionName, doc._id), async () => {
        // Fast path: nothing was appended since we read the document.
        const cleared = await collection.updateOne({ _id: doc._id, outboxSeq: doc.outboxSeq } as Document, { $set: { pendingEvents: [], hasPending: false } });
        // Otherwise new events arrived meanwhile (or another relay cleared): remove only what we published.
        if (cleared.matchedCount === 0) await this.clearPublished(collection, doc);
      }),
    );
  }

  /** Removes from one document only the events read with it (under its lock). */
  private async clearPublished(collection: Collection<OutboxDocument>, doc: OutboxDocument): Promise<void> {
    const sent = new Set(doc.pendingEvents.map((p) => p.id));
    const current = await collection.findOne({ _id: doc._id } as Document);
    if (!current || !current.pendingEvents?.some((p) => sent.has(p.id))) return;
    const remaining = current.pendingEvents.filter((p) => !sent.has(p.id));
    const updated = await collection.updateOne({ _id: current._id, outboxSeq: current.outboxSeq } as Document, {
      $set: { pendingEvents: remaining, hasPending: remaining.length > 0 },
    });
    // Only a writer in another process can get here (this process holds the lock); the
    // events then stay pending and are published again: a duplicate, never a loss.
    if (updated.matchedCount === 0) this.options.logger.warn({ id: String(doc._id) }, 'outbox clear raced with another process; will republish');
  }
}
