// Idempotent projection writes by version: an event with aggregate version v is applied
// only if the projection holds an older version. A replayed or duplicated event matches
// nothing (or collides on _id when upserting) and is a no-op. Needs only equality and
// range filters, so it runs on MongoDB and FerretDB alike.
import type { Collection, Document, UpdateFilter } from 'mongodb';
import { isDuplicateKeyError } from './connection.js';

export type ApplyResult = 'applied' | 'duplicate';

export async function applyVersioned(
  // Projection documents are keyed by the aggregate id (a string), hence `any` for _id.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  collection: Collection<any>,
  id: string,
  version: number,
  update: UpdateFilter<Document>,
): Promise<ApplyResult> {
  const set = { ...(update.$set ?? {}), version };
  try {
    const result = await collection.updateOne({ _id: id, version: { $lt: version } }, { ...update, $set: set }, { upsert: true });
    return result.modifiedCount + result.upsertedCount > 0 ? 'applied' : 'duplicate';
  } catch (error) {
    // The document exists with this version or a newer one: the upsert tried to insert a twin.
    if (isDuplicateKeyError(error)) return 'duplicate';
    throw error;
  }
}
