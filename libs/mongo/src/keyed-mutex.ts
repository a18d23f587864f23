// Serialises async work per key inside one process. The aggregate store and the outbox
// relay take the same lock for a document (import jobs one per job), because FerretDB 1.x applies an update as
// read-modify-write without isolation: two concurrent conditional updates of one document
// can both "match" and the later write wins (see docs/decisions/0003-aggregate-writes.md).
// On MongoDB the version and outboxSeq guards alone are enough; the lock costs little there.

/** The key of one aggregate document's lock: every writer of the document takes this one. */
export function documentLockKey(collectionName: string, id: unknown): string {
  return `${collectionName}:${String(id)}`;
}

export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  get size(): number {
    return this.tails.size;
  }
}
