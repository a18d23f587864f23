// A service's own view of the directory and of where children are enrolled, kept from events
// (identity's persons, guardianship and organisation units; transitions' enrollments), so it
// can decide access without calling another service. Every part is applied by aggregate
// version: a replayed or duplicated event changes nothing.
import type { Collection, Db } from 'mongodb';
import { applyVersioned } from '@spor/mongo';
import { topicFor, type EventHandler } from '@spor/events';
import { TtlCache } from '@spor/service-kit';

export interface KnownPerson {
  _id: string;
  version: number;
  kind: 'child' | 'parent' | 'staff';
  municipalityId: string;
  /** Birth year and month (never the day): enough for age in months. */
  birthYear?: number;
  birthMonth?: number;
}

/**
 * What stays of a person the directory removed: the id and kind, nothing else. It keeps a replay
 * of the topics (a new consumer group, a reset offset, enrollments read after the removal) from
 * bringing the person's custody and placements back.
 */
interface RemovedPerson {
  _id: string;
  version: number;
  kind: KnownPerson['kind'];
  removed: true;
  /** A removed parent's children in custody, kept so a redelivered removal tells the listeners again (onCustodyChange). */
  formerChildren?: string[];
}

export interface CustodyRecord {
  _id: string;
  version: number;
  parentId: string;
  childId: string;
  custody: boolean;
}

export interface KnownUnit {
  _id: string;
  version: number;
  kind: 'municipality' | 'district' | 'institution' | 'group';
  municipalityId: string;
  parentId: string | null;
  institutionType?: string;
  /** The unit's id in the municipality's own systems, which imports refer to. */
  externalId?: string;
  closedOn?: string;
}

export interface KnownPlacement {
  _id: string;
  version: number;
  childId: string;
  institutionId: string;
  groupId: string | null;
  municipalityId: string;
  institutionType?: string;
  from: string;
  /** Last day, inclusive; absent while open. */
  to: string | null;
}

export const DIRECTORY_EVENTS = {
  personRegistered: 'dk.spor.identity.person.registered.v1',
  personRemoved: 'dk.spor.identity.person.removed.v1',
  guardianshipRegistered: 'dk.spor.identity.guardianship.registered.v1',
  unitCreated: 'dk.spor.identity.orgunit.created.v1',
  unitChanged: 'dk.spor.identity.orgunit.changed.v1',
  unitClosed: 'dk.spor.identity.orgunit.closed.v1',
  enrolled: 'dk.spor.transitions.enrollment.enrolled.v1',
  moved: 'dk.spor.transitions.enrollment.moved.v1',
  ended: 'dk.spor.transitions.enrollment.ended.v1',
  placementsRemoved: 'dk.spor.transitions.enrollment.removed.v1',
} as const;

export type DirectoryPart = 'persons' | 'custody' | 'units' | 'enrollments';

const TOPICS: Record<DirectoryPart, string> = {
  persons: topicFor('identity', 'person'),
  custody: topicFor('identity', 'guardianship'),
  units: topicFor('identity', 'orgunit'),
  enrollments: topicFor('transitions', 'enrollment'),
};

interface PlacementData {
  childId: string;
  placementId: string;
  institutionId: string;
  institutionType?: string;
  groupId?: string | null;
  from: string;
  to?: string | null;
}

export class DirectoryView {
  private readonly persons: Collection<KnownPerson | RemovedPerson>;
  private readonly custody: Collection<CustodyRecord>;
  private readonly units: Collection<KnownUnit>;
  private readonly placements: Collection<KnownPlacement>;
  /** The unit tree is read on every access decision and changes rarely: kept 10 s. */
  private readonly paths = new TtlCache<KnownUnit[]>(10_000);
  private readonly below = new TtlCache<string[]>(10_000);
  /** A municipality's whole tree, for management information's breakdowns: kept 10 s too. */
  private readonly trees = new TtlCache<KnownUnit[]>(10_000);
  /** A person's kind, municipality and birth month do not change in practice: kept 10 s. */
  private readonly people = new TtlCache<KnownPerson | null>(10_000);
  /**
   * A child's placements are read on every access decision. This process forgets a child's as
   * soon as it applies an enrollment event about it; another replica (with its share of the
   * partitions) sees the change within 10 s, as with the unit tree. Which placement holds on a
   * day is decided after the cache, so a cached list stays right when the day changes (moves
   * are mostly registered ahead of their date).
   */
  private readonly childPlacements = new TtlCache<KnownPlacement[]>(10_000);

  /** Other views of the service that keep records about children: they forget a removed child too. */
  private readonly followers: { forgetChild(childId: string): Promise<void> }[] = [];
  /** What the service does when a child's custody holders may have changed (onCustodyChange). */
  private readonly custodyListeners: ((childId: string, changedAt: Date) => Promise<void>)[] = [];

  /**
   * `parts`: what this service keeps; only their topics are consumed. `keepRemovedPlacements`:
   * the view keeps a child's placements after transitions disposed of them, until the child's
   * entry leaves the directory (identity: they are when the entry's own retention clock starts).
   */
  constructor(
    db: Db,
    private readonly parts: DirectoryPart[],
    private readonly options: { keepRemovedPlacements?: boolean } = {},
  ) {
    this.persons = db.collection('directory_persons');
    this.custody = db.collection('directory_custody');
    this.units = db.collection('directory_units');
    this.placements = db.collection('directory_placements');
  }

  static collections = ['directory_persons', 'directory_custody', 'directory_units', 'directory_placements'];

  async init(): Promise<void> {
    await this.custody.createIndex({ childId: 1 });
    await this.custody.createIndex({ parentId: 1 });
    await this.placements.createIndex({ childId: 1 });
    await this.placements.createIndex({ institutionId: 1 });
    await this.units.createIndex({ municipalityId: 1, externalId: 1 });
  }

  topics(): string[] {
    return this.parts.map((part) => TOPICS[part]);
  }

  handlers(): Record<string, EventHandler> {
    const placement = (data: PlacementData, municipalityId: string) => ({
      childId: data.childId,
      institutionId: data.institutionId,
      ...(data.institutionType ? { institutionType: data.institutionType } : {}),
      groupId: data.groupId ?? null,
      municipalityId,
      from: data.from,
      to: data.to ?? null,
    });
    const all: Record<DirectoryPart, Record<string, EventHandler>> = {
      persons: {
        [DIRECTORY_EVENTS.personRegistered]: async (event) => {
          const data = event.data as { personId: string; kind: KnownPerson['kind']; birthYear: number; birthMonth: number };
          await applyVersioned(this.persons, data.personId, event.aggregateversion, { $set: { kind: data.kind, municipalityId: event.municipalityid, birthYear: data.birthYear, birthMonth: data.birthMonth } });
        },
        [DIRECTORY_EVENTS.personRemoved]: async (event) => {
          const data = event.data as { personId: string; kind: KnownPerson['kind'] };
          await this.forgetPerson(data.personId, data.kind, event.aggregateversion, new Date(event.time));
        },
      },
      custody: {
        [DIRECTORY_EVENTS.guardianshipRegistered]: async (event) => {
          const data = event.data as { parentId: string; childId: string; custody: boolean };
          if (await this.removed(data.childId, data.parentId)) return;
          await applyVersioned(this.custody, event.subject, event.aggregateversion, { $set: { parentId: data.parentId, childId: data.childId, custody: data.custody } });
          await this.custodyChanged([data.childId], new Date(event.time));
        },
      },
      units: {
        [DIRECTORY_EVENTS.unitCreated]: (event) => this.applyUnit(event.subject, event.aggregateversion, event.municipalityid, event.data as Partial<KnownUnit>),
        [DIRECTORY_EVENTS.unitChanged]: (event) => this.applyUnit(event.subject, event.aggregateversion, event.municipalityid, event.data as Partial<KnownUnit>),
        [DIRECTORY_EVENTS.unitClosed]: async (event) => {
          await applyVersioned(this.units, event.subject, event.aggregateversion, { $set: { closedOn: (event.data as { closedOn: string }).closedOn } });
          this.forgetTree();
        },
      },
      enrollments: {
        [DIRECTORY_EVENTS.enrolled]: async (event) => {
          const data = event.data as PlacementData;
          if (await this.removed(data.childId)) return;
          await applyVersioned(this.placements, data.placementId, event.aggregateversion, { $set: placement(data, event.municipalityid) });
          this.childPlacements.delete(data.childId);
        },
        [DIRECTORY_EVENTS.moved]: async (event) => {
          const data = event.data as PlacementData & { previous: { placementId: string; to: string } };
          if (await this.removed(data.childId)) return;
          await applyVersioned(this.placements, data.previous.placementId, event.aggregateversion, { $set: { to: data.previous.to } });
          await applyVersioned(this.placements, data.placementId, event.aggregateversion, { $set: placement(data, event.municipalityid) });
          this.childPlacements.delete(data.childId);
        },
        [DIRECTORY_EVENTS.ended]: async (event) => {
          const data = event.data as { childId: string; placementId: string; to: string };
          if (await this.removed(data.childId)) return;
          await applyVersioned(this.placements, data.placementId, event.aggregateversion, { $set: { to: data.to } });
          this.childPlacements.delete(data.childId);
        },
        // transitions disposed of the child's placements (their retention ran out). By id, not by
        // child: a child placed again meanwhile has new placements, whose events may reach the
        // topic before this one (it leaves through transitions' disposal outbox), and they stay.
        // Every event about the placements named here was published before it (they were deleted
        // only with nothing pending), so a replay ends without them.
        [DIRECTORY_EVENTS.placementsRemoved]: async (event) => {
          if (this.options.keepRemovedPlacements) return;
          const data = event.data as { childId: string; placementIds: string[] };
          // One equality each: an `$in` reads the whole collection on FerretDB 1.x (decision 0002).
          for (const placementId of data.placementIds) await this.placements.deleteOne({ _id: placementId });
          this.childPlacements.delete(data.childId);
        },
      },
    };
    return Object.assign({}, ...this.parts.map((part) => all[part]));
  }

  /**
   * A person's entry left the directory (identity's retention, dk.spor.identity.person.removed.v1):
   * the view forgets the person, a child's custody and placements, a parent's custody, and keeps
   * only a marker (id and kind) so that no later event about them, replayed or late, brings any of
   * it back. Repeatable, so a redelivered event is harmless. Views that keep custody or placements
   * follow it through the persons part (every view here keeps persons with them); identity, whose
   * own view keeps placements only, calls it as it disposes of the child (no event version: the
   * marker then outranks any registration).
   */
  async forgetPerson(personId: string, kind: KnownPerson['kind'], version = Number.MAX_SAFE_INTEGER, at = new Date()): Promise<void> {
    // The marker first: an enrollment applied between the deletes below and it would otherwise stay.
    await applyVersioned(this.persons, personId, version, { $set: { kind, removed: true }, $unset: { municipalityId: '', birthYear: '', birthMonth: '' } });
    if (kind === 'child') {
      await this.custody.deleteMany({ childId: personId });
      await this.placements.deleteMany({ childId: personId });
      this.childPlacements.delete(personId);
      for (const follower of this.followers) await follower.forgetChild(personId);
    } else {
      // Kept on the marker before the rows go: if a listener fails, the redelivered removal finds
      // no rows, and must still tell it which children's custody changed.
      const held = (await this.custody.find({ parentId: personId, custody: true }).toArray()).map((r) => r.childId);
      const marker = (await this.persons.findOne({ _id: personId })) as RemovedPerson | null;
      const children = [...new Set([...(marker?.formerChildren ?? []), ...held])];
      if (held.length > 0) await this.persons.updateOne({ _id: personId }, { $set: { formerChildren: children } });
      await this.custody.deleteMany({ parentId: personId });
      await this.custodyChanged(children, at);
    }
    this.people.delete(personId);
  }

  /**
   * Views that keep records about children beside this one (ChildRecordCopies): when a child
   * leaves the directory they forget it as well, in the same handling of the event (so a crash
   * in between is made good by the redelivery).
   */
  alsoForget(...views: { forgetChild(childId: string): Promise<void> }[]): void {
    this.followers.push(...views);
  }

  /**
   * Runs `listener` for a child whose custody holders may have changed: a guardianship registered
   * or changed, a custody holder who left the directory, with when that happened (the event's
   * time). In the same handling of the event, after the view has it, and again on a redelivery or
   * a replay: a listener must be repeatable, and one that acts must tell an old change replayed
   * into a view being rebuilt (which then knows only part of the custody) from a new one.
   */
  onCustodyChange(listener: (childId: string, changedAt: Date) => Promise<void>): void {
    this.custodyListeners.push(listener);
  }

  private async custodyChanged(childIds: string[], at: Date): Promise<void> {
    for (const childId of childIds) for (const listener of this.custodyListeners) await listener(childId, at);
  }

  /** Whether the person left the directory (a removed person's marker stays). */
  isRemoved(personId: string): Promise<boolean> {
    return this.removed(personId);
  }

  /** Whether any of these persons was removed from the directory (forgetPerson). */
  private async removed(...personIds: string[]): Promise<boolean> {
    // One lookup by _id each: FerretDB 1.x answers $in by scanning the collection.
    const found = await Promise.all(personIds.map((_id) => this.persons.findOne({ _id, removed: true }, { projection: { _id: 1 } })));
    return found.some((p) => p !== null);
  }

  private async applyUnit(id: string, version: number, municipalityId: string, data: Partial<KnownUnit>): Promise<void> {
    await applyVersioned(this.units, id, version, {
      $set: { kind: data.kind, municipalityId, parentId: data.parentId ?? null, ...(data.institutionType ? { institutionType: data.institutionType } : {}), ...(data.externalId ? { externalId: data.externalId } : {}) },
    });
    this.forgetTree();
  }

  person(id: string): Promise<KnownPerson | null> {
    return this.people.get(id, async () => {
      const found = await this.persons.findOne({ _id: id });
      // Not yet known (its event is on the way): not remembered, so the next request looks again.
      if (!found) throw new Error('unknown');
      // Removed: unknown for good.
      return 'removed' in found ? null : found;
    }).catch(() => null);
  }

  async custodyHolders(childId: string): Promise<string[]> {
    return (await this.custody.find({ childId, custody: true }).toArray()).map((r) => r.parentId).sort();
  }

  async childrenInCustody(parentId: string): Promise<string[]> {
    return (await this.custody.find({ parentId, custody: true }).toArray()).map((r) => r.childId);
  }

  unit(id: string): Promise<KnownUnit | null> {
    return this.units.findOne({ _id: id });
  }

  /** Every unit of a municipality. */
  unitsOf(municipalityId: string): Promise<KnownUnit[]> {
    return this.trees.get(municipalityId, () => this.units.find({ municipalityId }).toArray());
  }

  /** After the write, so a read between forgetting and writing cannot cache the old tree again. */
  private forgetTree(): void {
    this.paths.clear();
    this.below.clear();
    this.trees.clear();
  }

  unitByExternalId(municipalityId: string, externalId: string): Promise<KnownUnit | null> {
    return this.units.findOne({ municipalityId, externalId });
  }

  /** Ids of the units directly under `id` (an institution's groups). */
  childUnits(id: string): Promise<string[]> {
    return this.below.get(id, async () => (await this.units.find({ parentId: id }, { projection: { _id: 1 } }).toArray()).map((u) => u._id));
  }

  /**
   * Every unit whose staff reach a unit's children: the unit, the units directly under it (an
   * institution's groups) and the units above it (district, municipality).
   */
  async reachOf(unitId: string): Promise<Set<string>> {
    return new Set([...(await this.unitPath(unitId)).map((u) => u._id), ...(await this.childUnits(unitId))]);
  }

  /** The unit and its ancestors, nearest first (a group, its institution, district, municipality). */
  unitPath(id: string): Promise<KnownUnit[]> {
    return this.paths.get(id, () => this.loadUnitPath(id));
  }

  private async loadUnitPath(id: string): Promise<KnownUnit[]> {
    const path: KnownUnit[] = [];
    for (let next: string | null = id; next && path.length < 5; ) {
      const unit: KnownUnit | null = await this.unit(next);
      if (!unit) break;
      path.push(unit);
      next = unit.parentId;
    }
    return path;
  }

  /** The child's placements that hold on `day` (YYYY-MM-DD): at most one per kind of institution. */
  async placementsOn(childId: string, day: string): Promise<KnownPlacement[]> {
    return (await this.placementsOf(childId)).filter((p) => p.from <= day && (p.to === null || p.to >= day));
  }

  private placementsOf(childId: string): Promise<KnownPlacement[]> {
    // Only the equality goes to the store: FerretDB pushes that down to an index, while ranges
    // and $or would make it read the whole collection. A child has a handful of placements.
    return this.childPlacements.get(childId, () => this.placements.find({ childId }).toArray());
  }

  /** Placements at an institution that overlap the days from `from` to `to` (inclusive). */
  async placementsAt(institutionId: string, from: string, to: string = from): Promise<KnownPlacement[]> {
    return (await this.placements.find({ institutionId }).toArray()).filter((p) => p.from <= to && (p.to === null || p.to >= from));
  }

  /** Every child of a municipality the directory knows. */
  childrenOf(municipalityId: string): Promise<KnownPerson[]> {
    // A removed person's marker has no municipality, so the filter leaves it out.
    return (this.persons as Collection<KnownPerson>).find({ municipalityId, kind: 'child' }).toArray();
  }

  /** Every placement this view knows, for a sweep over all children (identity's retention). */
  everyPlacement(): Promise<KnownPlacement[]> {
    return this.placements.find({}).toArray();
  }

  async placementHistory(childId: string): Promise<KnownPlacement[]> {
    return [...(await this.placementsOf(childId))].sort((a, b) => a.from.localeCompare(b.from));
  }
}
