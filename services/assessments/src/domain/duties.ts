// Who is due for what. Rounds: the municipality runs an instrument in windows (TOPI-style
// well-being ratings twice a year); a child placed in the institution during the window, of an
// age the instrument fits, is due, and done once it has a completed (joint, for multi-rater
// instruments) assessment from within the window. Language duties (daycare act § 11): children
// around three in daycare where staff presume a need, every child around three not in daycare,
// and every child not yet assessed before school start.
import { ageInMonths } from './instrument.js';

export interface Round {
  instrumentId: string;
  from: string;
  to: string;
  institutionTypes: string[];
}

export type RoundStatus = 'done' | 'not-done';

/** Where a child is counted in a round: at most one institution, so a move does not put it on two lists. */
export interface PlacementSpan {
  institutionId: string;
  institutionType?: string;
  from: string;
  /** Last day, inclusive; null while open. */
  to: string | null;
}

/**
 * The institution a child is counted at in a round: where it is placed on the round's last day,
 * or today while the round is open (a move planned for later does not count yet). A child that
 * left every institution before then is counted where it was last placed within the window.
 * `institutionType`: the listing institution's kind, when placements of other kinds run beside it.
 */
export function roundInstitution(placements: PlacementSpan[], round: Pick<Round, 'from' | 'to'>, today: string, institutionType?: string | null): string | null {
  const reference = today < round.to ? today : round.to;
  // Among placements of the listing institution's kind: a child in school and SFO is on both lists.
  const sameKind = (p: PlacementSpan) => !institutionType || p.institutionType === undefined || p.institutionType === institutionType;
  const candidates = placements.filter((p) => sameKind(p) && p.from <= reference && (p.to === null || p.to >= round.from));
  candidates.sort((a, b) => (a.from === b.from ? 0 : a.from < b.from ? 1 : -1));
  return candidates[0]?.institutionId ?? null;
}

/**
 * Whether a rating made at `ratedAt` counts on the list of an institution of `institutionType`:
 * made at an institution of the same kind, as the lists are drawn (roundInstitution). A child in
 * a school and the SFO beside it has a team, and a round, at each; a child that moved from one
 * børnehave to another during the window was rated by the first. A place the child's history no
 * longer holds counts, as it did before the kind was asked.
 */
export function countsOnList(placements: PlacementSpan[], ratedAt: string, institutionType?: string | null): boolean {
  const kinds = placements.filter((p) => p.institutionId === ratedAt).map((p) => p.institutionType);
  return !institutionType || kinds.length === 0 || kinds.some((k) => k === undefined || k === institutionType);
}

/** Two rounds of one instrument that share a window and an institution type would count one rating twice. */
export function roundsOverlap(a: Round, b: Round): boolean {
  return a.instrumentId === b.instrumentId && a.from <= b.to && b.from <= a.to && a.institutionTypes.some((t) => b.institutionTypes.includes(t));
}

/** Whether a due child is done in the round: an assessment counted for it was completed inside the window. */
export function roundStatus(round: Round, completedOn: string[]): RoundStatus {
  return completedOn.some((day) => day >= round.from && day <= round.to) ? 'done' : 'not-done';
}

/** Around three: from 34 to 40 months; overdue after, until the duty before school start takes over. */
export const THREE_YEAR_WINDOW = { from: 34, to: 40 } as const;

/**
 * Compulsory schooling begins on 1 August of the calendar year a child turns six (folkeskoleloven
 * § 34), so school start follows from the birth year alone. The daycare act's duty "before school
 * start" opens a year before it and is overdue in its last three months; from school start the
 * school's own language assessment takes over, and the child leaves these lists.
 */
export function schoolStart(birthYear: number): string {
  return `${birthYear + 6}-08-01`;
}

/**
 * The school start that applies on `day`: a child still in daycare after its year's school start
 * has had it deferred by a year (daycare act § 29a), and its duty runs on to the deferred start.
 */
function schoolStartFor(child: DutyChild, day: string): string {
  const regular = schoolStart(child.birthYear);
  return child.inDaycare && day >= regular ? schoolStart(child.birthYear + 1) : regular;
}
const yearOf = (day: string) => Number(day.slice(0, 4));

/**
 * The youngest age in months at which a language assessment meets the duty around three. One made
 * later (an overdue child assessed at last, at 50 months) meets it too: the duty is to assess the
 * child, and one assessed late is no longer due.
 */
const THREE_YEAR_ASSESSMENT_FROM = 30;

export interface LanguageDuty {
  duty: 'three-year' | 'pre-school';
  status: 'due' | 'overdue';
  /** The day school starts: the duty must be met before it. */
  schoolStart: string;
}

export interface DutyChild {
  birthYear: number;
  birthMonth: number;
  inDaycare: boolean;
  presumedNeed: boolean;
}

/**
 * The language duty a child has on `day`, if any. `assessedAt` holds the ages in months at which
 * the child completed a language assessment.
 */
export function languageDuty(child: DutyChild, day: string, assessedAt: number[]): LanguageDuty | null {
  const start = schoolStartFor(child, day);
  if (day >= start) return null;
  const ageMonths = ageInMonths(child.birthYear, child.birthMonth, day);
  const inPreSchoolWindow = day >= `${yearOf(start) - 1}-08-01`;
  if (inPreSchoolWindow) {
    if (assessedAt.length > 0) return null;
    return { duty: 'pre-school', status: day >= `${yearOf(start)}-05-01` ? 'overdue' : 'due', schoolStart: start };
  }
  const assessedAroundThree = assessedAt.some((age) => age >= THREE_YEAR_ASSESSMENT_FROM);
  const threeYearApplies = !child.inDaycare || child.presumedNeed;
  // A child never assessed around three stays overdue until the duty before school start takes over.
  if (threeYearApplies && ageMonths >= THREE_YEAR_WINDOW.from && !assessedAroundThree) {
    return { duty: 'three-year', status: ageMonths > THREE_YEAR_WINDOW.to ? 'overdue' : 'due', schoolStart: start };
  }
  return null;
}
