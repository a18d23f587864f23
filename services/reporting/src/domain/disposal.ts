// Records disposed of by retention (dk.spor.privacy.retention.disposed.v1): which records of a
// subject reporting keeps per record, how an event names its record, and what taking one record
// out of its child's subject leaves behind. Pure, no I/O.
//
// A disposed record leaves its child's subject: reporting keeps its facts only in a document
// keyed by the record (no child id), together with what it adds to the cells (its "residue":
// the subject's contributions with it minus without it). The cells do not change at disposal, so
// no figure changes; what the record added stays in the cells as anonymous counts.
import type { SporEvent } from '@spor/events';
import { contributionsOf, difference, type Contributions } from './contributions.js';
import type { AssessmentFact, CaseFact, PlanFact, Subject, TransitionFact } from './subject.js';

export const RETENTION_DISPOSED = 'dk.spor.privacy.retention.disposed.v1';

/** The subject maps that hold one record each, keyed by the record's id. */
export type RecordField = 'assessments' | 'plans' | 'cases' | 'transitions';
export type RecordFact = AssessmentFact | PlanFact | CaseFact | TransitionFact;

/**
 * Which record kinds of which service reporting keeps, and where. Other kinds are remembered but
 * hold nothing here (consent keeps nothing in reporting, nor action-plans' concern notifications;
 * transitions' `enrollment`, one child's placements together, leaves with the child's entry, by
 * default on the same day).
 */
export const RECORD_KINDS: { service: string; recordKind: string; field: RecordField }[] = [
  { service: 'assessments', recordKind: 'assessment', field: 'assessments' },
  { service: 'action-plans', recordKind: 'action-plan', field: 'plans' },
  { service: 'action-plans', recordKind: 'resource-case', field: 'cases' },
  { service: 'transitions', recordKind: 'transition', field: 'transitions' },
];
const FIELDS: Record<string, RecordField> = Object.fromEntries(RECORD_KINDS.map((k) => [`${k.service}:${k.recordKind}`, k.field]));

export interface RecordRef {
  /** `${municipalityId}|${service}|${recordKind}|${recordId}`: the disposal document's id. */
  key: string;
  field: RecordField | null;
  recordId: string;
}

export const disposalKey = (municipalityId: string, service: string, recordKind: string, recordId: string) => `${municipalityId}|${service}|${recordKind}|${recordId}`;

export function fieldOf(service: string, recordKind: string): RecordField | null {
  return FIELDS[`${service}:${recordKind}`] ?? null;
}

/** The record a figure event belongs to, when it is one of a kind the sources dispose of. */
export function recordOfEvent(event: SporEvent): RecordRef | null {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const d = event.data as any;
  if (event.type.startsWith('dk.spor.assessments.assessment.') && typeof d.assessmentId === 'string') {
    return { key: disposalKey(event.municipalityid, 'assessments', 'assessment', d.assessmentId), field: 'assessments', recordId: d.assessmentId };
  }
  if (event.type.startsWith('dk.spor.action-plans.plan.') && typeof d.planId === 'string') {
    return { key: disposalKey(event.municipalityid, 'action-plans', 'action-plan', d.planId), field: 'plans', recordId: d.planId };
  }
  if (event.type.startsWith('dk.spor.action-plans.resource-case.') && typeof d.caseId === 'string') {
    return { key: disposalKey(event.municipalityid, 'action-plans', 'resource-case', d.caseId), field: 'cases', recordId: d.caseId };
  }
  if (event.type.startsWith('dk.spor.transitions.handover.') && typeof d.transitionId === 'string') {
    return { key: disposalKey(event.municipalityid, 'transitions', 'transition', d.transitionId), field: 'transitions', recordId: d.transitionId };
  }
  return null;
}

/** The record named by a disposal event. */
export function recordOfDisposal(event: SporEvent): RecordRef & { service: string; recordKind: string; childId?: string } {
  const d = event.data as { service: string; recordKind: string; recordId: string; childId?: string };
  return { key: disposalKey(event.municipalityid, d.service, d.recordKind, d.recordId), field: fieldOf(d.service, d.recordKind), recordId: d.recordId, service: d.service, recordKind: d.recordKind, ...(d.childId ? { childId: d.childId } : {}) };
}

/**
 * identity's disposal of a child's entry (its retention ran out years after the child's last
 * placement): the end of the child in Spor. Its whole subject leaves reporting, not one record.
 */
export function isChildEntryDisposal(ref: { service: string; recordKind: string }): boolean {
  return ref.service === 'identity' && ref.recordKind === 'child-person';
}

/** The subject a disposed record was kept under, when the event does not name the child: a group's plan is its own subject. */
export function subjectOfDisposal(ref: { field: RecordField | null; recordId: string; childId?: string }): string | null {
  if (ref.childId) return ref.childId;
  return ref.field === 'plans' ? `plan:${ref.recordId}` : null;
}

export function factOf(s: Subject, field: RecordField, recordId: string): RecordFact | undefined {
  return (s[field] as Record<string, RecordFact>)[recordId];
}

/** A copy of the subject without the record. */
export function withoutRecord(s: Subject, field: RecordField, recordId: string): Subject {
  const copy = structuredClone(s);
  delete (copy[field] as Record<string, RecordFact>)[recordId];
  return copy;
}

/** A copy of the subject holding the record. */
export function withRecord(s: Subject, field: RecordField, recordId: string, fact: RecordFact | undefined): Subject {
  const copy = structuredClone(s);
  if (fact) (copy[field] as Record<string, RecordFact>)[recordId] = structuredClone(fact);
  return copy;
}

/** What a record adds to the cells on top of the rest of its subject (with it minus without it). */
export function residueOf(rest: Subject, full: Subject): Contributions {
  return difference(contributionsOf(rest), contributionsOf(full));
}

/** A subject with nothing left to count: its document (and with it the child's id) can go. */
export function isEmptySubject(s: Subject): boolean {
  return !s.birth && [s.placements, s.assessments, s.plans, s.cases, s.transitions].every((m) => Object.keys(m).length === 0);
}
