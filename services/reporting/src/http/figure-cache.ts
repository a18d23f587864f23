// Protected figures are read far more often than a month's cells change, and computing them for a
// whole municipality (reading some hundred cells, then protecting ten thousand numbers at once)
// costs more than any other read here. So a report is kept in the process under the revision
// tokens of its months and the organisation tree it was built on, and so is each month's decision
// of which cells are hidden (under its month's token); either is used again only while both are
// the same, so a read never sees older figures than the store holds. The tokens are read before
// the cells (see Projections.touch), and every replica reads them from the store, so a write
// through any replica is seen by all.
import type { KnownUnit } from '@spor/directory';

interface Entry<T> {
  revision: string;
  tree: readonly KnownUnit[] | null;
  value: T;
}

export class FigureCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly maxEntries = 500) {}

  /** The value kept for `key` if it was built on the same revision and tree, else a new one from `build`. */
  async get(key: string, revision: string, tree: readonly KnownUnit[] | null, build: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.revision === revision && hit.tree === tree) {
      // Most recently used last, so the oldest is the one dropped when full.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const value = await build();
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { revision, tree, value });
    return value;
  }
}
