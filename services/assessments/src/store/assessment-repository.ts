// Assessments as aggregates: state and events in one write (libs/events). Completion and
// amendment are published; drafts and sharing are not (they concern only this service).
import type { Collection } from 'mongodb';
import { AggregateStore, type EventFactory, type KeyedMutex, type OutboxRelay, type Stored } from '@spor/events';
import { findEach } from '@spor/mongo';
import { danishDay } from '@spor/directory';
import { WELLBEING_INSTRUMENT, fromStore, liftedPrompt, promptRestsOn, raisesConcern, type Assessment } from '../domain/assessment.js';

/** The stored top-level copy of a child assessment's target.childId (null for a group's). */
export const CHILD_KEY = 'lookupChildId';
/** The stored top-level copy of a group assessment's target.groupId (null for a child's). */
export const GROUP_KEY = 'lookupGroupId';

export class AssessmentRepository {
  private readonly store: AggregateStore<Assessment>;

  constructor(
    private readonly collection: Collection<Stored<Assessment>>,
    private readonly factory: EventFactory,
    private readonly locks: KeyedMutex,
    relay: OutboxRelay,
  ) {
    // A child's (a group's) assessments are looked up by a top-level copy of target.childId
    // (target.groupId): FerretDB 1.x reads the whole collection for a dotted path
    // (AggregateStoreOptions.lookup).
    this.store = new AggregateStore<Assessment>({
      collection,
      locks,
      relay,
      aggregate: 'assessment',
      lookup: {
        fields: [CHILD_KEY, GROUP_KEY],
        of: (a) => ({ [CHILD_KEY]: a.target.kind === 'child' ? a.target.childId : null, [GROUP_KEY]: a.target.kind === 'group' ? a.target.groupId : null }),
      },
    });
  }

  async init(): Promise<void> {
    await this.collection.createIndex({ [CHILD_KEY]: 1 });
    await this.collection.createIndex({ [GROUP_KEY]: 1 });
    // Assessments stored before the key existed get it now, before any request reads by it.
    await this.store.backfillLookups();
  }

  // Every read answers today's shape (fromStore): assessments stored with the parents' answers as
  // one set read as an unknown parent's, and are written in today's shape at their next change.
  async get(id: string): Promise<Stored<Assessment> | null> {
    const a = await this.store.load(id);
    return a && fromStore(a);
  }

  async forChild(childId: string): Promise<Stored<Assessment>[]> {
    return ((await this.collection.find({ [CHILD_KEY]: childId }, { projection: this.store.readProjection }).sort({ createdAt: 1 }).toArray()) as Stored<Assessment>[]).map(fromStore);
  }

  async forGroup(groupId: string): Promise<Stored<Assessment>[]> {
    return ((await this.collection.find({ [GROUP_KEY]: groupId }, { projection: this.store.readProjection }).sort({ createdAt: 1 }).toArray()) as Stored<Assessment>[]).map(fromStore);
  }

  /** Completed assessments of these children with one instrument (only the child id goes to the store: FerretDB reads ranges and $in slowly). */
  async completedFor(childIds: string[], instrumentId: string): Promise<Stored<Assessment>[]> {
    return ((await findEach(this.collection, CHILD_KEY, childIds, { instrumentId, status: 'completed' }, { projection: this.store.readProjection })) as Stored<Assessment>[]).map(fromStore);
  }

  create(id: string, a: Assessment): Promise<Stored<Assessment>> {
    return this.store.create(id, a, []);
  }

  async createCompleted(id: string, a: Assessment): Promise<Stored<Assessment>> {
    return this.onePromptAtATime(a, async () => this.store.create(id, a, await this.completionEvents(id, 1, a)));
  }

  /**
   * Whether a write raises or lifts a team's prompt is decided from the child's ratings as read
   * before it: two team well-being ratings of one child written at once would each miss the
   * other (two concern-lifted events, or none). Within a process they are written one at a time
   * per team and child; across replicas the race stays (as every aggregate's on FerretDB, 0003).
   */
  private onePromptAtATime<T>(a: Assessment, write: () => Promise<T>): Promise<T> {
    if (a.target.kind !== 'child' || a.instrumentId !== WELLBEING_INSTRUMENT || a.rating === 'independent') return write();
    return this.locks.run(`wellbeing-prompt:${a.institutionId}:${a.target.childId}`, write);
  }

  private async completionEvents(id: string, version: number, a: Assessment) {
    // A red joint (or single) well-being rating also asks the team to consider the duty to notify;
    // one that is not red, newer than a red one, ends that prompt.
    return [this.event('completed', id, version, a), ...(raisesConcern(a) ? [this.event('concern-raised', id, version, a)] : []), ...(await this.lifted(id, version, a, 'newer-rating'))];
  }

  /**
   * Saves a change; `publish` names the event it is (completed or amended), none for drafts. An
   * amendment that turns the team's newest rating red asks the team to consider the duty to
   * notify, as a red completion does (the child's ratings are read only then); one that turns it
   * from red ends the prompt (`concern-lifted`).
   */
  async save(current: Stored<Assessment>, next: Assessment, publish?: 'completed' | 'amended'): Promise<Stored<Assessment>> {
    if (!publish) return this.store.save(current._id, current.version, next, [], current);
    return this.onePromptAtATime(next, async () => {
      const version = current.version + 1;
      const events =
        publish === 'completed'
          ? await this.completionEvents(current._id, version, next)
          : [this.event('amended', current._id, version, next), ...((await this.newConcern(current, next)) ? [this.event('concern-raised', current._id, version, next)] : []), ...(await this.lifted(current._id, version, next, 'amended'))];
      return this.store.save(current._id, current.version, next, events, current);
    });
  }

  private async newConcern(current: Stored<Assessment>, next: Assessment): Promise<boolean> {
    if (!raisesConcern(next) || raisesConcern(current) || next.target.kind !== 'child') return false;
    return promptRestsOn(current._id, next, await this.forChild(next.target.childId));
  }

  /**
   * `concern-lifted` when this change ends the child's prompt. Only a team well-being rating of a
   * child that is not red can, so the child's ratings are read only for those.
   */
  private async lifted(id: string, version: number, next: Assessment, reason: 'amended' | 'newer-rating') {
    if (next.target.kind !== 'child' || next.instrumentId !== WELLBEING_INSTRUMENT || next.rating === 'independent' || raisesConcern(next)) return [];
    const prompt = liftedPrompt(id, next, await this.forChild(next.target.childId));
    return prompt ? [this.event('concern-lifted', id, version, next, { promptAssessmentId: prompt.assessmentId, reason })] : [];
  }

  private event(verb: 'completed' | 'amended' | 'concern-raised' | 'concern-lifted', id: string, version: number, a: Assessment, extra: Record<string, string> = {}) {
    const subject = a.target.kind === 'child' ? a.target.childId : a.target.groupId;
    return this.factory.create(`dk.spor.assessments.assessment.${verb}.v1`, {
      subject: id,
      partitionKey: subject,
      municipalityId: a.municipalityId,
      aggregateVersion: version,
      data: {
        assessmentId: id,
        target: a.target.kind,
        ...(a.target.kind === 'child' ? { childId: a.target.childId } : { groupId: a.target.groupId }),
        instrumentId: a.instrumentId,
        instrumentVersion: a.instrumentVersion,
        institutionId: a.institutionId,
        ...(a.ageMonths !== null ? { ageMonths: a.ageMonths } : {}),
        rating: a.rating,
        results: a.results.map((r) => ({ section: r.section, category: r.category })),
        // The Danish calendar day: a rating at 00:30 on 1 September belongs to September.
        completedOn: danishDay(a.completedAt ? new Date(a.completedAt) : new Date()),
        ...extra,
      },
    });
  }
}
