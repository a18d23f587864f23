// transitions' own view of assessment results, from assessments' events: what a handover
// package can carry as "the latest results per instrument". Categories only; the answers and
// notes stay in the assessments service.
import type { Collection, Db } from 'mongodb';
import { applyVersioned } from '@spor/mongo';
import { topicFor, type EventHandler } from '@spor/events';

export interface SeenResult {
  _id: string;
  version: number;
  childId: string;
  instrumentId: string;
  instrumentVersion: number;
  institutionId: string;
  rating: string;
  ageMonths: number | null;
  completedOn: string;
  results: { section: string; category: string | null }[];
}

export type HandoverResult = Omit<SeenResult, '_id' | 'version' | 'rating'>;

export class ResultsView {
  static collections = ['assessment_results'];
  private readonly results: Collection<SeenResult>;

  constructor(db: Db) {
    this.results = db.collection('assessment_results');
  }

  async init(): Promise<void> {
    await this.results.createIndex({ childId: 1 });
  }

  topics(): string[] {
    return [topicFor('assessments', 'assessment')];
  }

  handlers(): Record<string, EventHandler> {
    const apply: EventHandler = async (event) => {
      const d = event.data as { assessmentId: string; target: string; childId?: string; instrumentId: string; instrumentVersion: number; institutionId: string; rating: string; ageMonths?: number; completedOn: string; results: SeenResult['results'] };
      if (d.target !== 'child' || !d.childId) return;
      await applyVersioned(this.results, d.assessmentId, event.aggregateversion, {
        $set: { childId: d.childId, instrumentId: d.instrumentId, instrumentVersion: d.instrumentVersion, institutionId: d.institutionId, rating: d.rating, ageMonths: d.ageMonths ?? null, completedOn: d.completedOn, results: d.results },
      });
    };
    return { 'dk.spor.assessments.assessment.completed.v1': apply, 'dk.spor.assessments.assessment.amended.v1': apply };
  }

  /** The newest result per instrument (a team's joint rating, never one professional's independent one). */
  async latestPerInstrument(childId: string): Promise<HandoverResult[]> {
    const all = (await this.results.find({ childId }).toArray()).filter((r) => r.rating !== 'independent');
    const newest = new Map<string, SeenResult>();
    for (const r of all) if ((newest.get(r.instrumentId)?.completedOn ?? '') <= r.completedOn) newest.set(r.instrumentId, r);
    return [...newest.values()].sort((a, b) => a.instrumentId.localeCompare(b.instrumentId)).map(({ _id, version: _version, rating: _rating, ...rest }) => rest);
  }
}
