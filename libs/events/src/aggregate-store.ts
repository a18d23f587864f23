// Loads and saves aggregate documents with optimistic concurrency, writing the state change
// and its events in one single-document write, then nudging the relay. Services build their
// repositories on this so every aggregate is written the same, safe way.
import type { Collection, Document } from 'mongodb';
import { conflict } from '@spor/service-kit';
import { isDuplicateKeyError } from '@spor/mongo';
import type { SporEvent } from './envelope.js';
import { documentLockKey, type KeyedMutex } from './keyed-mutex.js';
import type { OutboxRelay, WrittenOutbox } from './outbox-relay.js';
import { WITHOUT_OUTBOX, outboxForInsert, withPendingEvents, type OutboxFields } from './pending-events.js';

export type Stored<S> = S & { _id: string; version: number };

/** A lookup key's value: one id, several (a document is found by any of them), or none. */
export type LookupKey = string | string[] | null;

export interface AggregateStoreOptions<S extends Document = Document> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  collection: Collection<any>;
  locks: KeyedMutex;
  relay?: OutboxRelay;
  /** Name used in conflict messages, for example "plan". */
  aggregate: string;
  /**
   * Top-level copies of nested state fields that queries look documents up by, for example
   * `{ lookupChildId: a.target.childId }`. FerretDB 1.x pushes an equality on a top-level field
   * down to PostgreSQL and its index, but reads and decodes the whole collection for a dotted path
   * (1 s against 2 ms for one child's documents among 20,000). Written with every state, never
   * returned with it (`readProjection`). Index them.
   */
  lookup?: { fields: string[]; of: (state: S) => Record<string, LookupKey> };
}

const OUTBOX_KEYS = new Set(['pendingEvents', 'outboxSeq', 'hasPending', '_id', 'version']);

export class AggregateStore<S extends Document> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly collection: Collection<any>;

  /** What reads of these documents leave out: the outbox and the lookup keys. */
  readonly readProjection: Record<string, 0>;

  constructor(private readonly options: AggregateStoreOptions<S>) {
    this.collection = options.collection;
    this.readProjection = { ...WITHOUT_OUTBOX, ...Object.fromEntries((options.lookup?.fields ?? []).map((f) => [f, 0 as const])) };
  }

  private lookupOf(state: S): Record<string, LookupKey> {
    return this.options.lookup?.of(state) ?? {};
  }

  /**
   * Writes the lookup keys into documents stored before the keys existed (a document without
   * any one of them, so a key added later is written too). Reads the whole collection once: call
   * it at start, before requests. Each write holds the document's lock and sets only the keys,
   * so it races nothing.
   */
  async backfillLookups(): Promise<number> {
    const lookup = this.options.lookup;
    if (!lookup) return 0;
    let written = 0;
    const lacking = { $or: lookup.fields.map((field) => ({ [field]: { $exists: false } })) };
    const missing = await this.collection.find(lacking, { projection: this.readProjection }).toArray();
    for (const doc of missing as Stored<S>[]) {
      await this.options.locks.run(this.lockKey(doc._id), async () => {
        const r = await this.collection.updateOne({ _id: doc._id, ...lacking }, { $set: this.lookupOf(doc) });
        written += r.modifiedCount;
      });
    }
    return written;
  }

  /**
   * Takes documents stored before the collection was written as aggregates (they have no
   * `version`) into it: version 1, their lookup keys, and the events `eventsOf` makes from the
   * state as stored, which the relay then publishes. Reads the whole collection once (`$exists`):
   * call it at start, before requests. Each write holds the document's lock and is conditional on
   * the version still missing, so it races no writer and a second call adopts nothing. Answers how many.
   */
  async adoptUnversioned(eventsOf: (id: string, state: S) => SporEvent[]): Promise<number> {
    const earlier = (await this.collection.find({ version: { $exists: false } }, { projection: this.readProjection }).toArray()) as (S & { _id: string })[];
    let adopted = 0;
    for (const { _id, ...rest } of earlier) {
      const state = rest as unknown as S;
      const outbox = outboxForInsert(eventsOf(_id, state));
      const written = await this.options.locks.run(this.lockKey(_id), () => this.collection.updateOne({ _id, version: { $exists: false } }, { $set: { version: 1, ...this.lookupOf(state), ...outbox } }));
      if (written.modifiedCount === 0) continue;
      adopted++;
      if (outbox.pendingEvents.length > 0) this.options.relay?.notify(this.collection.collectionName, _id, { pendingEvents: outbox.pendingEvents, outboxSeq: outbox.outboxSeq });
    }
    return adopted;
  }

  lockKey(id: string): string {
    return documentLockKey(this.collection.collectionName, id);
  }

  async load(id: string): Promise<Stored<S> | null> {
    const doc = (await this.collection.findOne({ _id: id }, { projection: this.readProjection })) as (Stored<S> & Partial<OutboxFields>) | null;
    return doc;
  }

  /** Inserts a new aggregate at version 1 with its first events. */
  async create(id: string, state: S, events: SporEvent[]): Promise<Stored<S>> {
    const stored = { ...this.strip(state), _id: id, version: 1 } as Stored<S>;
    const outbox = outboxForInsert(events);
    await this.options.locks.run(this.lockKey(id), async () => {
      try {
        await this.collection.insertOne({ ...stored, ...this.lookupOf(state), ...outbox });
      } catch (error) {
        if (isDuplicateKeyError(error)) throw conflict('ALREADY_EXISTS', `${this.options.aggregate} ${id} already exists`);
        throw error;
      }
    });
    // A new document's outbox is exactly what was inserted: the relay need not read it back.
    if (events.length > 0) this.options.relay?.notify(this.collection.collectionName, id, { pendingEvents: outbox.pendingEvents, outboxSeq: outbox.outboxSeq });
    return stored;
  }

  /**
   * Replaces the state of version `expectedVersion` by `state` (version + 1) together with its
   * events. A concurrent change in between gives a 409 VERSION_CONFLICT; nothing is written.
   * `previous` is the state being replaced: a field it had that `state` has not (or has as
   * undefined) is removed from the document, which the write does not replace whole (it sets
   * fields beside the outbox). Required, so no caller can leave a dropped field behind.
   */
  async save(id: string, expectedVersion: number, state: S, events: SporEvent[], previous: S): Promise<Stored<S>> {
    const version = expectedVersion + 1;
    const kept = Object.fromEntries(Object.entries(this.strip(state)).filter(([, v]) => v !== undefined));
    const stored = { ...kept, _id: id, version } as unknown as Stored<S>;
    const { _id: _omit, ...fields } = stored;
    const dropped = [...new Set([...Object.keys(this.strip(previous)), ...Object.keys(this.strip(state))])].filter((k) => !(k in kept));
    const written = await this.options.locks.run(this.lockKey(id), async (): Promise<false | WrittenOutbox | null> => {
      const update = withPendingEvents({ $set: { ...fields, ...this.lookupOf(state) }, ...(dropped.length > 0 ? { $unset: Object.fromEntries(dropped.map((k) => [k, ''])) } : {}) }, events);
      if (events.length === 0) return (await this.collection.updateOne({ _id: id, version: expectedVersion }, update)).matchedCount === 1 ? null : false;
      // With events, the write answers the outbox it left (every pending event, the sequence
      // number) in the same round trip, so the relay need not read the document back.
      // (No projection: FerretDB 1.x does not implement one in findAndModify.)
      const after = (await this.collection.findOneAndUpdate({ _id: id, version: expectedVersion }, update, { returnDocument: 'after' })) as WrittenOutbox | null;
      return after ? { pendingEvents: after.pendingEvents, outboxSeq: after.outboxSeq } : false;
    });
    if (written === false) throw conflict('VERSION_CONFLICT', `${this.options.aggregate} ${id} was changed by someone else (expected version ${expectedVersion}); reload and try again`);
    if (written) this.options.relay?.notify(this.collection.collectionName, id, written);
    return stored;
  }

  private strip(state: S): S {
    const copy: Document = {};
    const lookups = this.options.lookup?.fields ?? [];
    for (const [k, v] of Object.entries(state)) if (!OUTBOX_KEYS.has(k) && !lookups.includes(k)) copy[k] = v;
    return copy as S;
  }
}
