// Who is due for what. Rounds: the municipality runs an instrument in windows (TOPI-style
// well-being ratings twice a year); a child placed in the institution during the window, of an
// age the instrument fits, is due, and done once it has a completed (joint, for multi-rater
// instruments) assessment from within the window. Language duties (daycare act § 11): children
// around three in daycare where staff presume a need, every child around three not in daycare,
// and every child not yet assessed before school start.

export interface Round {
  instrumentId: string;
  from: string;
  to: string;
  institutionTypes: string[];
}

export type RoundStatus = 'done' | 'not-done';

/** Whether a due child is done in the round: an assessment counted for it was completed inside the window. */
export function roundStatus(round: Round, completedOn: string[]): RoundStatus {
  return completedOn.some((day) => day >= round.from && day <= round.to) ? 'done' : 'not-done';
}

/** Around three: from 34 to 40 months; overdue after. */
export const THREE_YEAR_WINDOW = { from: 34, to: 40 } as const;
/** Before school start: from 60 months if never assessed; overdue from 72 (school starts in the August after six). */
export const PRE_SCHOOL_WINDOW = { from: 60, overdueFrom: 72 } as const;

export interface LanguageDuty {
  duty: 'three-year' | 'pre-school';
  status: 'due' | 'overdue';
}

/**
 * The language duty a child has now, if any. `assessedAt` holds the ages in months at which the
 * child completed a language assessment.
 */
export function languageDuty(child: { ageMonths: number; inDaycare: boolean; presumedNeed: boolean }, assessedAt: number[]): LanguageDuty | null {
  const { ageMonths } = child;
  const assessedAroundThree = assessedAt.some((age) => age >= 30 && age <= 47);
  const threeYearApplies = !child.inDaycare || child.presumedNeed;
  if (threeYearApplies && ageMonths >= THREE_YEAR_WINDOW.from && ageMonths < 48 && !assessedAroundThree) {
    return { duty: 'three-year', status: ageMonths > THREE_YEAR_WINDOW.to ? 'overdue' : 'due' };
  }
  if (ageMonths >= PRE_SCHOOL_WINDOW.from && ageMonths <= 84 && assessedAt.length === 0) {
    return { duty: 'pre-school', status: ageMonths >= PRE_SCHOOL_WINDOW.overdueFrom ? 'overdue' : 'due' };
  }
  return null;
}
