// Resource assessment (ressourcevurdering), rules R7–R10: a case for a named child goes to the
// district council with the child's plan, the parents' consent and at least ten days' notice; a
// case for a group without CPR needs the parents informed; the council grants a praksisvejleder,
// free funds, a place in a ressourcegruppe or a mellemform, for a limited period with goals, or
// refuses; special provision and chronic-illness resources are the pedagogical consultant's.
import { AppError, forbidden, ruleViolation } from '@spor/service-kit';
import { checkEscalation, type Plan } from './plan.js';

export const CASE_KINDS = ['child-with-cpr', 'group-without-cpr', 'special-provision', 'chronic-illness'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];
export const COUNCIL_OUTCOMES = ['praksisvejleder', 'free-funds', 'ressourcegruppe', 'mellemform', 'refused'] as const;
export const CONSULTANT_OUTCOMES = ['granted', 'refused'] as const;
export const MIN_NOTICE_DAYS = 10;

export interface Decision {
  outcome: string;
  from: string | null;
  to: string | null;
  goals: string[];
  /** The written answer to the parents (R7). */
  answer: string;
  decidedBy: string;
  decidedOn: string;
}

export interface ResourceCase {
  municipalityId: string;
  districtId: string;
  institutionId: string;
  kind: CaseKind;
  childId: string | null;
  groupId: string | null;
  planId: string | null;
  meetingId: string | null;
  meetingOn: string | null;
  consentId: string | null;
  parentsInformedOn: string | null;
  submittedOn: string;
  submittedBy: string;
  status: 'submitted' | 'decided';
  decision?: Decision;
}

export const goesToCouncil = (kind: CaseKind) => kind === 'child-with-cpr' || kind === 'group-without-cpr';

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Checks a case before it is submitted; each refusal names its rule. */
export function checkSubmission(c: Omit<ResourceCase, 'status'>, context: { plan: Plan | null; childEfforts: Plan['efforts']; consentValid: boolean }): void {
  if (goesToCouncil(c.kind)) {
    if (!c.meetingOn) throw new AppError({ status: 422, code: 'CASE_INVALID', title: 'The case is not valid', detail: 'meetingId: a council case names the district council meeting' });
    const notice = daysBetween(c.submittedOn, c.meetingOn);
    if (notice < MIN_NOTICE_DAYS) {
      throw ruleViolation({ code: 'SUBMISSION_TOO_LATE', rule: 'R7', status: 422, detail: `a case reaches the district council at least ${MIN_NOTICE_DAYS} days before its meeting; this is ${notice} day(s) before ${c.meetingOn}` });
    }
  }
  if (c.kind === 'child-with-cpr') {
    const plan = context.plan;
    const missing: string[] = [];
    if (!plan || plan.status !== 'active' || plan.childId !== c.childId) missing.push('the child’s active action plan');
    else {
      if (!plan.goals.some((g) => g.signs.length > 0)) missing.push('goals with signs');
      if (plan.efforts.length === 0) missing.push('efforts');
      if (plan.evaluations.length === 0) missing.push('evaluations');
    }
    if (missing.length > 0) throw ruleViolation({ code: 'CASE_PLAN_INCOMPLETE', rule: 'R7', status: 422, detail: `a resource case with CPR needs ${missing.join(', ')}` });
    // The council is asked for an intervening effort: R5 must hold.
    checkEscalation('intervening', c.childId, context.childEfforts);
    if (!context.consentValid) throw ruleViolation({ code: 'CONSENT_REQUIRED', rule: 'R7', detail: 'a resource case with CPR needs the valid consent of every custody holder (purpose resource-assessment)' });
  }
  // Special daycare is an intervening effort (R2): decided by the consultant (R10), but R5 holds.
  // Extra resources for a chronic illness answer the illness, not efforts that did not suffice.
  if (c.kind === 'special-provision') checkEscalation('intervening', c.childId, context.childEfforts);
  if (c.kind === 'group-without-cpr' && !c.parentsInformedOn) {
    throw ruleViolation({ code: 'PARENTS_NOT_INFORMED', rule: 'R8', status: 422, detail: 'resources for a group without CPR need no signature, but the parents of the children concerned must be informed: give parentsInformedOn' });
  }
}

/** A decision on a case; grants run for a limited period (default six months) with goals (R9); R10 cases are the consultant's. */
export function decide(c: ResourceCase, input: { outcome: string; from?: string | undefined; months?: number | undefined; goals: string[]; answer: string }, by: { personId: string; roles: string[] }, on: string, consentStillValid: boolean): ResourceCase {
  if (c.status === 'decided') throw new AppError({ status: 409, code: 'CASE_DECIDED', title: 'The case is decided', detail: `decided on ${c.decision!.decidedOn}` });
  const council = goesToCouncil(c.kind);
  if (!council && !by.roles.includes('pedagogical-consultant')) {
    throw new AppError({ status: 403, code: 'DECIDED_BY_CONSULTANT', rule: 'R10', title: 'Forbidden', detail: 'special provision and chronic-illness resources are decided by the pedagogical consultant, not the district council' });
  }
  if (council && !by.roles.some((r) => r === 'pedagogical-consultant' || r === 'district-council-member')) throw forbidden('the district council’s decision is recorded by its members or the pedagogical consultant', 'ROLE_REQUIRED');
  const outcomes: readonly string[] = council ? COUNCIL_OUTCOMES : CONSULTANT_OUTCOMES;
  if (!outcomes.includes(input.outcome)) throw new AppError({ status: 422, code: 'DECISION_INVALID', title: 'The decision is not valid', detail: `outcome: one of ${outcomes.join(', ')}`, errors: [{ in: 'body', field: 'outcome', message: `one of ${outcomes.join(', ')}` }] });
  if (c.kind === 'child-with-cpr' && !consentStillValid) throw ruleViolation({ code: 'CONSENT_REQUIRED', rule: 'R7', detail: 'the parents’ consent is no longer valid (withdrawn or expired since the case was submitted); the case cannot be decided' });
  const refused = input.outcome === 'refused';
  if (!refused && input.goals.length === 0) throw ruleViolation({ code: 'DECISION_INVALID', rule: 'R9', status: 422, detail: 'goals: a grant has defined learning and development goals' });
  const months = input.months ?? 6;
  const from = refused ? null : (input.from ?? on);
  const to = from ? addMonths(from, months) : null;
  return { ...c, status: 'decided', decision: { outcome: input.outcome, from, to, goals: input.goals, answer: input.answer, decidedBy: by.personId, decidedOn: on } };
}

/**
 * The last day of a period of `months` from `day`: the day before the same date `months` later,
 * or the month's last day where that month is shorter (six months from 31 August end on 28 or 29
 * February, not in March).
 */
export function addMonths(day: string, months: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1));
  const lastOfTarget = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  const end = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth(), Math.min(d.getUTCDate(), lastOfTarget)));
  if (d.getUTCDate() <= lastOfTarget) end.setUTCDate(end.getUTCDate() - 1);
  return end.toISOString().slice(0, 10);
}
