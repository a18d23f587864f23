// Consents as aggregates: the state, its evidence and its events in one write (libs/events).
// Every event says whether the consent is valid after the change, as evaluated against the
// custody holders consent knows then, so consumers can keep a projection without asking.
import type { Collection } from 'mongodb';
import { findEach } from '@spor/mongo';
import { AggregateStore, type EventFactory, type KeyedMutex, type OutboxRelay, type Stored } from '@spor/events';
import { evaluate, type Consent, type ConsentAction, type Evaluation } from '../domain/consent.js';

/** The stored UTC day (YYYY-MM-DD) of a consent's next expiry, null without one. */
export const EXPIRY_DAY_KEY = 'lookupExpiryDay';

export const consentEventType = (action: ConsentAction) => `dk.spor.consent.consent.${action}.v1`;
/** Published when a consent's retention ran out and it was archived and deleted (see privacy.ts). */
export const CONSENT_REMOVED = 'dk.spor.consent.consent.removed.v1';

export class ConsentRepository {
  private readonly store: AggregateStore<Consent>;

  constructor(
    private readonly collection: Collection<Stored<Consent>>,
    private readonly factory: EventFactory,
    locks: KeyedMutex,
    relay: OutboxRelay,
  ) {
    // The expiry sweep looks consents up by the day of their next expiry (dueForExpiry).
    this.store = new AggregateStore<Consent>({
      collection,
      locks,
      relay,
      aggregate: 'consent',
      lookup: { fields: [EXPIRY_DAY_KEY], of: (c) => ({ [EXPIRY_DAY_KEY]: c.nextExpiry?.slice(0, 10) ?? null }) },
    });
  }

  async init(): Promise<void> {
    await this.collection.createIndex({ childId: 1 });
    await this.collection.createIndex({ nextExpiry: 1 });
    await this.collection.createIndex({ [EXPIRY_DAY_KEY]: 1 });
    // Consents stored before the key existed get it now, before the first sweep.
    await this.store.backfillLookups();
  }

  get(id: string): Promise<Stored<Consent> | null> {
    return this.store.load(id);
  }

  /** One query per child (findEach: an `$in` reads the whole collection on FerretDB 1.x). */
  async forChildren(childIds: string[]): Promise<Stored<Consent>[]> {
    const found = (await findEach(this.collection, 'childId', childIds, {}, { projection: this.store.readProjection })) as Stored<Consent>[];
    return found.sort((a, b) => a.childId.localeCompare(b.childId) || a.purposeId.localeCompare(b.purposeId));
  }

  /**
   * Ids of consents with a grant that has run out by `now`, at most `limit`. By default only
   * consents whose next expiry falls on now's day or the day before (UTC), one equality each;
   * `everyDay` asks by range, which also finds one an earlier missed sweep left behind, but
   * reads the whole collection on FerretDB 1.x (decision 0002): the sweep does that at start and
   * once a day.
   */
  async dueForExpiry(now: Date, options: { everyDay?: boolean; limit?: number } = {}): Promise<string[]> {
    const limit = options.limit ?? 500;
    const due = now.toISOString();
    if (options.everyDay) {
      const docs = await this.collection.find({ nextExpiry: { $ne: null, $lte: due } }, { projection: { _id: 1 } }).limit(limit).toArray();
      return docs.map((d) => d._id);
    }
    const days = [new Date(now.getTime() - 86_400_000), now].map((d) => d.toISOString().slice(0, 10));
    const docs = await findEach(this.collection, EXPIRY_DAY_KEY, days, {}, { projection: { _id: 1, nextExpiry: 1 } });
    return docs.filter((d) => d.nextExpiry !== null && d.nextExpiry <= due).slice(0, limit).map((d) => d._id);
  }

  create(id: string, consent: Consent, custodyHolders: string[], by: Date): Promise<Stored<Consent>> {
    const evaluation = evaluate(consent, custodyHolders, by);
    return this.store.create(id, published(consent, evaluation, custodyHolders, by), [this.event(id, 1, consent, 'requested', undefined, evaluation)]);
  }

  /** One change, one event (a sweep that expires two parents' grants at once names both). */
  save(current: Stored<Consent>, next: Consent, action: ConsentAction, parentIds: string[], custodyHolders: string[], now: Date): Promise<Stored<Consent>> {
    const evaluation = evaluate(next, custodyHolders, now);
    return this.store.save(current._id, current.version, published(next, evaluation, custodyHolders, now), [this.event(current._id, current.version + 1, next, action, parentIds, evaluation)], current);
  }

  private event(id: string, version: number, consent: Consent, action: ConsentAction, parentIds: string[] | undefined, evaluation: Evaluation) {
    return this.factory.create(consentEventType(action), {
      subject: id,
      // One child's consents stay in order (ARCHITECTURE.md: keyed by the child's id).
      partitionKey: consent.childId,
      municipalityId: consent.municipalityId,
      aggregateVersion: version,
      data: {
        consentId: id,
        childId: consent.childId,
        purposeId: consent.purposeId,
        purposeVersion: consent.purposeVersion,
        scope: consent.scope,
        ...(parentIds ? { parentIds } : {}),
        valid: evaluation.valid,
        ...(evaluation.validUntil ? { validUntil: evaluation.validUntil } : {}),
      },
    });
  }
}

/** The consent with what its event says of it, so a later change of custody can tell whether that changed (reevaluate). */
const published = (consent: Consent, evaluation: Evaluation, holders: string[], at: Date): Consent => ({
  ...consent,
  published: { valid: evaluation.valid, validUntil: evaluation.validUntil, at: at.toISOString(), holders: [...holders].sort() },
});
