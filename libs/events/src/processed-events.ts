// Idempotency for consumers whose effects are not version-ordered: the ids of processed
// events are kept per consumer group under a unique _id, so a redelivered event is skipped.
//
// The mark is a write of its own after the handler's: a crash (or a failed mark) between the
// two redelivers the event unmarked, and the handler runs again. So this skips the common
// redelivery cheaply but is no guarantee: a handler's effect must still be idempotent itself
// (applied by version, or keyed by the event id in the same write as the effect). No service
// relies on it for correctness today; the projections apply by version (applyVersioned).
import type { Collection } from 'mongodb';
import type { Connection } from 'mongoose';
import { isDuplicateKeyError } from '@spor/mongo';

interface ProcessedEventDocument {
  _id: string;
  group: string;
  eventId: string;
  type: string;
  processedAt: Date;
}

export class ProcessedEventStore {
  private readonly collection: Collection<ProcessedEventDocument>;

  constructor(connection: Connection, collectionName = 'processed_events') {
    if (!connection.db) throw new Error('ProcessedEventStore needs an open connection');
    this.collection = connection.db.collection<ProcessedEventDocument>(collectionName);
  }

  /** Creates the collection; call once at start, before consumers run. */
  async init(): Promise<void> {
    await this.collection.createIndex({ group: 1, processedAt: 1 });
  }

  private static key(group: string, eventId: string): string {
    return `${group}:${eventId}`;
  }

  async has(group: string, eventId: string): Promise<boolean> {
    // A plain {_id} lookup: the one filter every MongoDB-wire store answers from its index.
    return (await this.collection.findOne({ _id: ProcessedEventStore.key(group, eventId) })) !== null;
  }

  async mark(group: string, eventId: string, type: string): Promise<void> {
    try {
      await this.collection.insertOne({ _id: ProcessedEventStore.key(group, eventId), group, eventId, type, processedAt: new Date() });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}
