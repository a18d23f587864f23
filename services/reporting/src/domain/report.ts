// Turns raw cell counts into protected figures (R16), in two steps.
//
// 1. A month's decision (`decideMonth`): which cells of the month are hidden is decided ONCE per
//    municipality and month, over its whole organisation tree (every group, institution, district
//    and the municipality, closed units too) with every sum a reader can see (row totals, a unit
//    as the sum of the units under it), by small-cell protection over all of them at once. Every
//    report of any unit for that month reads that one decision. A decision made per request would
//    hide cells to protect the sums of that report only, and the next request (a group on its
//    own, an institution without its district) would show what the first one hid: the reader
//    subtracts one report from the other.
// 2. A report (`buildReport`) reads the decisions of its months for its units. A period cell (the
//    sum of its months) is shown only when every one of its month cells is shown. So every figure
//    ever published is either a shown month cell or a sum of shown month cells, and no
//    combination of reports (overlapping periods, other units, single months) tells a reader more
//    than the shown month cells do. It also keeps every sum of a period safe: a row total, a
//    district as its institutions, with exactly one hidden member would need that same sum, in
//    one of the months, to have exactly one hidden member, which no decision leaves.
import { MIN_CELL, suppress, type Equation } from './suppression.js';

export interface FigureDef {
  keys: string[];
  /** The keys split a whole: the row has a total. */
  partition: boolean;
  /** A count of things that happened in the month, so months add up to a period. */
  flow: boolean;
}

export const FIGURES: Record<string, FigureDef> = {
  wellbeing: { keys: ['green', 'yellow', 'red'], partition: true, flow: true },
  movement: { keys: ['improved', 'worsened', 'unchanged'], partition: true, flow: true },
  language: { keys: ['general', 'focused', 'special'], partition: true, flow: true },
  plans: { keys: ['preventive', 'anticipatory', 'intervening'], partition: true, flow: false },
  escalations: { keys: ['escalated', 'deescalated'], partition: false, flow: true },
  overdue: { keys: ['overdue'], partition: false, flow: true },
  cases: { keys: ['praksisvejleder', 'free-funds', 'ressourcegruppe', 'mellemform', 'granted', 'refused'], partition: true, flow: true },
  transitions: { keys: ['planned', 'acknowledged'], partition: false, flow: true },
  handovers: { keys: ['withConsent', 'onGuidelines'], partition: true, flow: true },
};
export const COVERAGE_KEYS = ['assessed', 'notAssessed'];
export const FIGURE_NAMES = [...Object.keys(FIGURES), 'coverage'] as const;

export interface ReportUnit {
  unitId: string;
  kind: string;
  /** The unit above it in this report, null for the unit asked about. */
  parentId: string | null;
}

export interface ProtectedFigure {
  cells: Record<string, number | null>;
  total?: number | null;
  suppressed: string[];
}

export interface Figures {
  [figure: string]: ProtectedFigure | Record<string, ProtectedFigure> | number | null;
}

export interface ReportColumn {
  /** YYYY-MM, or `period` for the sum of the months (figures that add up over months only). */
  month: string;
  units: Record<string, Figures>;
}

/** coverage rows are named `<instrument>:<birth year>`. */
const figureDef = (figure: string): FigureDef => FIGURES[figure] ?? { keys: COVERAGE_KEYS, partition: true, flow: false };
const keysOf = (def: FigureDef) => (def.partition ? [...def.keys, 'total'] : def.keys);

/** Every figure row the counts hold: the fixed figures, and a coverage row per instrument and birth year seen. */
function rowsOf(counts: Iterable<Record<string, number>>): [string, FigureDef][] {
  const coverage = new Set<string>();
  for (const c of counts) for (const key of Object.keys(c)) if (key.startsWith('coverage:')) coverage.add(key.split(':').slice(1, 3).join(':'));
  return [...Object.entries(FIGURES), ...[...coverage].sort().map((r) => [`coverage:${r}`, figureDef('coverage')] as [string, FigureDef])];
}

/** A unit's count of one key of a figure row in a month, `total` being the sum of the row's keys. */
function countOf(c: Record<string, number>, figure: string, key: string): number {
  if (key === 'total') return figureDef(figure.split(':')[0]!).keys.reduce((s, k) => s + (c[`${figure}:${k}`] ?? 0), 0);
  return c[`${figure}:${key}`] ?? 0;
}

/** A unit of the municipality's whole tree, as a month's decision sees it. */
export interface TreeUnit {
  unitId: string;
  parentId: string | null;
}

/**
 * Every unit's raw counts in a month from the month's cells: an institution's and a group's are
 * their own cells, a district's and the municipality's the sums of every institution under them.
 */
export function countsOfUnits(tree: readonly (TreeUnit & { kind: string })[], cells: { institutionId: string; groupId: string | null; c: Record<string, number> }[]): (unitId: string) => Record<string, number> {
  const own = new Map(cells.map((cell) => [cell.groupId ?? cell.institutionId, cell.c]));
  const parent = new Map(tree.map((u) => [u.unitId, u.parentId]));
  const sums = new Map<string, Record<string, number>>();
  for (const i of tree.filter((u) => u.kind === 'institution')) {
    for (let p = parent.get(i.unitId); p; p = parent.get(p)) {
      const sum = sums.get(p) ?? {};
      for (const [k, n] of Object.entries(own.get(i.unitId) ?? {})) sum[k] = (sum[k] ?? 0) + n;
      sums.set(p, sum);
    }
  }
  return (unitId) => own.get(unitId) ?? sums.get(unitId) ?? {};
}

/** Which of a municipality's cells are hidden in a month, for every report that shows any of them. */
export interface MonthDecision {
  month: string;
  /** The raw counts of every unit of the tree decided on (and only those). */
  counts: Map<string, Record<string, number>>;
  /** The hidden cells, as `cellOf` names them. */
  hidden: Set<string>;
}

const cellOf = (unitId: string, figure: string, key: string) => `${unitId}|${figure}|${key}`;

/**
 * Decides a month's hidden cells over the municipality's whole tree: every unit's rows, and every
 * unit's cells as the sum of the cells of the units directly under it. `countsOf` gives a unit's
 * raw counts in the month (a district's and the municipality's are the sums of their institutions).
 */
export function decideMonth(tree: readonly TreeUnit[], month: string, countsOf: (unitId: string) => Record<string, number>): MonthDecision {
  // In the order of the ids, so every replica (whatever order its store lists the units in) hides the same cells.
  const units = [...tree].sort((a, b) => (a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0));
  const counts = new Map(units.map((u) => [u.unitId, countsOf(u.unitId)]));
  const below = new Map<string, string[]>();
  for (const u of units) if (u.parentId && counts.has(u.parentId)) below.set(u.parentId, [...(below.get(u.parentId) ?? []), u.unitId]);

  const values = new Map<string, number>();
  const equations: Equation[] = [];
  for (const [figure, def] of rowsOf(counts.values())) {
    const keys = keysOf(def);
    const count = (unitId: string, key: string) => countOf(counts.get(unitId)!, figure, key);
    for (const { unitId } of units) {
      for (const key of keys) values.set(cellOf(unitId, figure, key), count(unitId, key));
      if (def.partition) equations.push({ parent: cellOf(unitId, figure, 'total'), parts: def.keys.map((k) => cellOf(unitId, figure, k)), row: true });
      const parts = below.get(unitId) ?? [];
      if (parts.length === 0) continue;
      for (const key of keys) {
        // What the parts do not cover (children in no group) is a part too; it is never published.
        const rest = cellOf(`${unitId}~rest`, figure, key);
        values.set(rest, count(unitId, key) - parts.reduce((s, p) => s + count(p, key), 0));
        equations.push({ parent: cellOf(unitId, figure, key), parts: [...parts.map((p) => cellOf(p, figure, key)), rest] });
      }
    }
  }
  return { month, counts, hidden: suppress(values, equations) };
}

/**
 * The protected figures of `units` (the first is the unit asked about; the others its breakdown,
 * each naming its parent in the report) for `months`, read from the months' decisions, with a
 * `period` column summing the months when `period` is set.
 */
export function buildReport(units: ReportUnit[], months: string[], decisions: readonly MonthDecision[], options: { period: boolean; only?: string }): ReportColumn[] {
  const columns = options.period && months.length > 1 ? [...months, 'period'] : months;
  const decided = new Map(decisions.map((d) => [d.month, d]));
  const decisionOf = (month: string): MonthDecision => {
    const d = decided.get(month);
    if (!d) throw new Error(`no decision for ${month}`);
    return d;
  };
  const countsOf = (unitId: string, month: string) => decisionOf(month).counts.get(unitId) ?? {};
  const count = (unitId: string, month: string, figure: string, key: string): number =>
    month === 'period' ? months.reduce((s, m) => s + count(unitId, m, figure, key), 0) : countOf(countsOf(unitId, month), figure, key);
  // A period cell is hidden when any of its months' cells is; a unit the decision did not cover
  // (the tree read before the unit was known) has nothing decided for it, so nothing of it is shown.
  const hidden = (unitId: string, month: string, figure: string, key: string): boolean =>
    month === 'period' ? months.some((m) => hidden(unitId, m, figure, key)) : !decisionOf(month).counts.has(unitId) || decisionOf(month).hidden.has(cellOf(unitId, figure, key));
  const protectedRow = (unitId: string, month: string, figure: string, def: FigureDef): ProtectedFigure => {
    const shown = (key: string) => (hidden(unitId, month, figure, key) ? null : count(unitId, month, figure, key));
    const cells = Object.fromEntries(def.keys.map((k) => [k, shown(k)]));
    return { cells, ...(def.partition ? { total: shown('total') } : {}), suppressed: def.keys.filter((k) => cells[k] === null).sort() };
  };
  const rows = rowsOf(units.flatMap((u) => months.map((m) => countsOf(u.unitId, m)))).filter(
    ([name]) => !options.only || name === options.only || (options.only === 'coverage' && name.startsWith('coverage:')),
  );

  return columns.map((month) => ({
    month,
    units: Object.fromEntries(
      units.map((u) => {
        const figures: Figures = {};
        const coverage: Record<string, ProtectedFigure> = {};
        for (const [figure, def] of rows) {
          if (month === 'period' && !def.flow) continue;
          const row = protectedRow(u.unitId, month, figure, def);
          if (figure.startsWith('coverage:')) coverage[figure.slice('coverage:'.length)] = row;
          else figures[figure] = row;
        }
        if (!options.only || options.only === 'coverage') figures.coverage = coverage;
        if (!options.only || options.only === 'handovers') {
          const h = figures.handovers as ProtectedFigure | undefined;
          figures.shareWithConsent = h && h.total && h.cells.withConsent !== null ? Math.round((h.cells.withConsent! / h.total) * 1000) / 1000 : null;
        }
        if (!options.only || options.only === 'cases') {
          // The mean is shown only where the count it divides by is a shown cell: shown beside a
          // hidden count it says the count is at least 5, and with the district's mean and count,
          // what the hidden cases took (R16). So it is as protected as the cases' total.
          const n = rawLead(u.unitId, month, 'cases');
          const shownCases = (figures.cases as ProtectedFigure | undefined)?.total;
          figures.meanDaysToDecision = n >= MIN_CELL && shownCases === n ? Math.round((rawLead(u.unitId, month, 'days') / n) * 10) / 10 : null;
        }
        return [u.unitId, figures];
      }),
    ),
  }));

  function rawLead(unitId: string, month: string, key: 'cases' | 'days'): number {
    if (month === 'period') return months.reduce((s, m) => s + rawLead(unitId, m, key), 0);
    return countsOf(unitId, month)[`leadTime:${key}`] ?? 0;
  }
}
