// A service's copies of another service's records about children, kept from that service's
// events: transitions keeps assessment results and plan summaries for its handover packages.
// Data protection follows the source: a copy goes when the source disposes of its record
// (dk.spor.privacy.retention.disposed.v1) and when the child leaves the directory
// (dk.spor.identity.person.removed.v1, through DirectoryView.alsoForget), and no late or
// replayed event brings it back.
import type { Collection, Db, Document } from 'mongodb';
import { applyVersioned } from '@spor/mongo';
import { topicFor, type EventHandler, type SporEvent } from '@spor/events';
import type { DirectoryView } from './directory-view.js';

// As libs/privacy names them (this library does not depend on it).
const RETENTION_DISPOSED = 'dk.spor.privacy.retention.disposed.v1';
const RETENTION_TOPIC = topicFor('privacy', 'retention');

export class ChildRecordCopies<T extends Document> {
  // Keyed by the source's record id (a string).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly copies: Collection<any>;

  /** `source`: whose records these are, as its disposals name them. */
  constructor(
    db: Db,
    collectionName: string,
    readonly source: { service: string; recordKind: string },
    private readonly directory: Pick<DirectoryView, 'isRemoved'>,
  ) {
    this.copies = db.collection(collectionName);
  }

  async init(): Promise<void> {
    await this.copies.createIndex({ childId: 1 });
  }

  /** Applies one event of a record (by version), unless the child has left the directory. */
  async apply(recordId: string, version: number, childId: string, fields: Partial<T>): Promise<void> {
    if (await this.directory.isRemoved(childId)) return;
    await applyVersioned(this.copies, recordId, version, { $set: { ...fields, childId } });
  }

  /** The child's copies. */
  async ofChild(childId: string): Promise<(T & { _id: string; version: number; childId: string })[]> {
    return (await this.copies.find({ childId }).toArray()) as unknown as (T & { _id: string; version: number; childId: string })[];
  }

  /**
   * The source disposed of the record: what stays is a marker (id only) that outranks every
   * version, so a redelivered or replayed event of the record is passed over. Record ids are
   * never reused, so the marker can stay.
   */
  async forgetRecord(recordId: string): Promise<void> {
    await this.copies.replaceOne({ _id: recordId }, { version: Number.MAX_SAFE_INTEGER, removed: true }, { upsert: true });
  }

  /** The child left the directory: every copy about it goes (DirectoryView keeps the marker). */
  async forgetChild(childId: string): Promise<void> {
    await this.copies.deleteMany({ childId });
  }
}

/**
 * The disposals these copies follow: the retention topic and one handler that hands each
 * disposal to the copies of its source (one handler, since every source's disposals share one
 * event type). Disposals of other records are passed over.
 */
export function followDisposals(copies: ChildRecordCopies<Document>[]): { topics: string[]; handlers: Record<string, EventHandler> } {
  const handler: EventHandler = async (event: SporEvent) => {
    const d = event.data as { service: string; recordKind: string; recordId: string };
    for (const c of copies) if (c.source.service === d.service && c.source.recordKind === d.recordKind) await c.forgetRecord(d.recordId);
  };
  return { topics: [RETENTION_TOPIC], handlers: { [RETENTION_DISPOSED]: handler } };
}
