// Memberships and guardianships, keyed by what they relate (person:unit:role, parent:child),
// so registering the same relation twice is a no-op rather than a duplicate.
import type { Collection } from 'mongodb';
import { AggregateStore, WITHOUT_OUTBOX, deletePublished, type EventFactory, type KeyedMutex, type OutboxRelay, type Stored } from '@spor/events';
import { guardianshipId, membershipId, type Guardianship, type Membership } from '../domain/relations.js';

export const MEMBERSHIP_GRANTED = 'dk.spor.identity.membership.granted.v1';
export const MEMBERSHIP_ENDED = 'dk.spor.identity.membership.ended.v1';
export const GUARDIANSHIP_REGISTERED = 'dk.spor.identity.guardianship.registered.v1';

/**
 * The data-protection officer's role (issue 12) is identity's own: it goes into tokens only. The
 * role list of spor.identity.membership.v1 is closed (a new value would be a .v2, docs/contracts.md)
 * and no other service keeps memberships, so such a membership is stored without an event.
 */
const UNPUBLISHED_ROLES = new Set<string>(['dpo']);

export class RelationRepository {
  private readonly memberships: AggregateStore<Membership>;
  private readonly guardianships: AggregateStore<Guardianship>;

  constructor(
    private readonly membershipDocs: Collection<Stored<Membership>>,
    private readonly guardianshipDocs: Collection<Stored<Guardianship>>,
    private readonly factory: EventFactory,
    private readonly locks: KeyedMutex,
    relay: OutboxRelay,
  ) {
    this.memberships = new AggregateStore<Membership>({ collection: membershipDocs, locks, relay, aggregate: 'membership' });
    this.guardianships = new AggregateStore<Guardianship>({ collection: guardianshipDocs, locks, relay, aggregate: 'guardianship' });
  }

  /** Grants (or re-opens) a membership; granting an open one again changes nothing. */
  async grant(m: Omit<Membership, 'to'>): Promise<{ membership: Stored<Membership>; changed: boolean }> {
    const id = membershipId(m.personId, m.unitId, m.role);
    const current = await this.memberships.load(id);
    if (current && !current.to) return { membership: current, changed: false };
    const version = (current?.version ?? 0) + 1;
    const events = UNPUBLISHED_ROLES.has(m.role)
      ? []
      : [this.factory.create(MEMBERSHIP_GRANTED, { subject: id, partitionKey: m.personId, municipalityId: m.municipalityId, aggregateVersion: version, data: { membershipId: id, personId: m.personId, unitId: m.unitId, role: m.role, from: m.from } })];
    const membership = current ? await this.memberships.save(id, current.version, { ...m }, events, current) : await this.memberships.create(id, { ...m }, events);
    return { membership, changed: true };
  }

  getMembership(id: string): Promise<Stored<Membership> | null> {
    return this.memberships.load(id);
  }

  /** Ends an open membership; ending it again changes nothing. */
  async end(current: Stored<Membership>, to: string): Promise<Stored<Membership>> {
    if (current.to) return current;
    const id = current._id;
    const events = UNPUBLISHED_ROLES.has(current.role)
      ? []
      : [this.factory.create(MEMBERSHIP_ENDED, { subject: id, partitionKey: current.personId, municipalityId: current.municipalityId, aggregateVersion: current.version + 1, data: { membershipId: id, personId: current.personId, unitId: current.unitId, role: current.role, to } })];
    const { _id: _i, version: _v, ...state } = current;
    return this.memberships.save(id, current.version, { ...state, to }, events, current);
  }

  membershipsOf(personId: string): Promise<Stored<Membership>[]> {
    return this.membershipDocs.find({ personId }, { projection: WITHOUT_OUTBOX }).toArray() as Promise<Stored<Membership>[]>;
  }

  /** Registers a parent–child relation or changes its custody; the same again changes nothing. */
  async registerGuardianship(g: Guardianship): Promise<{ guardianship: Stored<Guardianship>; changed: boolean }> {
    const id = guardianshipId(g.parentId, g.childId);
    const current = await this.guardianships.load(id);
    if (current && current.custody === g.custody) return { guardianship: current, changed: false };
    const event = this.factory.create(GUARDIANSHIP_REGISTERED, {
      subject: id,
      // The child's id keeps every change about one child in order (ARCHITECTURE.md).
      partitionKey: g.childId,
      municipalityId: g.municipalityId,
      aggregateVersion: (current?.version ?? 0) + 1,
      data: { parentId: g.parentId, childId: g.childId, custody: g.custody },
    });
    const guardianship = current ? await this.guardianships.save(id, current.version, g, [event], current) : await this.guardianships.create(id, g, [event]);
    return { guardianship, changed: true };
  }

  /** Ids of the children a parent holds custody of. */
  async childrenInCustody(parentId: string): Promise<string[]> {
    const docs = await this.guardianshipDocs.find({ parentId, custody: true }, { projection: { childId: 1 } }).toArray();
    return docs.map((d) => d.childId);
  }

  /** Every parent linked to at least one child (the retention sweep's one read). */
  async linkedParents(): Promise<Set<string>> {
    return new Set((await this.guardianshipDocs.find({}, { projection: { parentId: 1 } }).toArray()).map((g) => g.parentId));
  }

  /** How many children a parent is linked to, with or without custody. */
  countChildrenOf(parentId: string): Promise<number> {
    return this.guardianshipDocs.countDocuments({ parentId });
  }

  /**
   * Deletes a child's guardianships when its entry leaves the directory (retention); repeatable.
   * One with an event still waiting for the relay stays, and the sweep tries again.
   */
  removeGuardianshipsOf(childId: string): Promise<void> {
    // Under each guardianship's lock, as its writers take it: a save cannot slip events in before the delete.
    return deletePublished(this.guardianshipDocs as never, { childId }, `a guardianship of child ${childId}`, { locks: this.locks, lockKey: (id) => this.guardianships.lockKey(String(id)) });
  }

  guardiansOf(childId: string): Promise<Stored<Guardianship>[]> {
    return this.guardianshipDocs.find({ childId }, { projection: WITHOUT_OUTBOX }).toArray() as Promise<Stored<Guardianship>[]>;
  }
}
