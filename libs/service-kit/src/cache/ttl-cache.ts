// A small in-process cache for data that changes rarely and is read on every request (unit
// trees, instrument versions). Entries live `ttlMs`; a replica that did not see a change
// itself serves the old value at most that long. Concurrent misses share one load.
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const value = load();
    this.entries.set(key, { value, until: now + this.ttlMs });
    // A failed load is not kept.
    value.catch(() => this.entries.delete(key));
    return value;
  }

  /** Forgets one entry, for a change this process saw itself. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
