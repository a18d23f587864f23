// Legal hold: while a case about a child is open (a complaint, a case at the family services,
// a request from the authorities), none of the child's records may be deleted, whatever their
// retention period says. Authorised staff place and release holds; both are audit-logged by
// the routes. A hold names its case by a reference code, never by free text.
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';

export interface LegalHold {
  _id: string;
  childId: string;
  municipalityId: string;
  caseRef: string;
  placedBy: string;
  placedAt: Date;
  releasedBy?: string;
  releasedAt?: Date;
}

export class LegalHolds {
  static collection = 'legal_holds';
  private readonly holds: Collection<LegalHold>;

  constructor(db: Db) {
    this.holds = db.collection(LegalHolds.collection);
  }

  async init(): Promise<void> {
    await this.holds.createIndex({ childId: 1 });
  }

  async place(input: { childId: string; municipalityId: string; caseRef: string; placedBy: string; at: Date }): Promise<LegalHold> {
    const hold: LegalHold = { _id: randomUUID(), childId: input.childId, municipalityId: input.municipalityId, caseRef: input.caseRef, placedBy: input.placedBy, placedAt: input.at };
    await this.holds.insertOne(hold);
    return hold;
  }

  /** Releases a hold; answers it, or null when the child has no such open hold. */
  async release(childId: string, holdId: string, by: string, at: Date): Promise<LegalHold | null> {
    const hold = await this.holds.findOne({ _id: holdId });
    if (!hold || hold.childId !== childId || hold.releasedAt) return null;
    await this.holds.updateOne({ _id: holdId }, { $set: { releasedBy: by, releasedAt: at } });
    return { ...hold, releasedBy: by, releasedAt: at };
  }

  forChild(childId: string): Promise<LegalHold[]> {
    return this.holds.find({ childId }).sort({ placedAt: 1 }).toArray();
  }

  async isHeld(childId: string): Promise<boolean> {
    return (await this.forChild(childId)).some((h) => !h.releasedAt);
  }
}
