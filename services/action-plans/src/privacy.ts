// action-plans' part in data protection (libs/privacy): which records it keeps about a child,
// how long after they stop being in use, and what a parent or the data-protection officer sees.
import type { Db } from 'mongodb';
import { collectionsByChild, type ChildDataSource, type RetainedKind } from '@spor/privacy';

const YEAR_DAYS = 365;
const fromDay = (day: string | undefined) => (day ? new Date(`${day}T00:00:00Z`) : null);

export function actionPlansPrivacy(db: Db): { kinds: RetainedKind[]; data: ChildDataSource } {
  const plans = db.collection<{ _id: string; childId: string | null; municipalityId: string; status: string; closedOn?: string; sharedWithParents: boolean; hasPending?: boolean }>('plans');

  const plan: RetainedKind = {
    kind: 'action-plan',
    description: 'individual action plans (goals, signs, efforts, evaluations), counted from the day the plan is closed',
    defaultDays: 5 * YEAR_DAYS,
    publicRecord: true,
    async candidates(startedBy) {
      // Only the equality goes to the store (FerretDB reads ranges slowly); a plan with events
      // still waiting for the relay is left for the next sweep, so no event is lost with it.
      const closed = await plans.find({ status: 'closed' }).toArray();
      return closed
        .filter((p) => p.childId && p.closedOn && fromDay(p.closedOn)! <= startedBy && !p.hasPending)
        .map((p) => {
          const { pendingEvents: _e, outboxSeq: _s, hasPending: _h, ...record } = p as typeof p & { pendingEvents?: unknown; outboxSeq?: unknown };
          return { id: p._id, municipalityId: p.municipalityId, childId: p.childId!, retainedFrom: fromDay(p.closedOn)!, record };
        });
    },
    async ofChild(childId) {
      return (await plans.find({ childId }, { projection: { status: 1, closedOn: 1 } }).toArray()).map((p) => ({ id: p._id, retainedFrom: p.status === 'closed' ? fromDay(p.closedOn) : null }));
    },
    async dispose(id) {
      await plans.deleteOne({ _id: id });
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
