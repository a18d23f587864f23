// A key derived from a document's state (a login id, an external id within a municipality),
// stored once more at the top level under a unique sparse index so the store refuses a second
// holder. Documents stored before the key existed get it at start from here.
import type { Collection, Document, Filter } from 'mongodb';
import { isDuplicateKeyError } from './connection.js';

export interface UniqueKeyBackfill<D extends Document> {
  /** The top-level field the key is kept in. */
  field: string;
  /** Which documents should have a key (the field's absence is added). */
  owners: Filter<D>;
  /** The fields `keyOf` reads. */
  projection: Record<string, 1>;
  keyOf: (doc: D) => string;
  /** A document whose key another one already holds (stored before the key was refused): for the log. */
  onShared: (doc: D & { _id: unknown }, heldBy: unknown) => void;
}

/**
 * Writes the key into the documents that should have one and lack it. The first to take a key
 * keeps it; a document that shares it with one before it stays without, reported to `onShared`
 * by id for the administrators to correct. Repeatable: reads only the documents still lacking it.
 */
export async function backfillUniqueKey<D extends Document>(collection: Collection<D>, options: UniqueKeyBackfill<D>): Promise<{ written: number; shared: number }> {
  const lacking = { ...options.owners, [options.field]: { $exists: false } } as Filter<D>;
  let written = 0;
  let shared = 0;
  for (const doc of await collection.find(lacking, { projection: options.projection }).toArray()) {
    const key = options.keyOf(doc as D);
    try {
      written += (await collection.updateOne({ _id: doc._id, [options.field]: { $exists: false } } as Filter<D>, { $set: { [options.field]: key } } as never)).modifiedCount;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      shared++;
      const holder = await collection.findOne({ [options.field]: key } as Filter<D>, { projection: { _id: 1 } });
      options.onShared(doc as D & { _id: unknown }, holder?._id);
    }
  }
  return { written, shared };
}
