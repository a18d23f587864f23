// transitions' own view of the child's action plans, from action-plans' events: what a
// handover package can carry as "a summary of active and closed action plans with their effort
// levels". Ids, levels and dates only; the plans themselves stay in action-plans.
import type { Db } from 'mongodb';
import { topicFor, type EventHandler } from '@spor/events';
import { ChildRecordCopies, type DirectoryView } from '@spor/directory';

export interface SeenPlan {
  _id: string;
  version: number;
  childId: string;
  status: 'active' | 'closed';
  /** The institution whose plan it is (copies stored before it was kept have none: they go along with no package). */
  institutionId?: string;
  effortLevels: string[];
  activatedOn?: string;
  lastEvaluatedOn?: string;
  closedOn?: string;
}

export type PlanSummary = Omit<SeenPlan, '_id' | 'version' | 'childId' | 'institutionId'> & { planId: string };

/** Copies that follow the plans' disposals and the child's removal (ChildRecordCopies). */
export class PlansView extends ChildRecordCopies<SeenPlan> {
  static collections = ['action_plan_summaries'];

  constructor(db: Db, directory: Pick<DirectoryView, 'isRemoved'>) {
    super(db, 'action_plan_summaries', { service: 'action-plans', recordKind: 'action-plan' }, directory);
  }

  topics(): string[] {
    return [topicFor('action-plans', 'plan')];
  }

  handlers(): Record<string, EventHandler> {
    const apply = (extra: (d: { on: string }) => Partial<SeenPlan>): EventHandler => async (event) => {
      const d = event.data as { planId: string; childId?: string; institutionId: string; on: string; effortLevels: string[] };
      if (!d.childId) return;
      await this.apply(d.planId, event.aggregateversion, d.childId, { institutionId: d.institutionId, effortLevels: d.effortLevels, ...extra(d) });
    };
    return {
      'dk.spor.action-plans.plan.activated.v1': apply((d) => ({ status: 'active', activatedOn: d.on })),
      'dk.spor.action-plans.plan.effort-added.v1': apply(() => ({})),
      'dk.spor.action-plans.plan.evaluated.v1': apply((d) => ({ lastEvaluatedOn: d.on })),
      'dk.spor.action-plans.plan.closed.v1': apply((d) => ({ status: 'closed', closedOn: d.on })),
    };
  }

  /** The child's plans that `institutionId` keeps. */
  async summaries(childId: string, institutionId: string): Promise<PlanSummary[]> {
    return (await this.ofChild(childId)).filter((p) => p.institutionId === institutionId).map(({ _id, version: _v, childId: _c, institutionId: _i, ...rest }) => ({ planId: _id, ...rest, status: rest.status ?? 'active' }));
  }
}
