// Action plans as aggregates: state and events in one write (libs/events). Drafts and edits
// change state only; activation, added efforts, evaluations and closing are published.
import type { Collection } from 'mongodb';
import { AggregateStore, WITHOUT_OUTBOX, type EventFactory, type KeyedMutex, type OutboxRelay, type Stored } from '@spor/events';
import type { Plan } from '../domain/plan.js';

export type PlanEvent = 'activated' | 'effort-added' | 'evaluated' | 'closed' | 'evaluation-overdue';

export class PlanRepository {
  private readonly store: AggregateStore<Plan>;

  constructor(
    private readonly collection: Collection<Stored<Plan>>,
    private readonly factory: EventFactory,
    locks: KeyedMutex,
    relay: OutboxRelay,
  ) {
    this.store = new AggregateStore<Plan>({ collection, locks, relay, aggregate: 'action plan' });
  }

  async init(): Promise<void> {
    await this.collection.createIndex({ childId: 1 });
    await this.collection.createIndex({ groupId: 1 });
    await this.collection.createIndex({ status: 1 });
  }

  get(id: string): Promise<Stored<Plan>| null> {
    return this.store.load(id);
  }

  forChild(childId: string): Promise<Stored<Plan>[]> {
    return this.collection.find({ childId }, { projection: WITHOUT_OUTBOX }).toArray() as Promise<Stored<Plan>[]>;
  }

  /** Active plans, for the overdue sweep (only the equality goes to the store). */
  active(): Promise<Stored<Plan>[]> {
    return this.collection.find({ status: 'active' }, { projection: WITHOUT_OUTBOX }).toArray() as Promise<Stored<Plan>[]>;
  }

  create(id: string, plan: Plan): Promise<Stored<Plan>> {
    return this.store.create(id, plan, []);
  }

  save(current: Stored<Plan>, next: Plan, event?: PlanEvent, extra: Record<string, unknown> = {}, on?: string): Promise<Stored<Plan>> {
    const events = event ? [this.event(event, current._id, current.version + 1, next, extra, on ?? new Date().toISOString().slice(0, 10))] : [];
    return this.store.save(current._id, current.version, next, events, current);
  }

  private event(verb: PlanEvent, id: string, version: number, p: Plan, extra: Record<string, unknown>, on: string) {
    return this.factory.create(`dk.spor.action-plans.plan.${verb}.v1`, {
      subject: id,
      partitionKey: p.childId ?? p.groupId ?? id,
      municipalityId: p.municipalityId,
      aggregateVersion: version,
      data: {
        planId: id,
        ...(p.childId ? { childId: p.childId } : {}),
        ...(p.groupId ? { groupId: p.groupId } : {}),
        institutionId: p.institutionId,
        on,
        effortLevels: p.efforts.map((e) => e.level),
        ...extra,
      },
    });
  }
}
