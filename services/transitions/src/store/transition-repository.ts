// Planned transitions as aggregates: state and events in one write (libs/events). Edits of the
// checklist and the package's texts change state only; what other services need to know
// (planned, released, acknowledged, revoked) is published on spor.transitions.handover.v1.
import type { Collection } from 'mongodb';
import { findEach } from '@spor/mongo';
import { AggregateStore, WITHOUT_OUTBOX, type EventFactory, type KeyedMutex, type OutboxRelay, type Stored } from '@spor/events';
import type { Transition } from '../domain/transition.js';

export type HandoverEvent = 'planned' | 'released' | 'acknowledged' | 'revoked' | 'cancelled';

export class TransitionRepository {
  private readonly store: AggregateStore<Transition>;

  constructor(
    private readonly collection: Collection<Stored<Transition>>,
    private readonly factory: EventFactory,
    locks: KeyedMutex,
    relay: OutboxRelay,
  ) {
    this.store = new AggregateStore<Transition>({ collection, locks, relay, aggregate: 'transition' });
  }

  async init(): Promise<void> {
    await this.collection.createIndex({ childId: 1 });
    await this.collection.createIndex({ status: 1, date: 1 });
  }

  get(id: string): Promise<Stored<Transition> | null> {
    return this.store.load(id);
  }

  /** One query per child (findEach: an `$in` reads the whole collection on FerretDB 1.x). */
  async forChildren(childIds: string[]): Promise<Stored<Transition>[]> {
    const found = (await findEach(this.collection, 'childId', childIds, {}, { projection: WITHOUT_OUTBOX })) as Stored<Transition>[];
    // Stable: transitions of one date keep the store's order, as the store's sort did.
    return found.sort((a, b) => a.date.localeCompare(b.date));
  }

  /** Released packages for a child and receiving institution (what a lost consent revokes). */
  released(childId: string, toInstitutionId: string): Promise<Stored<Transition>[]> {
    return this.collection.find({ childId, toInstitutionId, 'handover.status': { $in: ['released', 'acknowledged'] } }, { projection: WITHOUT_OUTBOX }).toArray() as Promise<Stored<Transition>[]>;
  }

  /** Planned transitions whose date has come. */
  async due(day: string): Promise<string[]> {
    return (await this.collection.find({ status: 'planned', date: { $lte: day } }, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
  }

  create(id: string, t: Transition): Promise<Stored<Transition>> {
    return this.store.create(id, t, [this.event('planned', id, 1, t)]);
  }

  save(current: Stored<Transition>, next: Transition, event?: HandoverEvent, extra: Record<string, unknown> = {}): Promise<Stored<Transition>> {
    return this.store.save(current._id, current.version, next, event ? [this.event(event, current._id, current.version + 1, next, extra)] : [], current);
  }

  private event(verb: HandoverEvent, id: string, version: number, t: Transition, extra: Record<string, unknown> = {}) {
    return this.factory.create(`dk.spor.transitions.handover.${verb}.v1`, {
      subject: id,
      partitionKey: t.childId,
      municipalityId: t.municipalityId,
      aggregateVersion: version,
      data: { transitionId: id, childId: t.childId, fromInstitutionId: t.fromInstitutionId, toInstitutionId: t.toInstitutionId, date: t.date, kind: t.kind, ...extra },
    });
  }
}
