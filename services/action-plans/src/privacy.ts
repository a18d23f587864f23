// action-plans' part in data protection (libs/privacy): which records it keeps about a child,
// how long after they stop being in use, and what a parent or the data-protection officer sees.
import type { Db } from 'mongodb';
import type { KeyedMutex } from '@spor/events';
import { aggregateCandidates, collectionsByChild, disposeAggregate, type ChildDataSource, type RetainedKind } from '@spor/privacy';

const YEAR_DAYS = 365;
const fromDay = (day: string | undefined) => (day ? new Date(`${day}T00:00:00Z`) : null);

/** What parents read of a resource case about their child, here and at GET /resource-cases/{id}. */
export const PARENTS_SEE_OF_A_CASE = ['kind', 'status', 'decision.outcome', 'decision.from', 'decision.to', 'decision.goals', 'decision.answer', 'decision.decidedOn'];

export function actionPlansPrivacy(db: Db, locks: KeyedMutex): { kinds: RetainedKind[]; data: ChildDataSource } {
  const plans = db.collection<{ _id: string; version: number; childId: string | null; municipalityId: string; status: string; closedOn?: string; sharedWithParents: boolean }>('plans');

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
    // An amendment just now (its event waiting for the relay) keeps it until the next sweep; one
    // made since it was archived, or a plan reopened, keeps it until its own period runs out.
    dispose: (id, retainedFrom, version) => disposeAggregate(plans, id, { locks, what: `plan ${id}`, archived: { retainedFrom, version }, clockOf: (p) => (p.status === 'closed' ? fromDay(p.closedOn) : null) }),
  };

  const cases = db.collection<{ _id: string; version: number; childId: string | null; municipalityId: string; status: string; decision?: { decidedOn: string } }>('resource_cases');
  const decidedOn = (c: { status: string; decision?: { decidedOn: string } }) => (c.status === 'decided' ? fromDay(c.decision?.decidedOn) : null);
  const resourceCase: RetainedKind = {
    kind: 'resource-case',
    description: 'resource cases for the district council about the child (the case, the decision and its written answer to the parents), counted from the day of the decision',
    defaultDays: 5 * YEAR_DAYS,
    // A decision of the municipality's district council is a case record.
    publicRecord: true,
    // A group's case (no child) is not personal data about one child; it is not swept here.
    candidates: (startedBy) => aggregateCandidates(cases, { status: 'decided' }, startedBy, (c) => ({ ...(c.childId ? { childId: c.childId } : {}), retainedFrom: c.childId ? decidedOn(c) : null })),
    async ofChild(childId) {
      return (await cases.find({ childId }, { projection: { status: 1, decision: 1 } }).toArray()).map((c) => ({ id: c._id, retainedFrom: decidedOn(c) }));
    },
    // Only the decision archived: one changed since keeps the case until its own period runs out.
    dispose: (id, retainedFrom, version) => disposeAggregate(cases, id, { locks, what: `resource case ${id}`, archived: { retainedFrom, version }, clockOf: decidedOn }),
  };

  const notifications = db.collection<{ _id: string; municipalityId: string; childId: string; on: string }>('concern_notifications');
  const concernNotification: RetainedKind = {
    kind: 'concern-notification',
    description: 'records of notifications of concern made about the child (Barnets lov §133: the day, who, a summary), counted from the day of the notification',
    defaultDays: 5 * YEAR_DAYS,
    // The record that a notification was made is part of the municipality's case about the child.
    publicRecord: true,
    candidates: (startedBy) => aggregateCandidates(notifications, {}, startedBy, (n) => ({ childId: n.childId, retainedFrom: fromDay(n.on) })),
    async ofChild(childId) {
      return (await notifications.find({ childId }, { projection: { on: 1 } }).toArray()).map((n) => ({ id: n._id, retainedFrom: fromDay(n.on) }));
    },
    // Written once, never changed, no events: a plain delete.
    async dispose(id) {
      await notifications.deleteOne({ _id: id });
      return 'deleted';
    },
  };

  // Parents see the plans shared with them; notifications of concern are for the leader and the consultants only (R13):
  // parents are not told one exists, not even by the access log of their insight.
  const data = collectionsByChild(db, {
    'action-plan': { collection: 'plans', childField: 'childId', parents: { sharedWithParents: true } },
    // The parents' written answer (R7): what was decided, for how long, with which goals; not the case file, nor who decided.
    'resource-case': { collection: 'resource_cases', childField: 'childId', parents: {}, parentFields: PARENTS_SEE_OF_A_CASE },
    'concern-notification': { collection: 'concern_notifications', childField: 'childId', unknownToParents: true },
  });
  return { kinds: [plan, resourceCase, concernNotification], data };
}
