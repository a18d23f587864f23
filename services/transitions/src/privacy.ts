// transitions' part in data protection (libs/privacy): which records it keeps about a child, how
// long after they stop being in use, and what a parent or the data-protection officer sees.
import type { Db } from 'mongodb';
import type { EventFactory, KeyedMutex } from '@spor/events';
import { aggregateCandidates, collectionsByChild, disposeAggregate, type ChildDataSource, type RetainedKind } from '@spor/privacy';
import { enrollmentClockStart, type ChildEnrollment } from './domain/enrollment.js';
import { transitionClockStart, type Transition } from './domain/transition.js';
import { INSTITUTIONS_KEY, PLACEMENTS_REMOVED } from './store/enrollment-repository.js';

const YEAR_DAYS = 365;

export function transitionsPrivacy(db: Db, deps: { locks: KeyedMutex; factory: EventFactory }): { kinds: RetainedKind[]; data: ChildDataSource } {
  const { locks, factory } = deps;
  const transitions = db.collection<Transition & { _id: string; version: number }>('transitions');
  const enrollments = db.collection<ChildEnrollment & { _id: string; version: number }>('enrollments');

  // The package copies assessment results and plan summaries for the receiving institution's
  // start with the child; kept no longer than the shortest record it copies (assessments, 3 years).
  const transition: RetainedKind = {
    kind: 'transition',
    description: 'moves to another institution and their handover packages (the texts, the child’s and the parents’ perspectives and comments, the assessment results, external test results and plan summaries passed on), counted from the day of the move',
    defaultDays: 3 * YEAR_DAYS,
    publicRecord: false,
    // Completed and cancelled ones (one equality each: FerretDB reads the whole collection for `$in`).
    candidates: async (startedBy) => {
      const of = (status: 'completed' | 'cancelled') => aggregateCandidates(transitions, { status }, startedBy, (t) => ({ childId: t.childId, retainedFrom: transitionClockStart(t) }));
      return [...(await of('completed')), ...(await of('cancelled'))];
    },
    async ofChild(childId) {
      return (await transitions.find({ childId }, { projection: { status: 1, date: 1 } }).toArray()).map((t) => ({ id: t._id, retainedFrom: transitionClockStart(t) }));
    },
    // Only the version archived: a change since keeps it until its own period runs out.
    dispose: (id, retainedFrom, version) => disposeAggregate(transitions, id, { locks, what: `transition ${id}`, archived: { retainedFrom, version }, clockOf: transitionClockStart }),
  };

  // Where the child was placed is what identity's entry of the child is kept by; the same period
  // from the same day, so both leave together by default.
  const enrollment: RetainedKind = {
    kind: 'enrollment',
    description: 'the child’s placements in the municipality’s institutions (where, from and to which day), counted from the day after the last placement ended',
    defaultDays: 5 * YEAR_DAYS,
    publicRecord: false,
    candidates: (startedBy) => aggregateCandidates(enrollments, {}, startedBy, (e) => ({ childId: e._id, retainedFrom: enrollmentClockStart(e) })),
    async ofChild(childId) {
      const e = await enrollments.findOne({ _id: childId }, { projection: { placements: 1 } });
      return e ? [{ id: e._id, retainedFrom: enrollmentClockStart(e) }] : [];
    },
    // Placed again since the sweep chose it: it stays. Only the placements archived go: a
    // placement imported since (ended, so the child stays unplaced) or the enrollment started
    // anew under the child's id was never archived, and stays until its own period runs out.
    dispose: (id, retainedFrom, version) =>
      disposeAggregate(enrollments, id, { locks, what: `enrollment ${id}`, inUse: (e) => enrollmentClockStart(e) === null, archived: { retainedFrom, version }, clockOf: enrollmentClockStart }),
    // Every view of placements (the other services' directories) drops these, on the enrollment
    // topic and the child's key. Named at archiving, as the archive copy is; a placement added
    // between archiving and deletion (an ended one imported late) changes the version, so the
    // disposal is called off (dispose above) and nothing goes unnamed.
    async announce(candidate) {
      const e = await enrollments.findOne({ _id: candidate.id });
      if (!e || e.placements.length === 0) return [];
      const data = { childId: e._id, placementIds: e.placements.map((p) => p.placementId) };
      return [factory.create(PLACEMENTS_REMOVED, { subject: e._id, partitionKey: e._id, municipalityId: e.municipalityId, aggregateVersion: e.version + 1, data })];
    },
  };

  // Parents see where their child is and was placed; handover packages are between institutions.
  const data = collectionsByChild(db, {
    enrollment: { collection: 'enrollments', childField: '_id', parents: {}, hide: [INSTITUTIONS_KEY] },
    transition: { collection: 'transitions', childField: 'childId' },
  });
  return { kinds: [transition, enrollment], data };
}
