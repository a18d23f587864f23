// When a transition's date comes (or staff confirm it earlier), the child's enrollment moves:
// the sending placement ends the day before and the receiving one begins, so the sending
// institution's access to the child ends on the date. Two aggregates change without a
// transaction, so the order makes it safe: the enrollment first (a repeat finds the placement
// already made), then the transition is marked completed.
import { randomUUID } from 'node:crypto';
import { AppError, notFound, type Logger } from '@spor/service-kit';
import type { Stored } from '@spor/events';
import { servicePrincipal, type AuditLog } from '@spor/audit';
import { recordPlacement } from './placement-audit.js';
import type { Principal } from '@spor/auth';
import type { KeyedMutex } from '@spor/mongo';
import { danishDay } from '@spor/directory';
import { categoryOf, enrol, move, samePlacement, type Placement } from './domain/enrollment.js';
import type { Transition } from './domain/transition.js';
import type { EnrollmentRepository } from './store/enrollment-repository.js';
import type { TransitionRepository } from './store/transition-repository.js';

export interface CompletionDeps {
  transitions: TransitionRepository;
  enrollments: EnrollmentRepository;
  audit: AuditLog;
  /** Completing and cancelling one transition take turns (transitionFlowKey). */
  locks: KeyedMutex;
  clock: () => Date;
  logger: Logger;
}

/**
 * Moves the child's enrollment for a transition whose date has come. `by` is staff who confirm it
 * early, or (the sweep) the service itself: the placements it writes are on the child's record
 * either way, before they are written, as every placement write is.
 */
export function completeTransition(deps: CompletionDeps, id: string, by?: Principal): Promise<Stored<Transition>> {
  // A cancellation sent meanwhile must not find a child half moved, nor a move find it cancelled
  // after the placements are written: the two take turns on the transition, and each reads it
  // again once it has its turn. (Across replicas the version check on the transition's save is
  // all there is, as for every aggregate on FerretDB 1.x: decision 0003.)
  return deps.locks.run(transitionFlowKey(id), () => completeInTurn(deps, id, by));
}

/** The lock a completion and a cancellation of one transition share. */
export const transitionFlowKey = (id: string) => `transition-flow:${id}`;

async function completeInTurn(deps: CompletionDeps, id: string, by?: Principal): Promise<Stored<Transition>> {
  const t = await deps.transitions.get(id);
  if (!t) throw notFound(`transition ${id}`);
  if (t.status !== 'planned') return t;
  const actor = by ?? servicePrincipal('transitions', t.municipalityId);
  const logged = (action: 'create' | 'update', p: Pick<Placement, 'placementId' | 'institutionId'>) =>
    recordPlacement(deps.audit, actor, action, t.childId, p, 'transition-completed');
  const enrollment = await deps.enrollments.get(t.childId);
  const placement: Placement = { placementId: randomUUID(), institutionId: t.toInstitutionId, institutionType: t.toInstitutionType, groupId: t.toGroupId, from: t.date, to: null };
  if (!enrollment) throw notFound(`placements of child ${t.childId}`);
  if (!samePlacement(enrollment, placement)) {
    // Into SFO from school the school placement stays; from another SFO that one ends (a child
    // has one SFO placement at a time: enrolling beside it would overlap, refused at every sweep).
    const leaving = enrollment.placements.find((p) => p.placementId === t.fromPlacementId);
    if (t.kind === 'into-sfo' && !(leaving && categoryOf(leaving.institutionType) === 'sfo')) {
      await logged('create', placement);
      await deps.enrollments.enrolled(t.childId, enrollment, enrol(enrollment, enrollment.municipalityId, placement), placement);
    } else {
      // The sending placement ends the day before, also from daycare into school.
      const { state, previous } = move(enrollment, t.fromPlacementId, placement, { acrossKinds: true });
      await logged('update', previous);
      await logged('create', placement);
      await deps.enrollments.moved(enrollment, state, placement, previous);
    }
  }
  const { completionProblem: _solved, ...rest } = t;
  return deps.transitions.save(t, { ...rest, status: 'completed' });
}

/** Completes every planned transition whose date has come; a refusal is recorded on the transition for staff, not retried blindly. */
export async function completeDue(deps: CompletionDeps): Promise<number> {
  let completed = 0;
  for (const id of await deps.transitions.due(danishDay(deps.clock()))) {
    try {
      await completeTransition(deps, id);
      completed++;
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      const t = await deps.transitions.get(id);
      if (t && t.status === 'planned' && t.completionProblem !== error.detail) await deps.transitions.save(t, { ...t, completionProblem: error.detail ?? error.code });
      deps.logger.warn({ transitionId: id, code: error.code }, 'a transition could not move the enrollment');
    }
  }
  return completed;
}
