// action-plans' part in data protection (libs/privacy): which records it keeps about a child,
// how long after they stop being in use, and what a parent or the data-protection officer sees.
import type { Db } from 'mongodb';
import { deletePublished } from '@spor/events';
import { aggregateCandidates, collectionsByChild, type ChildDataSource, type RetainedKind } from '@spor/privacy';

const YEAR_DAYS = 365;
const fromDay = (day: string | undefined) => (day ? new Date(`${day}T00:00:00Z`) : null);

export function actionPlansPrivacy(db: Db): { kinds: RetainedKind[]; data: ChildDataSource } {
  const plans = db.collection<{ _id: string; childId: string | null; municipalityId: string; status: string; closedOn?: string; sharedWithParents: boolean }>('plans');

  const plan: RetainedKind = {
    kind: 'action-plan',
    description: 'individual action plans (goals, signs, efforts, evaluations), counted from the day the plan is closed',
    defaultDays: 5 * YEAR_DAYS,
    publicRecord: true,
    // A plan without a child (a group's plan) is not personal data about one child; it is not swept here.
    candidates: (startedBy) => aggregateCandidates(plans, { status: 'closed' }, startedBy, (p) => ({ ...(p.childId ? { childId: p.childId } : {}), retainedFrom: p.childId ? fromDay(p.closedOn) : null })),
    async ofChild(childId) {
      return (await plans.find({ childId }, { projection: { status: 1, closedOn: 1 } }).toArray()).map((p) => ({ id: p._id, retainedFrom: p.status === 'closed' ? fromDay(p.closedOn) : null }));
    },
    async dispose(id) {
      // Not while an event of it waits for the relay (an amendment just now): the sweep tries again.
      await deletePublished(plans as never, { _id: id } as never, `plan ${id}`);
      return 'deleted';
    },
  };

  // Parents see the plans shared with them; notifications of concern are for the leader and the consultants only (R13).
  const data = collectionsByChild(db, {
    'action-plan': { collection: 'plans', childField: 'childId', parents: { sharedWithParents: true } },
    'resource-case': { collection: 'resource_cases', childField: 'childId' },
    'concern-notification': { collection: 'concern_notifications', childField: 'childId' },
  });
  return { kinds: [plan], data };
}
