// One rebuild at a time across every replica, with the other replicas' live consumers paused
// while it runs. A rebuild empties and rewrites the projections: a replica applying live events
// meanwhile would add to cells being emptied, or insert the subjects the rebuild inserts. The
// lease is one document. Its holder beats on it; a holder that stopped beating (a crashed pod)
// loses it after `staleMs`. `partial` is set just before the projections are emptied and goes
// with the lease when it is released after the write: a lease left stale with `partial` means the
// figures are incomplete, and the replica that notices rebuilds them.
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from '@spor/mongo';

export interface LeaseDoc {
  _id: 'rebuild';
  holder: string;
  beatAt: Date;
  /** The projections are being (or were left) emptied and rewritten. */
  partial: boolean;
}

export class RebuildLease {
  static collections = ['report_rebuild'];
  private readonly leases: Collection<LeaseDoc>;

  constructor(
    db: Db,
    readonly holder: string,
    readonly staleMs: number,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.leases = db.collection<LeaseDoc>('report_rebuild');
  }

  current(): Promise<LeaseDoc | null> {
    return this.leases.findOne({ _id: 'rebuild' });
  }

  isStale(lease: LeaseDoc): boolean {
    return this.clock().getTime() - lease.beatAt.getTime() > this.staleMs;
  }

  /** Whether the lease is another holder's, alive: this replica's live consumer pauses. */
  heldByAnother(lease: LeaseDoc | null): boolean {
    return !!lease && lease.holder !== this.holder && !this.isStale(lease);
  }

  /**
   * Takes the lease, or a stale one over (keeping its `partial`: the figures it left are still
   * incomplete). Null while another holder's lease is alive.
   */
  async acquire(): Promise<LeaseDoc | null> {
    const fresh: LeaseDoc = { _id: 'rebuild', holder: this.holder, beatAt: this.clock(), partial: false };
    try {
      await this.leases.insertOne(fresh);
      return fresh;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const held = await this.current();
    if (!held) return this.acquire();
    if (!this.isStale(held) && held.holder !== this.holder) return null;
    // Taken over as it was read: of two replicas taking over the same stale lease, one wins.
    const taken = { ...fresh, partial: held.partial };
    const result = await this.leases.replaceOne({ _id: 'rebuild', holder: held.holder, beatAt: held.beatAt }, taken);
    return result.matchedCount === 1 ? taken : null;
  }

  async beat(): Promise<void> {
    await this.leases.updateOne({ _id: 'rebuild', holder: this.holder }, { $set: { beatAt: this.clock() } });
  }

  async markPartial(): Promise<void> {
    const result = await this.leases.updateOne({ _id: 'rebuild', holder: this.holder }, { $set: { partial: true, beatAt: this.clock() } });
    if (result.matchedCount === 0) throw new Error('the rebuild lease was lost before the projections were emptied');
  }

  async release(): Promise<void> {
    await this.leases.deleteOne({ _id: 'rebuild', holder: this.holder });
  }
}
