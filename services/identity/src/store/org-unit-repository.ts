// Organisation units as aggregates: state and events in one write (see libs/events).
import type { Collection } from 'mongodb';
import { conflict, isAppError } from '@spor/service-kit';
import { backfillUniqueKey, isDuplicateKeyError } from '@spor/mongo';
import { AggregateStore, WITHOUT_OUTBOX, type EventFactory, type KeyedMutex, type OutboxRelay, type Stored } from '@spor/events';
import type { OrgUnit } from '../domain/org-unit.js';

export const ORG_UNIT_CREATED = 'dk.spor.identity.orgunit.created.v1';
export const ORG_UNIT_CLOSED = 'dk.spor.identity.orgunit.closed.v1';
export const ORG_UNIT_CHANGED = 'dk.spor.identity.orgunit.changed.v1';

/**
 * A unit's external id within its municipality (`<municipality>:<externalId>`), stored once more as
 * `unitKey` under a unique sparse index: imports find units by it, and two with one id would leave
 * it to chance which. Only units with an external id have it. Never returned (the routes leave it out).
 */
export const UNIT_KEY = 'unitKey';
const keyOf = (u: OrgUnit): { unitKey?: string } => (u.externalId ? { [UNIT_KEY]: `${u.municipalityId}:${u.externalId}` } : {});
const externalIdTaken = (u: OrgUnit) => conflict('EXTERNAL_ID_TAKEN', `externalId ${u.externalId} belongs to another unit of the municipality already`);

export class OrgUnitRepository {
  private readonly store: AggregateStore<OrgUnit>;

  constructor(
    private readonly collection: Collection<Stored<OrgUnit>>,
    /** One document per municipality code: inserting it claims the root (atomic without transactions). */
    private readonly roots: Collection<{ _id: string; unitId: string }>,
    private readonly factory: EventFactory,
    locks: KeyedMutex,
    relay: OutboxRelay,
  ) {
    this.store = new AggregateStore<OrgUnit>({ collection, locks, relay, aggregate: 'organisation unit' });
  }

  get(id: string): Promise<Stored<OrgUnit> | null> {
    return this.store.load(id);
  }

  async byExternalId(municipalityId: string, externalId: string): Promise<Stored<OrgUnit> | null> {
    return (await this.collection.findOne({ municipalityId, externalId }, { projection: WITHOUT_OUTBOX })) as Stored<OrgUnit> | null;
  }

  /** External ids and kinds of a municipality's units. */
  async kindsByExternalId(municipalityId: string): Promise<Map<string, string>> {
    const docs = await this.collection.find({ municipalityId }, { projection: { externalId: 1, kind: 1 } }).toArray();
    return new Map(docs.filter((d) => d.externalId).map((d) => [d.externalId as string, d.kind]));
  }

  async root(code: string): Promise<Stored<OrgUnit> | null> {
    const claim = await this.roots.findOne({ _id: code });
    return claim ? this.get(claim.unitId) : null;
  }

  async children(parentId: string): Promise<Stored<OrgUnit>[]> {
    return (await this.collection.find({ parentId }, { projection: WITHOUT_OUTBOX }).sort({ name: 1 }).toArray()) as Stored<OrgUnit>[];
  }

  async create(id: string, unit: OrgUnit): Promise<Stored<OrgUnit>> {
    if (unit.kind === 'municipality') await this.claimRoot(unit.municipalityId, id);
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
    try {
      return await this.store.create(id, { ...unit, ...keyOf(unit) }, [event]);
    } catch (error) {
      // Two units with one external id at once: the unique index on unitKey lets one win.
      if (isAppError(error, 'ALREADY_EXISTS') && unit.externalId) throw externalIdTaken(unit);
      throw error;
    }
  }

  /**
   * Saves a changed unit. Consumers get the unit's place in the tree after the change; a change
   * they cannot see (the name, which events never carry) saves without an event.
   */
  async change(unit: Stored<OrgUnit>, expectedVersion: number, next: OrgUnit): Promise<Stored<OrgUnit>> {
    const visible = (u: OrgUnit) => JSON.stringify([u.parentId, u.institutionType ?? null, u.externalId ?? null]);
    const { _id } = unit;
    const events =
      visible(unit) === visible(next)
        ? []
        : [
            this.factory.create(ORG_UNIT_CHANGED, {
              subject: _id,
              partitionKey: `municipality:${unit.municipalityId}`,
              municipalityId: unit.municipalityId,
              aggregateVersion: expectedVersion + 1,
              data: {
                unitId: _id,
                kind: next.kind,
                parentId: next.parentId,
                ...(next.parentId !== unit.parentId ? { previousParentId: unit.parentId } : {}),
                ...(next.institutionType ? { institutionType: next.institutionType } : {}),
                ...(next.externalId ? { externalId: next.externalId } : {}),
              },
            }),
          ];
    try {
      return await this.store.save(_id, expectedVersion, { ...next, ...keyOf(next) }, events, unit);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw externalIdTaken(next);
      throw error;
    }
  }

  /**
   * Gives units stored before `unitKey` existed theirs, at start. An external id two units of a
   * municipality already share stays with the first; the other is logged by id for the
   * administrators to correct (PATCH /admin/org-units/{unitId}).
   */
  backfillKeys(logger: { error: (o: object, msg: string) => void }): Promise<{ written: number; shared: number }> {
    return backfillUniqueKey(this.collection as never, {
      field: UNIT_KEY,
      owners: { externalId: { $exists: true } },
      projection: { municipalityId: 1, externalId: 1 },
      keyOf: (u: OrgUnit) => keyOf(u).unitKey!,
      onShared: (u, heldBy) => logger.error({ unitId: u._id, municipalityId: u.municipalityId, heldBy }, 'identity: two units of a municipality share an external id; imports use the first, give this one its own'),
    });
  }

  /** Closes a unit from a date; closing it again changes nothing. */
  async close(unit: Stored<OrgUnit>, closedOn: string): Promise<Stored<OrgUnit>> {
    if (unit.closedOn) return unit;
    const event = this.factory.create(ORG_UNIT_CLOSED, {
      subject: unit._id,
      partitionKey: `municipality:${unit.municipalityId}`,
      municipalityId: unit.municipalityId,
      aggregateVersion: unit.version + 1,
      data: { unitId: unit._id, closedOn },
    });
    const { _id, version, ...state } = unit;
    return this.store.save(_id, version, { ...state, closedOn }, [event], unit);
  }

  private async claimRoot(code: string, unitId: string): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.roots.insertOne({ _id: code, unitId });
        return;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        const claim = await this.roots.findOne({ _id: code });
        if (claim && (await this.get(claim.unitId))) throw conflict('MUNICIPALITY_EXISTS', `municipality ${code} exists already as unit ${claim.unitId}`);
        // A claim whose unit was never written (the process died in between): take it over.
        await this.roots.deleteOne({ _id: code, unitId: claim?.unitId ?? '' });
      }
    }
    throw conflict('MUNICIPALITY_EXISTS', `municipality ${code} is being created by someone else`);
  }
}
