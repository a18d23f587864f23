// Resource cases as aggregates with their events (submitted, decided), and the district
// council meetings they are put before.
import type { Collection } from 'mongodb';
import { AggregateStore, type EventFactory, type KeyedMutex, type OutboxRelay, type Stored } from '@spor/events';
import type { ResourceCase } from '../domain/resource-case.js';

export interface CouncilMeeting {
  _id: string;
  municipalityId: string;
  districtId: string;
  on: string;
  createdBy: string;
}

export class CaseRepository {
  private readonly store: AggregateStore<ResourceCase>;

  constructor(
    private readonly collection: Collection<Stored<ResourceCase>>,
    readonly meetings: Collection<CouncilMeeting>,
    private readonly factory: EventFactory,
    locks: KeyedMutex,
    relay: OutboxRelay,
  ) {
    this.store = new AggregateStore<ResourceCase>({ collection, locks, relay, aggregate: 'resource case' });
  }

  get(id: string): Promise<Stored<ResourceCase> | null> {
    return this.store.load(id);
  }

  /** The periods the council granted the child an outcome for (one equality, then filtered here). */
  async grantsFor(childId: string, outcome: string): Promise<{ from: string | null; to: string | null }[]> {
    const decided = (await this.collection.find({ childId, status: 'decided' } as never, { projection: { decision: 1 } }).toArray()) as unknown as ResourceCase[];
    return decided.filter((c) => c.decision?.outcome === outcome).map((c) => ({ from: c.decision!.from, to: c.decision!.to }));
  }

  submit(id: string, c: ResourceCase): Promise<Stored<ResourceCase>> {
    return this.store.create(id, c, [this.event('submitted', id, 1, c, { submittedOn: c.submittedOn, meetingOn: c.meetingOn })]);
  }

  decided(current: Stored<ResourceCase>, next: ResourceCase): Promise<Stored<ResourceCase>> {
    const d = next.decision!;
    return this.store.save(current._id, current.version, next, [this.event('decided', current._id, current.version + 1, next, { outcome: d.outcome, from: d.from, to: d.to, decidedOn: d.decidedOn })], current);
  }

  private event(verb: 'submitted' | 'decided', id: string, version: number, c: ResourceCase, extra: Record<string, unknown>) {
    return this.factory.create(`dk.spor.action-plans.resource-case.${verb}.v1`, {
      subject: id,
      partitionKey: c.childId ?? c.groupId ?? id,
      municipalityId: c.municipalityId,
      aggregateVersion: version,
      data: { caseId: id, kind: c.kind, ...(c.childId ? { childId: c.childId } : {}), ...(c.groupId ? { groupId: c.groupId } : {}), districtId: c.districtId, institutionId: c.institutionId, ...extra },
    });
  }
}
