// assessments' part in data protection (libs/privacy): which records it keeps about a child,
// how long after they stop being in use, and what a parent or the data-protection officer sees.
import type { Db } from 'mongodb';
import type { KeyedMutex } from '@spor/events';
import { aggregateCandidates, collectionsByChild, disposeAggregate, type ChildDataSource, type RetainedKind } from '@spor/privacy';
import { CHILD_KEY } from './store/assessment-repository.js';

const YEAR_DAYS = 365;

export function assessmentsPrivacy(db: Db, locks: KeyedMutex): { kinds: RetainedKind[]; data: ChildDataSource } {
  const assessments = db.collection<{ _id: string; version: number; target: { kind: string; childId?: string }; municipalityId: string; status: string; completedAt?: string; sharedWithParents: boolean }>('assessments');

  const assessment: RetainedKind = {
    kind: 'assessment',
    description: 'assessments of the child (well-being, language, motor skills, all-round development), counted from the day the assessment is completed',
    defaultDays: 3 * YEAR_DAYS,
    publicRecord: false,
    candidates: (startedBy) => aggregateCandidates(assessments, { status: 'completed' }, startedBy, (a) => (a.target.kind === 'child' && a.completedAt ? { childId: a.target.childId!, retainedFrom: new Date(a.completedAt) } : { retainedFrom: null })),
    async ofChild(childId) {
      return (await assessments.find({ [CHILD_KEY]: childId }, { projection: { status: 1, completedAt: 1 } }).toArray()).map((a) => ({ id: a._id, retainedFrom: a.status === 'completed' && a.completedAt ? new Date(a.completedAt) : null }));
    },
    // An amendment just now (its event waiting for the relay) keeps it until the next sweep.
    dispose: (id) => disposeAggregate(assessments, id, { locks, what: `assessment ${id}` }),
  };

  const data = collectionsByChild(db, {
    assessment: { collection: 'assessments', childField: CHILD_KEY, parents: { sharedWithParents: true }, hide: [CHILD_KEY] },
    'external-result': { collection: 'external_results', childField: 'childId' },
  });
  return { kinds: [assessment], data };
}
