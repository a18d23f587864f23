// One retention sweep at a time across a service's replicas. Every replica runs the sweep on
// its own timer, and all of them share the archive volume and the database: two sweeps over
// the same expired record would archive it twice (the later package replacing the first, whose
// checksum the disposal already recorded) and log and publish its disposal twice. The sweep
// therefore runs under a lease: one document whose insert only one replica can win.
//
// Taking the lease is an insert (atomic on every MongoDB-wire store through the unique _id).
// Renewing and releasing are conditional on the holder. A holder that died leaves a lease that
// expires; the next replica removes it and takes it. On FerretDB 1.x a conditional write is not
// isolated (docs/decisions/0002), so two replicas taking over the same expired lease at the same
// moment could both hold it; FerretDB 1.x runs one replica per service anyway.
import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';

interface LeaseDoc {
  _id: string;
  holder: string;
  until: Date;
}

export class SweepLease {
  static collection = 'retention_lease';
  private readonly holder = randomUUID();
  private renewedAt = 0;

  constructor(
    private readonly leases: Collection<LeaseDoc>,
    /** How long the lease holds without renewal: longer than the slowest archiving call. */
    private readonly ttlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes the lease if nobody holds it, or its holder let it expire. */
  async acquire(): Promise<boolean> {
    if (await this.insert()) return true;
    const expired = await this.leases.deleteOne({ _id: 'sweep', until: { $lte: new Date(this.now()) } });
    return expired.deletedCount === 1 && (await this.insert());
  }

  /**
   * Keeps the lease while the sweep works; renews at most every third of its life. False when
   * another replica took it over (this one stalled past the expiry): the sweep must stop.
   */
  async keep(): Promise<boolean> {
    if (this.now() - this.renewedAt < this.ttlMs / 3) return true;
    const renewed = await this.leases.updateOne({ _id: 'sweep', holder: this.holder }, { $set: { until: new Date(this.now() + this.ttlMs) } });
    if (renewed.matchedCount === 1) this.renewedAt = this.now();
    return renewed.matchedCount === 1;
  }

  /** Lets the next sweep of any replica start at once. */
  async release(): Promise<void> {
    await this.leases.deleteOne({ _id: 'sweep', holder: this.holder });
  }

  private async insert(): Promise<boolean> {
    try {
      await this.leases.insertOne({ _id: 'sweep', holder: this.holder, until: new Date(this.now() + this.ttlMs) });
      this.renewedAt = this.now();
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === 11000) return false;
      throw error;
    }
  }
}
