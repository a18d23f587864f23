// transitions' own view of external test results (a dyslexia test, the national tests), from
// assessments' events: what a handover package carries beside the assessment results. Codes,
// dates and numbers only; the test's name as staff typed it stays in the assessments service.
import type { Db } from 'mongodb';
import { topicFor, type EventHandler } from '@spor/events';
import { ChildRecordCopies, type DirectoryView } from '@spor/directory';
import type { HandoverExternalResult } from '../domain/transition.js';

interface SeenExternalResult extends HandoverExternalResult {
  _id: string;
  version: number;
  childId: string;
  institutionId: string | null;
}

/** Copies that follow the results' disposals and the child's removal (ChildRecordCopies). */
export class ExternalResultsView extends ChildRecordCopies<SeenExternalResult> {
  static collections = ['external_results'];

  constructor(db: Db, directory: Pick<DirectoryView, 'isRemoved'>) {
    super(db, 'external_results', { service: 'assessments', recordKind: 'external-result' }, directory);
  }

  topics(): string[] {
    return [topicFor('assessments', 'external-result')];
  }

  handlers(): Record<string, EventHandler> {
    // A correction carries the values now in force; the copy is versioned, so a late `recorded` never undoes it.
    const apply: EventHandler = async (event) => {
      const d = event.data as { resultId: string; childId: string; institutionId: string | null } & HandoverExternalResult;
      await this.apply(d.resultId, event.aggregateversion, d.childId, {
        source: d.source, testedOn: d.testedOn, score: d.score, maxScore: d.maxScore, interpretation: d.interpretation, institutionId: d.institutionId,
      });
    };
    return { 'dk.spor.assessments.external-result.recorded.v1': apply, 'dk.spor.assessments.external-result.corrected.v1': apply };
  }

  /**
   * The newest result per test (source), oldest test first, of the tests taken while the child was
   * at `institutionId`, or at no institution (recorded by the municipality, no other one's).
   */
  async latestPerSource(childId: string, institutionId: string): Promise<HandoverExternalResult[]> {
    const newest = new Map<string, SeenExternalResult>();
    for (const r of (await this.ofChild(childId)).filter((x) => x.institutionId === institutionId || x.institutionId === null)) if ((newest.get(r.source)?.testedOn ?? '') <= r.testedOn) newest.set(r.source, r);
    return [...newest.values()]
      .sort((a, b) => a.testedOn.localeCompare(b.testedOn) || a.source.localeCompare(b.source))
      .map(({ source, testedOn, score, maxScore, interpretation }) => ({ source, testedOn, score, maxScore, interpretation }));
  }
}
