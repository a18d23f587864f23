// transitions' own view of assessment results, from assessments' events: what a handover
// package can carry as "the latest results per instrument". Categories only; the answers and
// notes stay in the assessments service.
import type { Db } from 'mongodb';
import { topicFor, type EventHandler } from '@spor/events';
import { ChildRecordCopies, type DirectoryView } from '@spor/directory';

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

/** Copies that follow the assessments' disposals and the child's removal (ChildRecordCopies). */
export class ResultsView extends ChildRecordCopies<SeenResult> {
  static collections = ['assessment_results'];

  constructor(db: Db, directory: Pick<DirectoryView, 'isRemoved'>) {
    super(db, 'assessment_results', { service: 'assessments', recordKind: 'assessment' }, directory);
  }

  topics(): string[] {
    return [topicFor('assessments', 'assessment')];
  }

  handlers(): Record<string, EventHandler> {
    const apply: EventHandler = async (event) => {
      const d = event.data as { assessmentId: string; target: string; childId?: string; instrumentId: string; instrumentVersion: number; institutionId: string; rating: string; ageMonths?: number; completedOn: string; results: SeenResult['results'] };
      if (d.target !== 'child' || !d.childId) return;
      await this.apply(d.assessmentId, event.aggregateversion, d.childId, {
        instrumentId: d.instrumentId, instrumentVersion: d.instrumentVersion, institutionId: d.institutionId, rating: d.rating, ageMonths: d.ageMonths ?? null, completedOn: d.completedOn, results: d.results,
      });
    };
    return { 'dk.spor.assessments.assessment.completed.v1': apply, 'dk.spor.assessments.assessment.amended.v1': apply };
  }

  /** The newest result per instrument that `institutionId` made (a team's joint rating, never one professional's independent one). */
  async latestPerInstrument(childId: string, institutionId: string): Promise<HandoverResult[]> {
    const all = (await this.ofChild(childId)).filter((r) => r.rating !== 'independent' && r.institutionId === institutionId);
    const newest = new Map<string, SeenResult>();
    for (const r of all) if ((newest.get(r.instrumentId)?.completedOn ?? '') <= r.completedOn) newest.set(r.instrumentId, r);
    return [...newest.values()].sort((a, b) => a.instrumentId.localeCompare(b.instrumentId)).map(({ _id, version: _version, rating: _rating, ...rest }) => rest);
  }
}
