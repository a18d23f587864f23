// Each child's placement history as one aggregate, keyed by the child: the state and its event
// in one write (libs/events), so one child's enrollment events are in order on one partition.
import type { Collection } from 'mongodb';
import { AggregateStore, type EventFactory, type KeyedMutex, type OutboxRelay, type Stored } from '@spor/events';
import type { ChildEnrollment, Placement } from '../domain/enrollment.js';

export const ENROLLED = 'dk.spor.transitions.enrollment.enrolled.v1';
export const MOVED = 'dk.spor.transitions.enrollment.moved.v1';
export const ENDED = 'dk.spor.transitions.enrollment.ended.v1';
/** Published by the enrollment's retention (privacy.ts), not by this repository. */
export const PLACEMENTS_REMOVED = 'dk.spor.transitions.enrollment.removed.v1';

const placementData = (childId: string, p: Placement) => ({ childId, placementId: p.placementId, institutionId: p.institutionId, institutionType: p.institutionType, groupId: p.groupId, from: p.from, to: p.to });

/** The stored top-level list of every institution a child was placed in. */
export const INSTITUTIONS_KEY = 'lookupInstitutionIds';

export class EnrollmentRepository {
  private readonly store: AggregateStore<ChildEnrollment>;

  constructor(
    private readonly collection: Collection<Stored<ChildEnrollment>>,
    private readonly factory: EventFactory,
    locks: KeyedMutex,
    relay: OutboxRelay,
  ) {
    // An institution's children are looked up by a top-level list of the institutions a child
    // was ever placed in: FerretDB 1.x reads the whole collection for placements.institutionId.
    this.store = new AggregateStore<ChildEnrollment>({
      collection,
      locks,
      relay,
      aggregate: 'enrollment',
      lookup: { fields: [INSTITUTIONS_KEY], of: (e) => ({ [INSTITUTIONS_KEY]: [...new Set(e.placements.map((p) => p.institutionId))] }) },
    });
  }

  async init(): Promise<void> {
    await this.collection.createIndex({ [INSTITUTIONS_KEY]: 1 });
    // Enrollments stored before the key existed get it now, before any request reads by it.
    await this.store.backfillLookups();
  }

  get(childId: string): Promise<Stored<ChildEnrollment> | null> {
    return this.store.load(childId);
  }

  /** Children with any placement ever in the institution. */
  withInstitution(institutionId: string): Promise<Stored<ChildEnrollment>[]> {
    return this.collection.find({ [INSTITUTIONS_KEY]: institutionId }, { projection: this.store.readProjection }).toArray() as Promise<Stored<ChildEnrollment>[]>;
  }

  async enrolled(childId: string, current: Stored<ChildEnrollment> | null, next: ChildEnrollment, placement: Placement): Promise<Stored<ChildEnrollment>> {
    const version = (current?.version ?? 0) + 1;
    const event = this.event(ENROLLED, childId, next.municipalityId, version, placementData(childId, placement));
    return current ? this.store.save(childId, current.version, next, [event], current) : this.store.create(childId, next, [event]);
  }

  moved(current: Stored<ChildEnrollment>, next: ChildEnrollment, placement: Placement, previous: Placement): Promise<Stored<ChildEnrollment>> {
    const data = { ...placementData(current._id, placement), previous: { placementId: previous.placementId, institutionId: previous.institutionId, groupId: previous.groupId, to: previous.to! } };
    return this.store.save(current._id, current.version, next, [this.event(MOVED, current._id, next.municipalityId, current.version + 1, data)], current);
  }

  ended(current: Stored<ChildEnrollment>, next: ChildEnrollment, placement: Placement): Promise<Stored<ChildEnrollment>> {
    const data = { childId: current._id, placementId: placement.placementId, institutionId: placement.institutionId, to: placement.to! };
    return this.store.save(current._id, current.version, next, [this.event(ENDED, current._id, next.municipalityId, current.version + 1, data)], current);
  }

  private event(type: string, childId: string, municipalityId: string, version: number, data: Record<string, unknown>) {
    return this.factory.create(type, { subject: childId, partitionKey: childId, municipalityId, aggregateVersion: version, data });
  }
}
