// A child's placement history: which institution (and group) from which day to which day.
// Pure rules; the store persists what these return. Dates are calendar days (YYYY-MM-DD), both
// ends inclusive. A child is in at most one daycare, one school and one SFO on any day: the SFO
// runs beside the school, not beside another SFO.
import { AppError, conflict } from '@spor/service-kit';

export const INSTITUTION_TYPES = ['dagpleje', 'vuggestue', 'boernehave', 'skole', 'sfo'] as const;
export type InstitutionType = (typeof INSTITUTION_TYPES)[number];
export type Category = 'daycare' | 'school' | 'sfo';

export function categoryOf(type: InstitutionType): Category {
  return type === 'skole' ? 'school' : type === 'sfo' ? 'sfo' : 'daycare';
}

export interface Placement {
  placementId: string;
  institutionId: string;
  institutionType: InstitutionType;
  groupId: string | null;
  from: string;
  to: string | null;
}

export interface ChildEnrollment {
  municipalityId: string;
  placements: Placement[];
}

const END_OF_TIME = '9999-12-31';
const overlaps = (a: Placement, b: Placement) => a.from <= (b.to ?? END_OF_TIME) && b.from <= (a.to ?? END_OF_TIME);

export function dayBefore(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

function refuseOverlap(placements: Placement[], next: Placement): void {
  const clash = placements.find((p) => p.placementId !== next.placementId && categoryOf(p.institutionType) === categoryOf(next.institutionType) && overlaps(p, next));
  if (clash) {
    throw conflict(
      'ENROLLMENT_OVERLAP',
      `the child is placed in ${categoryOf(clash.institutionType)} institution ${clash.institutionId} from ${clash.from}${clash.to ? ` to ${clash.to}` : ''} (placement ${clash.placementId}); end or move that placement first`,
    );
  }
}

function invalid(field: string, message: string): AppError {
  return new AppError({ status: 422, code: 'ENROLLMENT_INVALID', title: 'The placement is not valid', detail: `${field}: ${message}`, errors: [{ in: 'body', field, message }] });
}

/** Answers the placement already made with the same institution, group and first day (a repeated request), if any. */
export function samePlacement(state: ChildEnrollment | null, next: Omit<Placement, 'placementId'>): Placement | undefined {
  return state?.placements.find((p) => p.institutionId === next.institutionId && p.groupId === next.groupId && p.from === next.from);
}

export function enrol(state: ChildEnrollment | null, municipalityId: string, next: Placement): ChildEnrollment {
  if (next.to !== null && next.to < next.from) throw invalid('to', `the last day ${next.to} is before the first day ${next.from}`);
  const placements = state?.placements ?? [];
  refuseOverlap(placements, next);
  return { municipalityId, placements: [...placements, next].sort((a, b) => a.from.localeCompare(b.from)) };
}

/**
 * Ends `placementId` the day before `next` begins and starts `next` (another group, or another
 * institution of the same kind). A planned transition also moves across kinds (from daycare to
 * school), with `acrossKinds`.
 */
export function move(state: ChildEnrollment, placementId: string, next: Placement, options: { acrossKinds?: boolean } = {}): { state: ChildEnrollment; previous: Placement } {
  const current = state.placements.find((p) => p.placementId === placementId);
  if (!current) throw invalid('placementId', `the child has no placement ${placementId}`);
  if (next.from <= current.from) throw invalid('on', `the move must come after the placement began (${current.from})`);
  if (current.to !== null && current.to < dayBefore(next.from)) throw invalid('on', `the placement ended on ${current.to}`);
  if (!options.acrossKinds && categoryOf(current.institutionType) !== categoryOf(next.institutionType)) throw invalid('institutionId', `a ${categoryOf(current.institutionType)} placement moves to another ${categoryOf(current.institutionType)} institution; enrol for a new kind`);
  const previous = { ...current, to: dayBefore(next.from) };
  const placements = state.placements.map((p) => (p.placementId === placementId ? previous : p));
  refuseOverlap(placements, next);
  return { state: { ...state, placements: [...placements, next].sort((a, b) => a.from.localeCompare(b.from)) }, previous };
}

/** Sets a placement's last day; ending an ended placement later than it ended is refused. */
export function end(state: ChildEnrollment, placementId: string, to: string): { state: ChildEnrollment; ended: Placement } | null {
  const current = state.placements.find((p) => p.placementId === placementId);
  if (!current) throw invalid('placementId', `the child has no placement ${placementId}`);
  if (to < current.from) throw invalid('to', `the last day ${to} is before the placement began (${current.from})`);
  if (current.to === to) return null;
  if (current.to !== null && current.to < to) throw invalid('to', `the placement ended on ${current.to} already`);
  const ended = { ...current, to };
  return { state: { ...state, placements: state.placements.map((p) => (p.placementId === placementId ? ended : p)) }, ended };
}

export function placementsOn(state: ChildEnrollment | null, day: string): Placement[] {
  return (state?.placements ?? []).filter((p) => p.from <= day && (p.to === null || p.to >= day));
}

/**
 * When a child's placement history starts its retention clock: the day after its last placement
 * ended, as identity counts the child's entry. In use while a placement is open (or none is known).
 */
export function enrollmentClockStart(e: Pick<ChildEnrollment, 'placements'>): Date | null {
  if (e.placements.length === 0 || e.placements.some((p) => p.to === null)) return null;
  const lastDay = e.placements.map((p) => p.to!).sort().at(-1)!;
  return new Date(Date.parse(`${lastDay}T00:00:00Z`) + 86_400_000);
}
