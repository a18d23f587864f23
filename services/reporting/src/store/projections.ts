// reporting's pseudonymous projections, kept from the other services' events: well-being
// ratings (child id, institution, month, traffic light) and plans (institution, status, effort
// levels). No CPR, no names, no free text ever reaches this store. Applied by version, so
// replays and duplicates change nothing and a late event lands in the month it belongs to.
import type { Collection, Db } from 'mongodb';
import { applyVersioned } from '@spor/mongo';
import { topicFor, type EventHandler } from '@spor/events';

export interface Rating {
  _id: string;
  version: number;
  childId: string;
  institutionId: string;
  month: string;
  completedOn: string;
  category: string | null;
}

export interface PlanFigure {
  _id: string;
  version: number;
  institutionId: string;
  childId: string | null;
  status: 'active' | 'closed';
  effortLevels: string[];
}

export class Projections {
  static collections = ['wellbeing_ratings', 'plan_figures'];
  readonly ratings: Collection<Rating>;
  readonly plans: Collection<PlanFigure>;

  constructor(db: Db) {
    this.ratings = db.collection('wellbeing_ratings');
    this.plans = db.collection('plan_figures');
  }

  async init(): Promise<void> {
    await this.ratings.createIndex({ institutionId: 1, month: 1 });
    await this.plans.createIndex({ institutionId: 1 });
  }

  topics(): string[] {
    return [topicFor('assessments', 'assessment'), topicFor('action-plans', 'plan')];
  }

  /** Empties the projections before a rebuild. */
  async clear(): Promise<void> {
    await this.ratings.deleteMany({});
    await this.plans.deleteMany({});
  }

  handlers(): Record<string, EventHandler> {
    const rating: EventHandler = async (event) => {
      const d = event.data as { assessmentId: string; target: string; childId?: string; instrumentId: string; institutionId: string; rating: string; completedOn: string; results: { section: string; category: string | null }[] };
      // The team's rating counts (joint, or single for a one-rater version), never one professional's independent one.
      if (d.instrumentId !== 'trivselsvurdering' || d.target !== 'child' || !d.childId || d.rating === 'independent') return;
      await applyVersioned(this.ratings, d.assessmentId, event.aggregateversion, { $set: { childId: d.childId, institutionId: d.institutionId, month: d.completedOn.slice(0, 7), completedOn: d.completedOn, category: d.results[0]?.category ?? null } });
    };
    const plan = (status?: 'active' | 'closed'): EventHandler => async (event) => {
      const d = event.data as { planId: string; childId?: string; institutionId: string; effortLevels: string[] };
      await applyVersioned(this.plans, d.planId, event.aggregateversion, { $set: { institutionId: d.institutionId, childId: d.childId ?? null, effortLevels: d.effortLevels, ...(status ? { status } : {}) } });
    };
    return {
      'dk.spor.assessments.assessment.completed.v1': rating,
      'dk.spor.assessments.assessment.amended.v1': rating,
      'dk.spor.action-plans.plan.activated.v1': plan('active'),
      'dk.spor.action-plans.plan.effort-added.v1': plan(),
      'dk.spor.action-plans.plan.evaluated.v1': plan(),
      'dk.spor.action-plans.plan.closed.v1': plan('closed'),
    };
  }
}
