// R4: evaluations that are due and not done are flagged to the team and the leader. A sweep
// publishes evaluation-overdue once per missed date; the list per institution is read from the
// plans themselves, so it is never out of step.
import type { Logger } from '@spor/service-kit';
import { danishDay } from '@spor/directory';
import { evaluationOverdue } from './domain/plan.js';
import type { PlanRepository } from './store/plan-repository.js';

export async function flagOverdueEvaluations(deps: { plans: PlanRepository; clock: () => Date; logger: Logger }): Promise<number> {
  const today = danishDay(deps.clock());
  let flagged = 0;
  for (const plan of await deps.plans.active()) {
    if (!evaluationOverdue(plan, today) || plan.overdueFlaggedFor === plan.nextEvaluationOn) continue;
    try {
      await deps.plans.save(plan, { ...plan, overdueFlaggedFor: plan.nextEvaluationOn! }, 'evaluation-overdue', { dueOn: plan.nextEvaluationOn }, today);
      flagged++;
    } catch (error) {
      // Someone evaluated or changed the plan meanwhile: the next sweep looks again.
      if ((error as { code?: string }).code !== 'VERSION_CONFLICT') throw error;
    }
  }
  if (flagged > 0) deps.logger.info({ flagged }, 'overdue evaluations flagged');
  return flagged;
}
