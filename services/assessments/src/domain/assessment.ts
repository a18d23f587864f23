// One assessment: an instrument version applied to a child (or a group) at an institution.
// Draft while it is being filled in; completed means locked, with results the server computed
// from the instrument's rules. A correction after completion is an amendment: the original
// answers and results are kept with who changed them and why.
import { AppError, conflict } from '@spor/service-kit';
import { answerProblems, itemProblem, score, type Answers, type InstrumentDefinition, type SectionResult } from './instrument.js';

export type Target = { kind: 'child'; childId: string } | { kind: 'group'; groupId: string };

export interface Amendment {
  at: string;
  by: string;
  reason: string;
  previousAnswers: Answers;
  previousResults: SectionResult[];
}

export interface Assessment {
  municipalityId: string;
  instrumentId: string;
  instrumentVersion: number;
  target: Target;
  /** The institution the child (or group) belonged to when the assessment was made. */
  institutionId: string;
  /** The child's age in months on the day the assessment was completed (on the day it was created, while a draft). */
  ageMonths: number | null;
  /** For multi-rater instruments: one professional's independent rating, or the team's joint one. */
  rating: 'single' | 'independent' | 'joint';
  /** A joint rating names the independent ratings it rests on. */
  basedOn: string[];
  status: 'draft' | 'completed';
  answers: Answers;
  /** The parents' part, each custody holder's apart (ParentAnswers): one parent's answers never replace the other's. */
  parentAnswers: ParentAnswers[];
  results: SectionResult[];
  sharedWithParents: boolean;
  createdBy: string;
  createdAt: string;
  completedBy?: string;
  completedAt?: string;
  amendments: Amendment[];
}

/**
 * One custody holder's answers to the parents' part. Two custody holders answer apart (separated
 * parents among them), so each set is kept under the person who gave it: neither replaces the
 * other's, and neither parent reads the other's words.
 */
export interface ParentAnswers {
  /** The parent's person id; null for answers stored before each parent's were kept apart, when who gave them was not recorded. */
  parentId: string | null;
  answers: Answers;
  /** When the parent last changed them; null for those stored before it was recorded. */
  answeredAt: string | null;
}

/**
 * What parents see of an assessment shared with them, as stored fields: the results, never staff's
 * answers, notes or amendments. The parents' answers are not among them: they are stored with
 * every custody holder’s, and a list of fields cannot pick the reader’s own (ownParentAnswers and
 * shownToParent do).
 */
export const PARENT_FIELDS = ['instrumentId', 'instrumentVersion', 'status', 'completedAt', 'results'] as const satisfies readonly (keyof Assessment)[];

/**
 * The parents' answers of an assessment as stored. Before each custody holder's were kept apart,
 * `parentAnswers` was one set of answers with no word of whose: whichever parent answered last.
 * Such a set stays on the record as an unknown parent's (parentId null), for staff; no parent
 * reads it as their own, since it may be the other parent's.
 */
export function storedParentAnswers(stored: ParentAnswers[] | Answers | undefined | null): ParentAnswers[] {
  if (Array.isArray(stored)) return stored;
  if (!stored || Object.keys(stored).length === 0) return [];
  return [{ parentId: null, answers: stored, answeredAt: null }];
}

/** An assessment as read from the store, its parents' answers in today's shape (storedParentAnswers); the same object when they are in it. */
export function fromStore<T extends Assessment>(a: T): T {
  return Array.isArray(a.parentAnswers) ? a : { ...a, parentAnswers: storedParentAnswers(a.parentAnswers as unknown as Answers | undefined) };
}

/**
 * What a parent's insight shows of a stored assessment (read with PARENT_FIELDS, sharedWithParents
 * and parentAnswers): a shared one's results, and the answers this parent gave (`ownAnswers`),
 * shared or not. Null when neither: an unshared assessment they gave no answers to.
 */
export function shownToParent(stored: Record<string, unknown>, parentId: string): Record<string, unknown> | null {
  const { sharedWithParents, parentAnswers, ...rest } = stored;
  const own = ownParentAnswers({ parentAnswers: storedParentAnswers(parentAnswers as ParentAnswers[] | Answers | undefined) }, parentId);
  const answered = Object.keys(own).length > 0;
  if (!sharedWithParents && !answered) return null;
  const shown = sharedWithParents ? rest : { _id: rest._id, instrumentId: rest.instrumentId, instrumentVersion: rest.instrumentVersion };
  return { ...shown, ...(answered ? { ownAnswers: own } : {}) };
}

/** The answers this parent gave; none when they have not answered (another custody holder's are never theirs). */
export function ownParentAnswers(a: Pick<Assessment, 'parentAnswers'>, parentId: string): Answers {
  return a.parentAnswers.find((p) => p.parentId === parentId)?.answers ?? {};
}

function refuseAnswers(problems: { item: string; message: string }[]): never {
  throw new AppError({
    status: 422,
    code: 'ANSWERS_INVALID',
    title: 'The answers do not fit the instrument',
    detail: problems.map((p) => `${p.item}: ${p.message}`).join('; '),
    errors: problems.map((p) => ({ in: 'body', field: `answers.${p.item}`, message: p.message })),
  });
}

export function startAssessment(input: Omit<Assessment, 'status' | 'answers' | 'parentAnswers' | 'results' | 'sharedWithParents' | 'amendments'> & { answers?: Answers }, def: InstrumentDefinition): Assessment {
  const answers = input.answers ?? {};
  const problems = answerProblems(def, answers, { complete: false, part: 'staff' });
  if (problems.length > 0) refuseAnswers(problems);
  return { ...input, status: 'draft', answers, parentAnswers: [], results: [], sharedWithParents: false, amendments: [] };
}

/** Merges answers into a draft; `null` clears an answer. */
export function answer(a: Assessment, def: InstrumentDefinition, changes: Record<string, Answers[string] | null>): Assessment {
  if (a.status !== 'draft') throw conflict('ASSESSMENT_COMPLETED', 'the assessment is completed and locked; correct it with an amendment');
  const answers: Answers = { ...a.answers };
  for (const [item, value] of Object.entries(changes)) {
    if (value === null) delete answers[item];
    else answers[item] = value;
  }
  // An answer cleared must name an item of the staff's part too: clearing an unknown one is no change, and a mistake to name.
  const cleared = Object.keys(changes).flatMap((item) => {
    const problem = changes[item] === null ? itemProblem(def, item, 'staff') : null;
    return problem ? [{ item, message: problem }] : [];
  });
  const problems = [...answerProblems(def, Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== null)) as Answers, { complete: false, part: 'staff' }), ...cleared];
  if (problems.length > 0) refuseAnswers(problems);
  return { ...a, answers };
}

/**
 * One custody holder's answers to the parents' part, answered while the assessment is prepared
 * (staff share the draft before the dialog); once completed it is locked with the rest, so what
 * the parents said at completion is what stays on the record. They replace only this parent's own
 * earlier answers: each custody holder answers for themself, and the other's stay as they were.
 * The same answers again change nothing (the same assessment).
 */
export function answerAsParent(a: Assessment, def: InstrumentDefinition, parentId: string, answers: Answers, at: Date): Assessment {
  if (!def.parentsTakePart) throw conflict('NO_PARENTS_PART', `${def.title} has no parents' part`);
  if (a.status !== 'draft') throw conflict('ASSESSMENT_COMPLETED', 'the assessment is completed and locked, the parents’ part with it; it is answered while the assessment is prepared');
  const problems = answerProblems(def, answers, { complete: true, part: 'parents' });
  if (problems.length > 0) refuseAnswers(problems);
  const own = a.parentAnswers.find((p) => p.parentId === parentId);
  if (own && sameAnswers(own.answers, answers)) return a;
  const mine: ParentAnswers = { parentId, answers, answeredAt: at.toISOString() };
  return { ...a, parentAnswers: own ? a.parentAnswers.map((p) => (p === own ? mine : p)) : [...a.parentAnswers, mine] };
}

export function complete(a: Assessment, def: InstrumentDefinition, by: string, at: Date): Assessment {
  if (a.status === 'completed') throw conflict('ASSESSMENT_COMPLETED', `the assessment was completed on ${a.completedAt}`);
  const problems = answerProblems(def, a.answers, { complete: true, part: 'staff' });
  if (problems.length > 0) refuseAnswers(problems);
  return { ...a, status: 'completed', results: score(def, a.answers, a.ageMonths), completedBy: by, completedAt: at.toISOString() };
}

export function amend(a: Assessment, def: InstrumentDefinition, answers: Answers, reason: string, by: string, at: Date): Assessment {
  if (a.status !== 'completed') throw conflict('ASSESSMENT_NOT_COMPLETED', 'a draft is changed directly; only a completed assessment is amended');
  const problems = answerProblems(def, answers, { complete: true, part: 'staff' });
  if (problems.length > 0) refuseAnswers(problems);
  // An amendment is a correction on the record, published to every consumer: one that changes nothing is refused.
  if (sameAnswers(a.answers, answers)) throw new AppError({ status: 422, code: 'AMENDMENT_UNCHANGED', title: 'The amendment changes nothing', detail: 'answers: the same as the assessment’s answers now', errors: [{ in: 'body', field: 'answers', message: 'the same as the assessment’s answers now' }] });
  return {
    ...a,
    answers,
    results: score(def, answers, a.ageMonths),
    amendments: [...a.amendments, { at: at.toISOString(), by, reason, previousAnswers: a.answers, previousResults: a.results }],
  };
}

/**
 * Shares an assessment with the child's parents, or stops sharing it; the same assessment when
 * that is so already. A group's assessment has no parents; one professional's independent rating
 * stays with the team (the joint one is shared).
 */
export function shared(a: Assessment, sharedWithParents: boolean): Assessment {
  const refuse = (message: string) => new AppError({ status: 422, code: 'NOT_SHAREABLE', title: 'Not shared with parents', detail: `sharedWithParents: ${message}`, errors: [{ in: 'body', field: 'sharedWithParents', message }] });
  if (a.target.kind !== 'child') throw refuse('only a child’s assessment is shared with its parents');
  if (a.rating === 'independent') throw refuse('one professional’s independent rating stays with the team; share the joint rating');
  return a.sharedWithParents === sharedWithParents ? a : { ...a, sharedWithParents };
}

type WithId = Assessment & { _id: string };

/**
 * The ratings of one team: the staff of one institution. A child in a school and the SFO beside
 * it has two teams, each with its own rounds of independent and joint ratings and its own prompt;
 * one team's rating neither closes the other's round nor lifts the other's prompt.
 */
export const ofTeam = <T extends Pick<Assessment, 'institutionId'>>(institutionId: string, ratings: T[]): T[] => ratings.filter((a) => a.institutionId === institutionId);

/**
 * Whether one professional's independent rating is sealed to a viewer: its answers and results
 * withheld, so that the next professional rates without seeing the first's (TOPI: independently,
 * then jointly). Open to its own rater; to the others once a joint rating rests on it, or once
 * they have completed their own independent rating of the child since the team's last joint one.
 * `others` are the child's assessments.
 */
export function sealedFor(viewer: string, rating: WithId, others: WithId[]): boolean {
  if (rating.rating !== 'independent' || rating.createdBy === viewer) return false;
  const same = ofTeam(rating.institutionId, others).filter((a) => a.instrumentId === rating.instrumentId && a.status === 'completed');
  const joints = same.filter((a) => a.rating === 'joint');
  if (joints.some((j) => j.basedOn.includes(rating._id))) return false;
  const lastJoint = joints.reduce((latest, j) => (j.completedAt! > latest ? j.completedAt! : latest), '');
  return !same.some((a) => a.rating === 'independent' && a.createdBy === viewer && a.completedAt! > lastJoint);
}

/**
 * The independent ratings a joint rating rests on (TOPI: each professional rates on their own,
 * then the team agrees), or a 422 naming each one that cannot carry it. They are completed
 * independent ratings of the same child with the same instrument, made at the institution whose
 * team rates jointly, by as many different professionals as the instrument asks; and completed
 * since the team's last joint rating of the child, so that each joint rating rests on ratings of
 * its own round, as the seal (sealedFor) assumes. `named` are the ratings `basedOn` names, in its
 * order (null for an id that names none); `childRatings` the child's assessments.
 */
export function jointBasis(joint: Pick<Assessment, 'instrumentId' | 'target' | 'institutionId'>, raters: number, named: (WithId | null)[], childRatings: WithId[]): string[] {
  const lastJoint = ofTeam(joint.institutionId, childRatings).reduce((latest, a) => (a.rating === 'joint' && a.status === 'completed' && a.instrumentId === joint.instrumentId && a.completedAt! > latest ? a.completedAt! : latest), '');
  const problems: { index: number; message: string }[] = [];
  const counted = new Map<string, WithId>();
  named.forEach((r, index) => {
    // One message for every rating that is not this child's here, so an id says nothing of other children or institutions.
    if (!r || r.rating !== 'independent' || r.status !== 'completed' || r.instrumentId !== joint.instrumentId || JSON.stringify(r.target) !== JSON.stringify(joint.target) || r.institutionId !== joint.institutionId) {
      problems.push({ index, message: 'not a completed independent rating of this child with this instrument at this institution' });
    } else if (r.completedAt! <= lastJoint) {
      problems.push({ index, message: `completed before the team’s last joint rating (${lastJoint}); rate again for a new joint rating` });
    } else counted.set(r._id, r);
  });
  // The professional who made the rating (only they complete it), not whoever pressed complete.
  const found = new Set([...counted.values()].map((r) => r.createdBy)).size;
  const misfits = problems.map((p) => ({ in: 'body' as const, field: `basedOn[${p.index}]`, message: p.message }));
  if (found < raters) {
    throw new AppError({
      status: 422,
      code: 'RATINGS_MISSING',
      title: 'Not enough independent ratings',
      detail: `basedOn: a joint rating rests on completed independent ratings of this child by ${raters} different professionals since the team’s last joint rating; found ${found}`,
      errors: [{ in: 'body', field: 'basedOn', message: `needs ${raters} independent ratings by different professionals` }, ...misfits],
    });
  }
  // Enough good ones are no reason to drop the others unsaid: the team named them as what the joint
  // rating rests on, and would not learn that it rests on less.
  if (problems.length > 0) {
    throw new AppError({
      status: 422,
      code: 'RATINGS_INVALID',
      title: 'A named rating cannot carry the joint rating',
      detail: `basedOn: ${problems.map((p) => `basedOn[${p.index}] is ${p.message}`).join('; ')}`,
      errors: misfits,
    });
  }
  return [...counted.keys()];
}

/** The same answers: the same items with the same values, a multiple choice in any order. */
export function sameAnswers(a: Answers, b: Answers): boolean {
  const canonical = (answers: Answers) => JSON.stringify(Object.keys(answers).sort().map((k) => [k, Array.isArray(answers[k]) ? [...(answers[k] as string[])].sort() : answers[k]]));
  return canonical(a) === canonical(b);
}

/** The well-being rating whose category `red` prompts the duty-to-notify consideration. */
export const WELLBEING_INSTRUMENT = 'trivselsvurdering';
export const CONCERN_CATEGORY = 'red';

/** A red well-being rating prompts the team to consider the duty to notify (Barnets lov § 133); it never notifies by itself. */
export function raisesConcern(a: Assessment): boolean {
  return a.instrumentId === WELLBEING_INSTRUMENT && a.rating !== 'independent' && a.results.some((r) => r.category === CONCERN_CATEGORY);
}

/** What staff see on the child while the team's newest well-being rating is red: a prompt, never a notification. */
export interface ConcernPrompt {
  kind: 'consider-duty-to-notify';
  law: 'Barnets lov § 133';
  assessmentId: string;
  raisedAt: string;
  /** The team (institution) whose rating it is. */
  institutionId: string;
}

/**
 * The prompt a team's ratings of a child carry (ofTeam): while the team's newest completed well-being rating (joint, or a
 * single rater's; never one professional's independent one) is red. A newer rating that is not
 * red lifts it. `assessments` in the order they were made; the later of two at the same instant counts.
 */
export function concernPrompt(assessments: (Assessment & { _id: string })[]): ConcernPrompt | null {
  let newest: (Assessment & { _id: string }) | undefined;
  for (const a of assessments) {
    if (a.instrumentId !== WELLBEING_INSTRUMENT || a.rating === 'independent' || a.status !== 'completed' || !a.completedAt) continue;
    if (!newest || a.completedAt >= newest.completedAt!) newest = a;
  }
  return newest && raisesConcern(newest) ? { kind: 'consider-duty-to-notify', law: 'Barnets lov § 133', assessmentId: newest._id, raisedAt: newest.completedAt!, institutionId: newest.institutionId } : null;
}

/** The prompts of each team that rates the child (ofTeam), oldest first: what a viewer who reaches several teams sees. */
export function concernPrompts(assessments: WithId[]): ConcernPrompt[] {
  const teams = new Set(assessments.map((a) => a.institutionId));
  return [...teams].flatMap((institutionId) => concernPrompt(ofTeam(institutionId, assessments)) ?? []).sort((a, b) => (a.raisedAt < b.raisedAt ? -1 : a.raisedAt > b.raisedAt ? 1 : 0));
}

/** The child's ratings once rating `id` reads `after`: in its place when it is stored, else the newest. */
const withChange = (id: string, after: Assessment, childRatings: WithId[]): WithId[] =>
  childRatings.some((a) => a._id === id) ? childRatings.map((a) => (a._id === id ? { ...after, _id: id } : a)) : [...childRatings, { ...after, _id: id }];

/**
 * Whether the child's prompt rests on this rating once it reads `after`: it is the team's newest
 * well-being rating, and red. An amendment that turns an older rating red, behind a newer one
 * that is not, changes no prompt and asks nothing new of the team.
 */
export function promptRestsOn(id: string, after: Assessment, childRatings: WithId[]): boolean {
  return concernPrompt(withChange(id, after, ofTeam(after.institutionId, childRatings)))?.assessmentId === id;
}

/**
 * The prompt this change ends, if any: the child had one (its newest team rating was red) and,
 * with rating `id` reading `after` (amended, or newly completed and so the newest), has none.
 * `childRatings` are as stored before the change.
 */
export function liftedPrompt(id: string, after: Assessment, childRatings: WithId[]): ConcernPrompt | null {
  const team = ofTeam(after.institutionId, childRatings);
  const before = concernPrompt(team);
  return before && !concernPrompt(withChange(id, after, team)) ? before : null;
}

export type DevelopmentLine = { instrumentId: string; points: { completedAt: string; instrumentVersion: number; ageMonths: number | null; results: SectionResult[] }[] };

/**
 * Development over time: the completed results per instrument, in the order they were completed
 * (a draft started early and completed late lands where it was completed). The line is the
 * team's: one professional's independent rating is a step towards the joint one, not a point of
 * its own (nor does it depend on who looks, as a sealed one would).
 */
export function developmentOf(assessments: Assessment[]): DevelopmentLine[] {
  const byInstrument = new Map<string, DevelopmentLine>();
  const done = assessments.filter((a) => a.status === 'completed' && a.rating !== 'independent').sort((a, b) => (a.completedAt! < b.completedAt! ? -1 : a.completedAt! > b.completedAt! ? 1 : 0));
  for (const a of done) {
    const line = byInstrument.get(a.instrumentId) ?? { instrumentId: a.instrumentId, points: [] };
    line.points.push({ completedAt: a.completedAt!, instrumentVersion: a.instrumentVersion, ageMonths: a.ageMonths, results: a.results });
    byInstrument.set(a.instrumentId, line);
  }
  return [...byInstrument.values()];
}
