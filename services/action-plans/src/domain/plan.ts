// An individual (or group) action plan: goals with signs of progress, efforts at an effort
// level, evaluations, and the child's and parents' perspectives. Pure rules of DOMAIN.md:
// R1 (activation needs a goal with a sign and an evaluation date), R2 (effort levels), R3 (a
// child, a group, or both), R4 (evaluations per goal: signs seen, adjustment, decision, next
// date), R5 (no intervening effort before evaluated preventive and anticipatory ones), R6 (the
// perspectives). The store persists what these return.
import { randomUUID } from 'node:crypto';
import { AppError, conflict, ruleViolation, type FieldError } from '@spor/service-kit';
import type { Meeting, Provision } from './meetings.js';

export const EFFORT_LEVELS = ['preventive', 'anticipatory', 'intervening'] as const;
export type EffortLevel = (typeof EFFORT_LEVELS)[number];
export const ACTORS = ['team', 'internal-guide', 'praksisvejleder', 'advisory-team', 'family-counselling', 'ppr', 'health-visitor', 'speech-therapist', 'parents', 'other'] as const;
export const DECISIONS = ['continue', 'adjust', 'close', 'escalate'] as const;
/** The four statements of the children and youth policy (R6). */
export const PERSPECTIVE_KEYS = ['seeMeAsIAm', 'letMeBelong', 'suitableChallenges', 'whoICanBecome'] as const;

export interface Goal {
  goalId: string;
  text: string;
  signs: { signId: string; text: string }[];
}

export interface Effort {
  effortId: string;
  level: EffortLevel;
  description: string;
  actors: string[];
  start: string;
  end: string | null;
  /** Dates of the evaluations that covered this effort. */
  evaluatedOn: string[];
}

export interface Evaluation {
  evaluationId: string;
  on: string;
  by: string;
  goals: { goalId: string; signsSeen: string[]; adjustment?: string }[];
  decision: (typeof DECISIONS)[number];
  nextEvaluationOn: string | null;
}

export type Perspective = Partial<Record<(typeof PERSPECTIVE_KEYS)[number], string>>;

export interface Plan {
  municipalityId: string;
  childId: string | null;
  groupId: string | null;
  institutionId: string;
  status: 'draft' | 'active' | 'closed';
  startOn: string;
  goals: Goal[];
  efforts: Effort[];
  nextEvaluationOn: string | null;
  perspectives: { child: Perspective; parents: Perspective };
  participants: string[];
  evaluations: Evaluation[];
  meetings: Meeting[];
  provisions: Provision[];
  sharedWithParents: boolean;
  createdBy: string;
  activatedOn?: string;
  closedOn?: string;
  /** The evaluation date already flagged as overdue, so the sweep flags each date once. */
  overdueFlaggedFor?: string;
}

/** A plan input that breaks a field's meaning; `rule` names DOMAIN.md's rule when one is broken. */
export const invalid = (errors: FieldError[], rule?: string): AppError =>
  new AppError({ status: 422, code: 'PLAN_INVALID', title: 'The plan is not valid', detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors, ...(rule ? { rule } : {}) });

export interface NewGoal {
  text: string;
  signs: string[];
}

export const newGoal = (g: NewGoal): Goal => ({ goalId: randomUUID(), text: g.text, signs: g.signs.map((text) => ({ signId: randomUUID(), text })) });

export function draftPlan(input: Omit<Plan, 'status' | 'goals' | 'efforts' | 'evaluations' | 'meetings' | 'provisions' | 'sharedWithParents'> & { goals: NewGoal[] }): Plan {
  if (!input.childId && !input.groupId) throw invalid([{ in: 'body', field: 'childId', message: 'a plan concerns a child, a group, or both' }], 'R3');
  if (input.nextEvaluationOn && input.nextEvaluationOn < input.startOn) throw invalid([{ in: 'body', field: 'nextEvaluationOn', message: `is before the plan starts (${input.startOn})` }]);
  return { ...input, status: 'draft', goals: input.goals.map(newGoal), efforts: [], evaluations: [], meetings: [], provisions: [], sharedWithParents: false };
}

/** R1: a plan becomes active with at least one goal that has a sign, and an evaluation date. */
export function activate(plan: Plan, on: string): Plan {
  if (plan.status !== 'draft') throw conflict('PLAN_NOT_DRAFT', `the plan is ${plan.status}`);
  const missing: FieldError[] = [];
  if (!plan.goals.some((g) => g.signs.length > 0)) missing.push({ in: 'body', field: 'goals', message: 'at least one goal with at least one sign of progress' });
  if (!plan.nextEvaluationOn) missing.push({ in: 'body', field: 'nextEvaluationOn', message: 'an evaluation date' });
  if (missing.length > 0) throw ruleViolation({ code: 'PLAN_INCOMPLETE', rule: 'R1', status: 422, detail: `to activate, the plan needs ${missing.map((m) => m.message).join(' and ')}`, errors: missing });
  return { ...plan, status: 'active', activatedOn: on };
}

/**
 * R5: an intervening effort for a child only when the child's plans hold preventive and
 * anticipatory efforts, each evaluated at least once before it (`startsOn`, when the effort has
 * a start: an intervening effort dated back before the evaluations is not after them).
 * `childEfforts` are the efforts of all the child's plans (this one included).
 */
export function checkEscalation(level: EffortLevel, childId: string | null, childEfforts: Effort[], startsOn?: string): void {
  if (level !== 'intervening' || !childId) return;
  const prior = childEfforts.filter((e) => e.level !== 'intervening');
  const problems: string[] = [];
  for (const needed of ['preventive', 'anticipatory'] as const) {
    const ofLevel = prior.filter((e) => e.level === needed);
    if (ofLevel.length === 0) problems.push(`no ${needed} effort`);
    const unevaluated = ofLevel.filter((e) => !e.evaluatedOn.some((on) => !startsOn || on <= startsOn));
    if (unevaluated.length > 0) problems.push(`${unevaluated.length} ${needed} effort(s) not yet evaluated${startsOn ? ` on or before ${startsOn}` : ''} (${unevaluated.map((e) => e.effortId).join(', ')})`);
  }
  if (problems.length > 0) {
    throw ruleViolation({ code: 'ESCALATION_REQUIRES_EVALUATED_PRIOR_EFFORTS', rule: 'R5', detail: `an intervening effort needs documented and evaluated preventive and anticipatory efforts first: ${problems.join('; ')}` });
  }
}

export function addEffort(plan: Plan, effort: Omit<Effort, 'effortId' | 'evaluatedOn'>, childEfforts: Effort[]): { plan: Plan; effort: Effort } {
  if (plan.status === 'closed') throw conflict('PLAN_CLOSED', 'the plan is closed');
  if (effort.start < plan.startOn) throw invalid([{ in: 'body', field: 'start', message: `is before the plan starts (${plan.startOn})` }]);
  if (effort.end && effort.end < effort.start) throw invalid([{ in: 'body', field: 'end', message: 'is before the effort starts' }]);
  checkEscalation(effort.level, plan.childId, childEfforts, effort.start);
  const added: Effort = { ...effort, effortId: randomUUID(), evaluatedOn: [] };
  return { plan: { ...plan, efforts: [...plan.efforts, added] }, effort: added };
}

/**
 * R4: an evaluation records every goal of the plan, on a day that has come (`today`); the efforts
 * that ran since the last evaluation (or the plan's start) count as evaluated, also one that ended
 * meanwhile; `close` closes the plan. An evaluation of no goal, or dated ahead, would meet R5 and
 * quiet the overdue flag without anything having been evaluated.
 */
export function evaluate(plan: Plan, input: Omit<Evaluation, 'evaluationId'>, today: string): { plan: Plan; evaluation: Evaluation } {
  if (plan.status !== 'active') throw conflict('PLAN_NOT_ACTIVE', `only an active plan is evaluated; this one is ${plan.status}`);
  const errors: FieldError[] = [];
  if (input.on < plan.startOn) errors.push({ in: 'body', field: 'on', message: `is before the plan starts (${plan.startOn})` });
  if (input.on > today) errors.push({ in: 'body', field: 'on', message: `is after today (${today}): an evaluation records what was seen` });
  const seen = new Set<string>();
  input.goals.forEach((g, i) => {
    const goal = plan.goals.find((x) => x.goalId === g.goalId);
    if (!goal) errors.push({ in: 'body', field: `goals.${i}.goalId`, message: `the plan has no goal ${g.goalId}` });
    else g.signsSeen.forEach((s, j) => goal.signs.some((x) => x.signId === s) || errors.push({ in: 'body', field: `goals.${i}.signsSeen.${j}`, message: `goal ${g.goalId} has no sign ${s}` }));
    if (seen.has(g.goalId)) errors.push({ in: 'body', field: `goals.${i}.goalId`, message: `goal ${g.goalId} is evaluated twice` });
    seen.add(g.goalId);
  });
  const missing = plan.goals.filter((g) => !seen.has(g.goalId));
  if (missing.length > 0) errors.push({ in: 'body', field: 'goals', message: `every goal of the plan is evaluated; missing ${missing.map((g) => g.goalId).join(', ')}` });
  if (input.decision !== 'close' && !input.nextEvaluationOn) errors.push({ in: 'body', field: 'nextEvaluationOn', message: 'the next evaluation date is needed unless the plan closes' });
  if (input.nextEvaluationOn && input.nextEvaluationOn <= input.on) errors.push({ in: 'body', field: 'nextEvaluationOn', message: `must come after the evaluation (${input.on})` });
  if (errors.length > 0) throw invalid(errors, 'R4');
  const evaluation: Evaluation = { ...input, evaluationId: randomUUID() };
  const since = plan.evaluations.reduce((last, x) => (x.on > last && x.on <= input.on ? x.on : last), plan.startOn);
  const efforts = plan.efforts.map((e) => (e.start <= input.on && (e.end === null || e.end >= since) ? { ...e, evaluatedOn: [...e.evaluatedOn, input.on] } : e));
  const closing = input.decision === 'close';
  return {
    plan: { ...plan, efforts, evaluations: [...plan.evaluations, evaluation], nextEvaluationOn: closing ? null : input.nextEvaluationOn, ...(closing ? { status: 'closed' as const, closedOn: input.on } : {}) },
    evaluation,
  };
}

export function close(plan: Plan, on: string): Plan {
  if (plan.status === 'closed') return plan;
  return { ...plan, status: 'closed', closedOn: on, nextEvaluationOn: null };
}

/** Plans whose evaluation date has passed without an evaluation (R4's flag). */
export const evaluationOverdue = (plan: Plan, today: string) => plan.status === 'active' && plan.nextEvaluationOn !== null && plan.nextEvaluationOn < today;

export interface PlanChange {
  addGoals?: NewGoal[];
  nextEvaluationOn?: string;
  perspectives?: { child?: Perspective; parents?: Perspective };
  sharedWithParents?: boolean;
}

/**
 * A change of a plan's goals, perspectives, evaluation date or sharing, under the rules the rest
 * of the plan keeps. A closed plan is a public record: only whether parents see it changes. The
 * evaluation date is not before the plan starts; on an active plan it is not in the past, and an
 * overdue one moves only by an evaluation (R4), so the flag to the team and leader is not
 * quieted without one.
 */
export function changePlan(plan: Plan, change: PlanChange, today: string): Plan {
  const content = Object.keys(change).filter((k) => k !== 'sharedWithParents');
  if (plan.status === 'closed' && content.length > 0) throw conflict('PLAN_CLOSED', `the plan is closed: ${content.join(', ')} no longer change (sharing with the parents still does)`);
  const next = change.nextEvaluationOn;
  if (next !== undefined) {
    const errors: FieldError[] = [];
    if (next < plan.startOn) errors.push({ in: 'body', field: 'nextEvaluationOn', message: `is before the plan starts (${plan.startOn})` });
    else if (plan.status === 'active' && next < today) errors.push({ in: 'body', field: 'nextEvaluationOn', message: `is in the past (today is ${today})` });
    if (errors.length > 0) throw invalid(errors, 'R4');
    if (evaluationOverdue(plan, today) && next !== plan.nextEvaluationOn) {
      throw ruleViolation({ code: 'EVALUATION_OVERDUE', rule: 'R4', status: 409, detail: `the evaluation due on ${plan.nextEvaluationOn} is overdue: record it (POST /plans/{id}/evaluations), which sets the next date` });
    }
  }
  return {
    ...plan,
    goals: [...plan.goals, ...(change.addGoals ?? []).map(newGoal)],
    ...(next !== undefined ? { nextEvaluationOn: next } : {}),
    perspectives: { child: { ...plan.perspectives.child, ...change.perspectives?.child }, parents: { ...plan.perspectives.parents, ...change.perspectives?.parents } },
    ...(change.sharedWithParents !== undefined ? { sharedWithParents: change.sharedWithParents } : {}),
  };
}
