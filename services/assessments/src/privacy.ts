// assessments' part in data protection (libs/privacy): which records it keeps about a child,
// how long after they stop being in use, and what a parent or the data-protection officer sees.
import type { Db } from 'mongodb';
import { collectionsByChild, type ChildDataSource, type RetainedKind } from '@spor/privacy';

const YEAR_DAYS = 365;

export function assessmentsPrivacy(db: Db): { kinds: RetainedKind[]; data: ChildDataSource } {
  const assessments = db.collection<{ _id: string; target: { kind: string; childId?: string }; municipalityId: string; status: string; completedAt?: string; sharedWithParents: boolean; hasPending?: boolean }>('assessments');

  const assessment: RetainedKind = {
    kind: 'assessment',
    description: 'assessments of the child (well-being, language, motor skills, all-round development), counted from the day the assessment is completed',
    defaultDays: 3 * YEAR_DAYS,
    publicRecord: false,
    async candidates(startedBy) {
      // Only the equality goes to the store; an assessment with events still waiting for the relay waits for the next sweep.
      const completed = await assessments.find({ status: 'completed' }).toArray();
      return completed
        .filter((a) => a.target.kind === 'child' && a.completedAt && new Date(a.completedAt) <= startedBy && !a.hasPending)
        .map((a) => {
          const { pendingEvents: _e, outboxSeq: _s, hasPending: _h, ...record } = a as typeof a & { pendingEvents?: unknown; outboxSeq?: unknown };
          return { id: a._id, municipalityId: a.municipalityId, childId: a.target.childId!, retainedFrom: new Date(a.completedAt!), record };
        });
    },
    async ofChild(childId) {
      return (await assessments.find({ 'target.childId': childId }, { projection: { status: 1, completedAt: 1 } }).toArray()).map((a) => ({ id: a._id, retainedFrom: a.status === 'completed' && a.completedAt ? new Date(a.completedAt) : null }));
    },
    async dispose(id) {
      await assessments.deleteOne({ _id: id });
      return 'deleted';
    },
  };

  const data = collectionsByChild(db, {
    assessment: { collection: 'assessments', childField: 'target.childId', parents: { sharedWithParents: true } },
    'external-result': { collection: 'external_results', childField: 'childId' },
  });
  return { kinds: [assessment], data };
}
