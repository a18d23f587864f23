// Publishes the pending events of aggregate documents and then clears them.
// Crash between publish and clear: the events are published again on restart; consumers
// deduplicate, so a replay may duplicate but never lose. Order per aggregate holds because
// a document's events are sent in array order by a producer with one request in flight.
import type { Collection, Document } from 'mongodb';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { inChunks } from '@spor/mongo';
import { documentLockKey, type KeyedMutex } from './keyed-mutex.js';
import { eventMessage, type OutboxFields, type PendingEvent } from './pending-events.js';
import type { EventTransport } from './transport.js';
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
  private readonly byName: Map<string, Collection<OutboxDocument>>;
  private readonly loop: WorkLoop;
  private lastSweep = 0;
  private readonly publishedCount?: Counter<'collection'>;
  private readonly failures?: Counter;

  constructor(private readonly options: OutboxRelayOptions) {
    this.byName = new Map(options.collections.map((c) => [c.collectionName, c as unknown as Collection<OutboxDocument>]));
    if (options.metrics) {
      this.publishedCount = new Counter({ name: 'spor_outbox_events_published_total', help: 'Events published by the outbox relay', labelNames: ['collection'], registers: [options.metrics] });
      this.failures = new Counter({ name: 'spor_outbox_relay_failures_total', help: 'Failed outbox relay rounds (retried)', registers: [options.metrics] });
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
    for (const [name, collection] of this.byName) {
      const taken = this.takeNotified(name, batchSize);
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
        const docs = (await collection.find({ hasPending: true } as Document).limit(batchSize).toArray()).filter((d) => !queued?.has(d._id));
        total += await this.publishAndClear(name, collection, docs);
      }
    }
    if (sweepDue) this.lastSweep = Date.now();
    return total;
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
    // Events published already (and not yet cleared when this document was read) are cleared, not sent again.
    const pending = withEvents.flatMap((d) => d.pendingEvents).filter((p) => !this.published.has(p.id));
    if (pending.length > 0) {
      await this.options.transport.send(pending.map(eventMessage));
      remember(this.published, pending.map((p) => p.id));
      await this.options.afterPublish?.(pending.map((p) => p.id));
    }
    const toClear = withEvents.filter((d) => !d.pendingEvents.every((p) => this.cleared.has(p.id)));
    await this.clear(collection, toClear);
    remember(this.cleared, toClear.flatMap((d) => d.pendingEvents.map((p) => p.id)));
    this.publishedCount?.inc({ collection: name }, pending.length);
    return pending.length;
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
