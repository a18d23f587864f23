// assessments' part in data protection (libs/privacy): which records it keeps about a child,
// how long after they stop being in use, and what a parent or the data-protection officer sees.
import type { Db } from 'mongodb';
import type { KeyedMutex } from '@spor/events';
import { aggregateCandidates, collectionsByChild, disposeAggregate, type ChildDataSource, type RetainedKind, type RetentionCandidate } from '@spor/privacy';
import type { DirectoryView } from '@spor/directory';
import { CHILD_KEY } from './store/assessment-repository.js';
import { PARENT_FIELDS, shownToParent } from './domain/assessment.js';

const YEAR_DAYS = 365;

export function assessmentsPrivacy(db: Db, locks: KeyedMutex, directory: Pick<DirectoryView, 'person'>): { kinds: RetainedKind[]; data: ChildDataSource } {
  const assessments = db.collection<{ _id: string; version: number; target: { kind: string; childId?: string }; municipalityId: string; status: string; createdAt: string; completedAt?: string; sharedWithParents: boolean }>('assessments');
  // The clock of an assessment: from its completion; one never completed (the child moved on, the
  // team gave up on it), from the day it was started, so a draft nobody can finish any more does
  // not stay for ever with its notes and the parents' answers.
  const clockOf = (a: { status: string; createdAt: string; completedAt?: string }) => new Date(a.status === 'completed' && a.completedAt ? a.completedAt : a.createdAt);

  const assessment: RetainedKind = {
    kind: 'assessment',
    description: 'assessments of the child (well-being, language, motor skills, all-round development), counted from the day the assessment is completed (one never completed: from the day it was started)',
    defaultDays: 3 * YEAR_DAYS,
    publicRecord: false,
    candidates: (startedBy, childId) => aggregateCandidates(assessments, childId ? { [CHILD_KEY]: childId } : {}, startedBy, (a) => (a.target.kind === 'child' ? { childId: a.target.childId!, retainedFrom: clockOf(a) } : { retainedFrom: null })),
    async ofChild(childId) {
      return (await assessments.find({ [CHILD_KEY]: childId }, { projection: { status: 1, createdAt: 1, completedAt: 1 } }).toArray()).map((a) => ({ id: a._id, retainedFrom: clockOf(a) }));
    },
    // An amendment just now (its event waiting for the relay) keeps it until the next sweep; one
    // made since it was archived keeps it until its own period runs out (only the version archived goes).
    dispose: (id, retainedFrom, version) => disposeAggregate(assessments, id, { locks, what: `assessment ${id}`, archived: { retainedFrom, version }, clockOf }),
  };

  // A group's learning environment, with what the oldest children said in their interviews: not
  // about one child, so in no child's insight, yet not to be kept for ever either.
  const groupAssessment: RetainedKind = {
    kind: 'group-assessment',
    description: 'assessments of a group’s learning environment, with the children’s interview answers, counted from the day the assessment is completed (one never completed: from the day it was started)',
    defaultDays: 3 * YEAR_DAYS,
    publicRecord: false,
    // About no one child: none of a child's.
    candidates: async (startedBy, childId) => (childId ? [] : aggregateCandidates(assessments, {}, startedBy, (a) => ({ retainedFrom: a.target.kind === 'group' ? clockOf(a) : null }))),
    ofChild: async () => [],
    dispose: (id, retainedFrom, version) => disposeAggregate(assessments, id, { locks, what: `group assessment ${id}`, archived: { retainedFrom, version }, clockOf }),
  };

  const externalResults = db.collection<{ _id: string; version: number; municipalityId: string; childId: string; testedOn: string }>('external_results');
  const testDay = (r: { testedOn: string }) => new Date(`${r.testedOn}T00:00:00Z`);
  // Results of standardised tests taken elsewhere (a dyslexia test, the national tests): kept as
  // long as Spor's own assessments, counted from the day of the test.
  const externalResult: RetainedKind = {
    kind: 'external-result',
    description: 'results of standardised tests recorded or imported from outside Spor (a dyslexia test, the national tests), counted from the day of the test',
    defaultDays: 3 * YEAR_DAYS,
    publicRecord: false,
    candidates: (startedBy, childId) => aggregateCandidates(externalResults, childId ? { childId } : {}, startedBy, (r) => ({ childId: r.childId, retainedFrom: testDay(r) })),
    async ofChild(childId) {
      return (await externalResults.find({ childId }, { projection: { testedOn: 1 } }).toArray()).map((r) => ({ id: r._id, retainedFrom: testDay(r) }));
    },
    // A correction just now (its event waiting for the relay) keeps it until the next sweep. Its id
    // is deterministic, so only the version archived goes: a correction or a re-import since (the
    // same id, never archived) is kept until its own period runs out.
    dispose: (id, retainedFrom, version) => disposeAggregate(externalResults, id, { locks, what: `external result ${id}`, archived: { retainedFrom, version }, clockOf: testDay }),
  };

  // Staff's judgement that a child around three may need language support (daycare act §11), by
  // child id. Its point is the three-year language assessment; kept as long as assessments are.
  const presumptions = db.collection<{ _id: string; municipalityId?: string; at: Date }>('language_presumptions');
  const presumption: RetainedKind = {
    kind: 'language-presumption',
    description: 'staff’s presumption that the child may need language support around age three (who, when, yes or no), counted from the day it was recorded',
    defaultDays: 3 * YEAR_DAYS,
    publicRecord: false,
    async candidates(startedBy, childId) {
      const candidates: RetentionCandidate[] = [];
      for (const p of await presumptions.find(childId ? { _id: childId } : {}).toArray()) {
        if (p.at > startedBy) continue;
        // Entries from before the municipality was stored with them: the directory knows the child's.
        const municipalityId = p.municipalityId ?? (await directory.person(p._id))?.municipalityId;
        if (!municipalityId) continue;
        candidates.push({ id: p._id, municipalityId, childId: p._id, retainedFrom: p.at, record: p });
      }
      return candidates;
    },
    async ofChild(childId) {
      const p = await presumptions.findOne({ _id: childId });
      return p ? [{ id: p._id, retainedFrom: p.at }] : [];
    },
    // Only the judgement archived (its clock is its `at`): one recorded again since stays, with its own clock.
    async dispose(id, retainedFrom) {
      if ((await presumptions.deleteOne({ _id: id, at: retainedFrom })).deletedCount === 1) return 'deleted';
      return (await presumptions.findOne({ _id: id }, { projection: { _id: 1 } })) ? 'kept' : 'deleted';
    },
  };

  const data = collectionsByChild(db, {
    // Parents see what GET /assessments/:id shows them (a shared assessment's results, not staff's
    // answers, notes or amendments) and, shared or not, the answers they gave themselves: their
    // own words about their child are theirs to see. Never the other custody holder's.
    assessment: { collection: 'assessments', childField: CHILD_KEY, parents: { sharedWithParents: true }, hide: [CHILD_KEY], parentFields: [...PARENT_FIELDS], parentSees: { reads: ['sharedWithParents', 'parentAnswers'], show: shownToParent } },
    // Parents see the results recorded about their child (which test, when, the score and what it means), not who recorded them or the corrections' history.
    'external-result': { collection: 'external_results', childField: 'childId', parents: {}, parentFields: ['source', 'testName', 'testedOn', 'score', 'maxScore', 'interpretation'] },
    // Parents see it too: it is a judgement about their child; staff appear by role and institution, never by id.
    'language-presumption': { collection: 'language_presumptions', childField: '_id', parents: {}, parentFields: ['presumedNeed', 'at'] },
  });
  return { kinds: [assessment, groupAssessment, externalResult, presumption], data };
}

/**
 * Language presumptions stored before their municipality was (2026-12) get it now, from the
 * directory while it still knows the child: once the child has left it, the sweep could no
 * longer tell whose period applies, and the presumption would never go. Answers how many.
 */
export async function backfillPresumptionMunicipalities(db: Db, directory: Pick<DirectoryView, 'person'>): Promise<number> {
  const presumptions = db.collection<{ _id: string; municipalityId?: string }>('language_presumptions');
  let filled = 0;
  for (const p of await presumptions.find({ municipalityId: { $exists: false } }).toArray()) {
    const municipalityId = (await directory.person(p._id))?.municipalityId;
    if (!municipalityId) continue;
    filled += (await presumptions.updateOne({ _id: p._id, municipalityId: { $exists: false } }, { $set: { municipalityId } })).modifiedCount;
  }
  return filled;
}
