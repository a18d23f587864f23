// Organisation units as aggregates: state and events in one write (see libs/events).
import type { Collection } from 'mongodb';
import { AggregateStore, type EventFactory, type KeyedMutex, type OutboxRelay, type Stored } from '@spor/events';
import type { OrgUnit } from '../domain/org-unit.js';

export const ORG_UNIT_CREATED = 'dk.spor.identity.orgunit.created.v1';

export class OrgUnitRepository {
  private readonly store: AggregateStore<OrgUnit>;

  constructor(
    private readonly collection: Collection<Stored<OrgUnit>>,
    private readonly factory: EventFactory,
    locks: KeyedMutex,
    relay: OutboxRelay,
  ) {
    this.store = new AggregateStore<OrgUnit>({ collection, locks, relay, aggregate: 'organisation unit' });
  }

  get(id: string): Promise<Stored<OrgUnit> | null> {
    return this.store.load(id);
  }

  async children(parentId: string): Promise<Stored<OrgUnit>[]> {
    return (await this.collection.find({ parentId }, { projection: { pendingEvents: 0, outboxSeq: 0, hasPending: 0 } }).sort({ name: 1 }).toArray()) as Stored<OrgUnit>[];
  }

  async create(id: string, unit: OrgUnit): Promise<Stored<OrgUnit>> {
    const event = this.factory.create(ORG_UNIT_CREATED, {
      subject: id,
      // One municipality's tree shares a partition, so consumers meet parents before children.
      partitionKey: `municipality:${unit.municipalityId}`,
      municipalityId: unit.municipalityId,
      aggregateVersion: 1,
      data: {
        unitId: id,
        kind: unit.kind,
        parentId: unit.parentId,
        ...(unit.institutionType ? { institutionType: unit.institutionType } : {}),
        ...(unit.externalId ? { externalId: unit.externalId } : {}),
      },
    });
    return this.store.create(id, unit, [event]);
  }
}
