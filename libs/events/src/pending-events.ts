// Transactional outbox without transactions: an aggregate's pending events ride inside the
// aggregate document and are written in the same single-document write as the state
// change. The relay publishes them and clears them afterwards. `outboxSeq` counts appends,
// so the relay can clear exactly what it published even while new events arrive.
import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';
import { currentContext } from '@spor/service-kit';
import { inChunks } from '@spor/mongo';
import { CLOUDEVENTS_CONTENT_TYPE, HEADERS, type SporEvent } from './envelope.js';
import type { OutboundMessage } from './transport.js';
import { assertPublishable } from './schema-registry.js';
import { topicOfType } from './naming.js';
import { documentLockKey, type KeyedMutex } from './keyed-mutex.js';

export interface PendingEvent {
  id: string;
  topic: string;
  key: string;
  correlationId?: string;
  event: SporEvent;
}

/** The fields an aggregate document carries for its outbox. */
export interface OutboxFields {
  pendingEvents: PendingEvent[];
  outboxSeq: number;
  hasPending: boolean;
}

/**
 * A projection that leaves the outbox fields out: what repositories hand to the rest of a service.
 * (`outboxGroup` is on audit entries written before the audit log shipped by a watermark.)
 */
export const WITHOUT_OUTBOX = { pendingEvents: 0, outboxSeq: 0, hasPending: 0, outboxGroup: 0 } as const;

/** What the outbox stores for an event; refuses (throws) an event that is not publishable. */
export function toPending(event: SporEvent, correlationId = currentContext()?.correlationId): PendingEvent {
  assertPublishable(event);
  return {
    id: event.id,
    topic: topicOfType(event.type),
    key: event.partitionkey ?? event.subject,
    ...(correlationId ? { correlationId } : {}),
    event,
  };
}

/** The Kafka message that carries an event: its topic and key, the event as JSON, the headers every Spor event has. */
export function eventMessage(p: Pick<PendingEvent, 'topic' | 'key' | 'event' | 'correlationId'>): OutboundMessage {
  return {
    topic: p.topic,
    key: p.key,
    value: JSON.stringify(p.event),
    headers: {
      [HEADERS.contentType]: CLOUDEVENTS_CONTENT_TYPE,
      ...(p.correlationId ? { [HEADERS.correlationId]: p.correlationId } : {}),
    },
  };
}

/** Outbox fields for a document inserted together with its first events. */
export function outboxForInsert(events: SporEvent[]): OutboxFields {
  return { pendingEvents: events.map((e) => toPending(e)), outboxSeq: events.length > 0 ? 1 : 0, hasPending: events.length > 0 };
}

/** Adds the events to an update of an existing aggregate (same single-document write). */
export function withPendingEvents(update: UpdateFilter<Document>, events: SporEvent[]): UpdateFilter<Document> {
  if (events.length === 0) return update;
  const conflicts = ['pendingEvents', 'outboxSeq', 'hasPending'].filter(
    (field) => Object.values(update).some((op) => op && typeof op === 'object' && field in (op as object)),
  );
  if (conflicts.length > 0) throw new Error(`an update must not touch the outbox fields itself: ${conflicts.join(', ')}`);
  return {
    ...update,
    $set: { ...(update.$set ?? {}), hasPending: true },
    $inc: { ...(update.$inc ?? {}), outboxSeq: 1 },
    $push: { ...(update.$push ?? {}), pendingEvents: { $each: events.map((e) => toPending(e)) } },
  } as unknown as UpdateFilter<Document>;
}

/** The per-document locks a delete takes: the ones the documents' writers (their AggregateStore) take. */
export interface DeleteLocks {
  locks: KeyedMutex;
  /** A document's lock key by its id; by default the AggregateStore's, documentLockKey(collection, id). */
  lockKey?: (id: unknown) => string;
}

/**
 * Deletes the documents matching `filter` whose events the relay has published; repeatable. A
 * document with events still pending stays (deleting it would lose them), and the call throws so
 * the caller (a retention sweep) tries again later.
 *
 * With `lock`, each document is deleted under its lock. FerretDB 1.x does not isolate a filtered
 * write: without the lock a save of this process could append events between the delete's check
 * of `hasPending` and the delete, and the document would go with them. Leave it out only when
 * the caller holds the document's lock already (disposeAggregate) or nothing of this process
 * writes the documents.
 */
export async function deletePublished(collection: Collection<Document>, filter: Filter<Document>, what: string, lock?: DeleteLocks): Promise<void> {
  const published = { ...filter, hasPending: { $ne: true } };
  if (!lock) {
    await collection.deleteMany(published);
  } else {
    const keyOf = lock.lockKey ?? ((id: unknown) => documentLockKey(collection.collectionName, id));
    const ids = (await collection.find(published, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
    // Checked again under the lock: a write may have appended events since the read above.
    await inChunks(ids, (id) => lock.locks.run(keyOf(id), () => collection.deleteOne({ ...published, _id: id })));
  }
  if (await collection.findOne(filter, { projection: { _id: 1 } })) throw new Error(`${what} has events the relay has not published yet; kept until they are`);
}
