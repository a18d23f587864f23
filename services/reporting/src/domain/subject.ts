// What reporting keeps about one subject (a child, or a group-level plan or resource case),
// folded from the other services' events. Pseudonymous ids, dates, codes and categories only:
// no CPR, no names, no free text. Every entity keeps the aggregate version of each kind of event
// it got, so a duplicate changes nothing and a late (older) event never overwrites a newer one,
// while the history that figures need per month (a plan's levels over time) keeps every version.
import type { SporEvent } from '@spor/events';

export type Level = 'preventive' | 'anticipatory' | 'intervening';

export interface Placement {
  v: number;
  institutionId: string;
  institutionType: string;
  groupId: string | null;
  from: string;
  to: string | null;
}

export interface AssessmentFact {
  v: number;
  instrumentId: string;
  institutionId: string;
  rating: string;
  completedOn: string;
  categories: Record<string, string | null>;
}

export interface PlanStep {
  v: number;
  on: string;
  status: 'active' | 'closed';
  levels: Level[];
}

export interface PlanFact {
  institutionId: string;
  groupId: string | null;
  steps: PlanStep[];
  /** `dueOn` of each evaluation flagged overdue, with the day it was flagged. */
  overdue: Record<string, string>;
}

export interface CaseFact {
  institutionId: string;
  kind: string;
  submitted?: { v: number; on: string };
  decided?: { v: number; on: string; outcome: string };
}

export interface TransitionFact {
  fromInstitutionId: string;
  date: string;
  /** The version of the newest event of each kind. */
  seen: Partial<Record<'planned' | 'released' | 'acknowledged' | 'revoked' | 'cancelled', number>>;
  legalBasis?: 'consent' | 'guidelines';
}

export interface Subject {
  _id: string;
  municipalityId: string;
  birth?: { year: number; month: number };
  placements: Record<string, Placement>;
  assessments: Record<string, AssessmentFact>;
  plans: Record<string, PlanFact>;
  cases: Record<string, CaseFact>;
  transitions: Record<string, TransitionFact>;
}

export const emptySubject = (id: string, municipalityId: string): Subject => ({ _id: id, municipalityId, placements: {}, assessments: {}, plans: {}, cases: {}, transitions: {} });

/** The subject an event belongs to: the child when there is one, else the plan or case itself. */
export function subjectOf(event: SporEvent): string | null {
  const d = event.data as Record<string, unknown>;
  if (event.type === 'dk.spor.identity.person.registered.v1') return d.kind === 'child' ? (d.personId as string) : null;
  if (typeof d.childId === 'string') return d.childId;
  if (typeof d.planId === 'string') return `plan:${d.planId}`;
  if (typeof d.caseId === 'string') return `case:${d.caseId}`;
  return null;
}

export const HANDLED_TYPES = [
  'dk.spor.identity.person.registered.v1',
  'dk.spor.transitions.enrollment.enrolled.v1',
  'dk.spor.transitions.enrollment.moved.v1',
  'dk.spor.transitions.enrollment.ended.v1',
  'dk.spor.assessments.assessment.completed.v1',
  'dk.spor.assessments.assessment.amended.v1',
  'dk.spor.action-plans.plan.activated.v1',
  'dk.spor.action-plans.plan.effort-added.v1',
  'dk.spor.action-plans.plan.evaluated.v1',
  'dk.spor.action-plans.plan.closed.v1',
  'dk.spor.action-plans.plan.evaluation-overdue.v1',
  'dk.spor.action-plans.resource-case.submitted.v1',
  'dk.spor.action-plans.resource-case.decided.v1',
  'dk.spor.transitions.handover.planned.v1',
  'dk.spor.transitions.handover.released.v1',
  'dk.spor.transitions.handover.acknowledged.v1',
  'dk.spor.transitions.handover.revoked.v1',
  'dk.spor.transitions.handover.cancelled.v1',
] as const;

/**
 * Applies one event to the subject in place. Returns false when it changed nothing (a duplicate,
 * an older version than the one held, or an event reporting does not count).
 */
export function applyEvent(s: Subject, event: SporEvent): boolean {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const d = event.data as any;
  const v = event.aggregateversion;
  const verb = event.type.split('.').slice(-2, -1)[0]!;
  switch (event.type) {
    case 'dk.spor.identity.person.registered.v1':
      if (s.birth?.year === d.birthYear && s.birth?.month === d.birthMonth) return false;
      s.birth = { year: d.birthYear, month: d.birthMonth };
      return true;
    case 'dk.spor.transitions.enrollment.enrolled.v1':
    case 'dk.spor.transitions.enrollment.moved.v1': {
      let changed = false;
      if (d.previous) changed = closePlacement(s, d.previous.placementId, d.previous.to, v) || changed;
      const held = s.placements[d.placementId];
      if (held && held.v >= v) return changed;
      s.placements[d.placementId] = { v, institutionId: d.institutionId, institutionType: d.institutionType, groupId: d.groupId ?? null, from: d.from, to: held && held.to && !d.to ? held.to : (d.to ?? null) };
      return true;
    }
    case 'dk.spor.transitions.enrollment.ended.v1':
      return closePlacement(s, d.placementId, d.to, v, d.institutionId);
    case 'dk.spor.assessments.assessment.completed.v1':
    case 'dk.spor.assessments.assessment.amended.v1': {
      // One professional's independent rating never counts anywhere: not kept.
      if (d.target !== 'child' || d.rating === 'independent') return false;
      const held = s.assessments[d.assessmentId];
      if (held && held.v >= v) return false;
      s.assessments[d.assessmentId] = { v, instrumentId: d.instrumentId, institutionId: d.institutionId, rating: d.rating, completedOn: d.completedOn, categories: Object.fromEntries((d.results as { section: string; category: string | null }[]).map((r) => [r.section, r.category])) };
      return true;
    }
    case 'dk.spor.action-plans.plan.activated.v1':
    case 'dk.spor.action-plans.plan.effort-added.v1':
    case 'dk.spor.action-plans.plan.evaluated.v1':
    case 'dk.spor.action-plans.plan.closed.v1': {
      const plan = (s.plans[d.planId] ??= { institutionId: d.institutionId, groupId: d.groupId ?? null, steps: [], overdue: {} });
      if (plan.steps.some((step) => step.v === v)) return false;
      const previous = [...plan.steps].filter((step) => step.v < v).sort((a, b) => b.v - a.v)[0];
      const status = verb === 'closed' ? 'closed' : verb === 'activated' ? 'active' : (previous?.status ?? 'active');
      plan.steps.push({ v, on: d.on, status, levels: d.effortLevels });
      plan.steps.sort((a, b) => a.v - b.v);
      plan.institutionId = d.institutionId;
      return true;
    }
    case 'dk.spor.action-plans.plan.evaluation-overdue.v1': {
      const plan = (s.plans[d.planId] ??= { institutionId: d.institutionId, groupId: d.groupId ?? null, steps: [], overdue: {} });
      if (plan.overdue[d.dueOn]) return false;
      plan.overdue[d.dueOn] = d.on;
      return true;
    }
    case 'dk.spor.action-plans.resource-case.submitted.v1':
    case 'dk.spor.action-plans.resource-case.decided.v1': {
      const c = (s.cases[d.caseId] ??= { institutionId: d.institutionId, kind: d.kind });
      if (verb === 'submitted') {
        if (c.submitted && c.submitted.v >= v) return false;
        c.submitted = { v, on: d.submittedOn };
      } else {
        if (c.decided && c.decided.v >= v) return false;
        c.decided = { v, on: d.decidedOn, outcome: d.outcome };
      }
      return true;
    }
    case 'dk.spor.transitions.handover.planned.v1':
    case 'dk.spor.transitions.handover.released.v1':
    case 'dk.spor.transitions.handover.acknowledged.v1':
    case 'dk.spor.transitions.handover.revoked.v1':
    case 'dk.spor.transitions.handover.cancelled.v1': {
      const t = (s.transitions[d.transitionId] ??= { fromInstitutionId: d.fromInstitutionId, date: d.date, seen: {} });
      const kind = verb as keyof TransitionFact['seen'];
      if ((t.seen[kind] ?? 0) >= v) return false;
      t.seen[kind] = v;
      if (v >= Math.max(0, ...Object.values(t.seen))) t.date = d.date;
      if (kind === 'released') t.legalBasis = d.legalBasis;
      return true;
    }
    default:
      return false;
  }
}

function closePlacement(s: Subject, placementId: string, to: string, v: number, institutionId?: string): boolean {
  const held = s.placements[placementId];
  if (!held) {
    // The end arrived before the start (a late event): keep the end, the start fills the rest.
    if (!institutionId) return false;
    s.placements[placementId] = { v: 0, institutionId, institutionType: '', groupId: null, from: to, to };
    return true;
  }
  if (held.to === to) return false;
  held.to = to;
  held.v = Math.max(held.v, v);
  return true;
}
