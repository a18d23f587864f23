// Bounded concurrency for store calls, and documents whose field holds one of several values
// asked as one equality query per value. FerretDB 1.x pushes an equality down to PostgreSQL (and
// the field's index) but answers `$in`, and a range, by reading and decoding the whole
// collection: three children's consents took 591 ms as one `$in` and 4 ms as three equality
// queries at 20,000 documents (FerretDB 1.23.1). MongoDB is indifferent. A filter that also holds
// an equality on another field is pushed down by that equality and may keep its `$in` (it then
// reads only the rows the equality finds).
import type { Collection, Document, Filter, FindOptions, WithId } from 'mongodb';

/** Store calls in flight at once: enough to hide latency, few enough to leave the pool to requests. */
export const STORE_CONCURRENCY = 16;

/** Runs `work` over the items at most `width` at a time, keeping their order in the answer. */
export async function inChunks<T, R>(items: readonly T[], work: (item: T) => Promise<R>, width = STORE_CONCURRENCY): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) results.push(...(await Promise.all(items.slice(i, i + width).map(work))));
  return results;
}

/**
 * The documents matching `filter` whose `field` equals one of `values`, value by value in the
 * values' order (duplicates asked once). Sort the answer yourself if the order matters otherwise.
 */
export async function findEach<T extends Document>(collection: Collection<T>, field: string, values: readonly unknown[], filter: Filter<T> = {}, options: FindOptions = {}): Promise<WithId<T>[]> {
  const answers = await inChunks([...new Set(values)], (value) => collection.find({ ...filter, [field]: value } as Filter<T>, options).toArray());
  return answers.flat();
}
