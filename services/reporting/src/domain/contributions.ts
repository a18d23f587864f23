// What one subject adds to the figures: a count per (institution, group, month, figure key).
// A pure function of the subject, so the live projection applies the difference between a
// subject's contributions before and after an event, and a rebuild sums them over all subjects:
// both land on the same cells.
import type { Level, Placement, Subject } from './subject.js';

/** `${institutionId}|${groupId or '-'}|${YYYY-MM}` */
export type CellId = string;
export type Contributions = Map<CellId, Map<string, number>>;

const DAYCARE = ['dagpleje', 'vuggestue', 'boernehave'];
const LEVELS: Level[] = ['preventive', 'anticipatory', 'intervening'];

/**
 * Coverage (who should have been assessed with an instrument and was). Rounds are not published as
 * events, so the scope follows the built-in instruments: children placed at an institution of a
 * type the instrument covers and of an age it fits in the month; done when a counted assessment
 * (never one professional's independent rating) was completed in the 12 months up to and including
 * the month. Language follows § 11's duty before school start: from 60 months every child should
 * have a language assessment from the age of 30 months or later, whenever it was made.
 */
export const COVERAGE = [
  { instrumentId: 'trivselsvurdering', types: [...DAYCARE, 'skole', 'sfo'], minAge: 0, maxAge: 84, window: 12 },
  { instrumentId: 'alsidig-udvikling', types: DAYCARE, minAge: 12, maxAge: 84, window: 12 },
  // From 36 months, as the screening in use (version 2) is written for: a child of 24 to 35 months counted as due could never be assessed.
  { instrumentId: 'motorik', types: [...DAYCARE, 'skole'], minAge: 36, maxAge: 84, window: 12 },
  // A child whose school start is deferred stays in daycare, and due, to up to 91 months (the
  // screening's version 2 takes them); at school the school's own assessment takes over.
  { instrumentId: 'sprogvurdering', types: [...DAYCARE, 'skole'], minAge: 60, maxAge: 84, maxAgeAt: Object.fromEntries(DAYCARE.map((t) => [t, 91])), window: null, assessedFromAge: 30 },
] as { instrumentId: string; types: readonly string[]; minAge: number; maxAge: number; maxAgeAt?: Record<string, number>; window: number | null; assessedFromAge?: number }[];

/** Open plans are counted as active for this many months after their newest event. */
export const OPEN_PLAN_MONTHS = 12;

export const monthOf = (day: string) => day.slice(0, 7);
export const monthIndex = (month: string) => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;
export const monthAt = (index: number) => `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
const endOfMonth = (month: string) => `${month}-31`;
const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
const dayBefore = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

export function contributionsOf(s: Subject): Contributions {
  const out: Contributions = new Map();
  const add = (institutionId: string, groupId: string | null, month: string, key: string, n = 1) => {
    for (const cell of groupId ? [`${institutionId}|-|${month}`, `${institutionId}|${groupId}|${month}`] : [`${institutionId}|-|${month}`]) {
      const keys = out.get(cell) ?? new Map<string, number>();
      keys.set(key, (keys.get(key) ?? 0) + n);
      out.set(cell, keys);
    }
  };
  const placements = Object.values(s.placements).filter((p) => p.institutionType !== '');
  const groupAt = (institutionId: string, day: string) => placements.find((p) => p.institutionId === institutionId && p.from <= day && (p.to === null || p.to >= day))?.groupId ?? null;

  wellbeing(s, add, groupAt);
  language(s, add, groupAt);
  coverage(s, placements, add);
  plans(s, add, groupAt);
  cases(s, add, groupAt);
  transitions(s, add, groupAt);
  return out;
}

type Add = (institutionId: string, groupId: string | null, month: string, key: string, n?: number) => void;
type GroupAt = (institutionId: string, day: string) => string | null;

/** The team's well-being rating per month (the newest one), and how it moved since the rating before. */
function wellbeing(s: Subject, add: Add, groupAt: GroupAt): void {
  const ratings = Object.values(s.assessments)
    .filter((a) => a.instrumentId === 'trivselsvurdering' && a.rating !== 'independent' && a.categories.trivsel)
    .sort((a, b) => (a.completedOn === b.completedOn ? a.v - b.v : a.completedOn < b.completedOn ? -1 : 1));
  const newestPerMonth = new Map<string, (typeof ratings)[number]>();
  for (const r of ratings) newestPerMonth.set(monthOf(r.completedOn), r);
  let previous: string | undefined;
  for (const [month, r] of [...newestPerMonth].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const light = r.categories.trivsel!;
    const group = groupAt(r.institutionId, r.completedOn);
    add(r.institutionId, group, month, `wellbeing:${light}`);
    if (previous) add(r.institutionId, group, month, `movement:${previous !== 'green' && light === 'green' ? 'improved' : previous === 'green' && light !== 'green' ? 'worsened' : 'unchanged'}`);
    previous = light;
  }
}

/** Language screening categories: the newest language assessment per month. */
function language(s: Subject, add: Add, groupAt: GroupAt): void {
  const newest = new Map<string, { on: string; v: number; institutionId: string; category: string }>();
  for (const a of Object.values(s.assessments)) {
    const category = a.categories.sprog;
    if (a.instrumentId !== 'sprogvurdering' || !category) continue;
    const month = monthOf(a.completedOn);
    const held = newest.get(month);
    if (!held || held.on < a.completedOn || (held.on === a.completedOn && held.v < a.v)) newest.set(month, { on: a.completedOn, v: a.v, institutionId: a.institutionId, category });
  }
  for (const [month, a] of newest) add(a.institutionId, groupAt(a.institutionId, a.on), month, `language:${a.category}`);
}

/**
 * Coverage counts each child once a month per instrument, at one placement: the district's and
 * the municipality's figures are sums of their institutions', so a child counted at two (a pupil
 * in school and SFO, a move in the middle of the month) would be two children there. The one is
 * the placement the child holds at the month's end (the newest, for a move), and the school over
 * its SFO, whose pupils the school assesses.
 */
function coverage(s: Subject, placements: Placement[], add: Add): void {
  if (!s.birth) return;
  const born = s.birth.year * 12 + s.birth.month - 1;
  for (const instrument of COVERAGE) {
    const done = Object.values(s.assessments)
      .filter((a) => a.instrumentId === instrument.instrumentId && a.rating !== 'independent')
      .map((a) => monthIndex(monthOf(a.completedOn)));
    const atMonth = new Map<number, Placement>();
    for (const p of placements) {
      if (!(instrument.types as readonly string[]).includes(p.institutionType)) continue;
      const first = Math.max(monthIndex(monthOf(p.from)), born + instrument.minAge);
      const last = Math.min(p.to ? monthIndex(monthOf(p.to)) : Infinity, born + (instrument.maxAgeAt?.[p.institutionType] ?? instrument.maxAge));
      for (let m = first; m <= last; m++) {
        const held = atMonth.get(m);
        if (!held || countsBefore(p, held)) atMonth.set(m, p);
      }
    }
    const { window, assessedFromAge = 0 } = instrument;
    for (const [m, p] of atMonth) {
      const assessed = window === null ? done.some((d) => d <= m && d - born >= assessedFromAge) : done.some((d) => d <= m && d > m - window);
      add(p.institutionId, p.groupId, monthAt(m), `coverage:${instrument.instrumentId}:${s.birth.year}:${assessed ? 'assessed' : 'notAssessed'}`);
    }
  }
}

/** Whether a child's month is counted at `a` rather than at `b`: the school over its SFO, then the later end, then the later start. */
function countsBefore(a: Placement, b: Placement): boolean {
  if ((a.institutionType === 'sfo') !== (b.institutionType === 'sfo')) return b.institutionType === 'sfo';
  const end = (p: Placement) => p.to ?? '9999-12-31';
  return end(a) !== end(b) ? end(a) > end(b) : a.from > b.from;
}

const rank = (levels: Level[]) => Math.max(-1, ...levels.map((l) => LEVELS.indexOf(l)));

/** Active plans at the end of each month by their highest effort level; escalations, de-escalations, overdue evaluations. */
function plans(s: Subject, add: Add, groupAt: GroupAt): void {
  for (const plan of Object.values(s.plans)) {
    const group = (day: string) => plan.groupId ?? groupAt(plan.institutionId, day);
    for (const on of Object.values(plan.overdue)) add(plan.institutionId, group(on), monthOf(on), 'overdue:overdue');
    if (plan.steps.length === 0) continue;
    const steps = plan.steps;
    for (let i = 1; i < steps.length; i++) {
      const [before, after] = [steps[i - 1]!, steps[i]!];
      if (before.status !== 'active') continue;
      const change = rank(after.levels) - rank(before.levels);
      if (change !== 0) add(plan.institutionId, group(after.on), monthOf(after.on), `escalations:${change > 0 ? 'escalated' : 'deescalated'}`);
    }
    const first = Math.min(...steps.map((st) => monthIndex(monthOf(st.on))));
    const newest = Math.max(...steps.map((st) => monthIndex(monthOf(st.on))));
    for (let m = first; m <= newest + OPEN_PLAN_MONTHS; m++) {
      const end = endOfMonth(monthAt(m));
      const state = steps.filter((st) => st.on <= end).at(-1);
      if (!state || state.status !== 'active') {
        if (state?.status === 'closed' && m > newest) break;
        continue;
      }
      const level = LEVELS[rank(state.levels)];
      if (level) add(plan.institutionId, group(end), monthAt(m), `plans:${level}`);
    }
  }
}

/** Resource cases by decision in the month decided, with the days from submission to decision. */
function cases(s: Subject, add: Add, groupAt: GroupAt): void {
  for (const c of Object.values(s.cases)) {
    if (!c.decided) continue;
    const month = monthOf(c.decided.on);
    const group = groupAt(c.institutionId, c.decided.on);
    add(c.institutionId, group, month, `cases:${c.decided.outcome}`);
    if (c.submitted) {
      add(c.institutionId, group, month, 'leadTime:cases');
      add(c.institutionId, group, month, 'leadTime:days', daysBetween(c.submitted.on, c.decided.on));
    }
  }
}

/** Transitions by the month the child starts at the receiving institution, counted at the sending one. */
function transitions(s: Subject, add: Add, groupAt: GroupAt): void {
  for (const t of Object.values(s.transitions)) {
    // A transition called off is no move: it counts nowhere.
    if (t.seen.cancelled) continue;
    const month = monthOf(t.date);
    // The group the child leaves: on the day before the move, since the move ends that placement then.
    const group = groupAt(t.fromInstitutionId, dayBefore(t.date));
    const newest = Math.max(...Object.values(t.seen));
    const revoked = t.seen.revoked === newest;
    add(t.fromInstitutionId, group, month, 'transitions:planned');
    if (t.seen.released && !revoked) add(t.fromInstitutionId, group, month, `handovers:${t.legalBasis === 'consent' ? 'withConsent' : 'onGuidelines'}`);
    if (t.seen.acknowledged && !revoked) add(t.fromInstitutionId, group, month, 'transitions:acknowledged');
  }
}

/** after − before, per cell and key, leaving out what did not change. */
export function difference(before: Contributions, after: Contributions): Contributions {
  const out: Contributions = new Map();
  for (const cell of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(cell);
    const a = after.get(cell);
    const keys = new Map<string, number>();
    for (const key of new Set([...(b?.keys() ?? []), ...(a?.keys() ?? [])])) {
      const n = (a?.get(key) ?? 0) - (b?.get(key) ?? 0);
      if (n !== 0) keys.set(key, n);
    }
    if (keys.size > 0) out.set(cell, keys);
  }
  return out;
}

/** Adds `more` into `into` (a rebuild summing every subject). */
export function addInto(into: Contributions, more: Contributions): void {
  for (const [cell, keys] of more) {
    const target = into.get(cell) ?? new Map<string, number>();
    for (const [key, n] of keys) target.set(key, (target.get(key) ?? 0) + n);
    into.set(cell, target);
  }
}
