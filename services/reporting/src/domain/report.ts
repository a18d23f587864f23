// Turns raw cell counts into protected figures for a unit, its breakdown and some months:
// every figure as rows, every sum a reader can see as an equation, then small-cell protection
// over all of them at once (so a cell hidden in one table cannot be recovered from another).
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

/**
 * Protects the figures of `units` (the first is the unit asked about; the others its breakdown,
 * each naming its parent in the report) for `months`, with a `period` column summing the months
 * when `period` is set.
 */
export function buildReport(units: ReportUnit[], months: string[], raw: (unitId: string, month: string) => Record<string, number>, options: { period: boolean; only?: string }): ReportColumn[] {
  const columns = options.period && months.length > 1 ? [...months, 'period'] : months;
  const counts = new Map<string, Record<string, number>>();
  for (const u of units) {
    for (const m of months) counts.set(`${u.unitId}|${m}`, raw(u.unitId, m));
  }
  const coverageRows = new Set<string>();
  for (const c of counts.values()) for (const key of Object.keys(c)) if (key.startsWith('coverage:')) coverageRows.add(key.split(':').slice(1, 3).join(':'));
  const rows: [string, FigureDef][] = [...Object.entries(FIGURES), ...[...coverageRows].sort().map((r) => [`coverage:${r}`, figureDef('coverage')] as [string, FigureDef])].filter(
    ([name]) => !options.only || name === options.only || (options.only === 'coverage' && name.startsWith('coverage:')),
  );

  const values = new Map<string, number>();
  const equations: Equation[] = [];
  const id = (unit: string, month: string, figure: string, key: string) => `${unit}|${month}|${figure}|${key}`;
  const rawOf = (unit: string, month: string, figure: string, key: string): number => {
    if (month === 'period') return months.reduce((s, m) => s + rawOf(unit, m, figure, key), 0);
    const c = counts.get(`${unit}|${month}`) ?? {};
    if (key === 'total') return figureDef(figure.split(':')[0]!).keys.reduce((s, k) => s + (c[`${figure}:${k}`] ?? 0), 0);
    return c[`${figure}:${key}`] ?? 0;
  };
  const below = new Map<string, string[]>();
  for (const u of units) if (u.parentId) below.set(u.parentId, [...(below.get(u.parentId) ?? []), u.unitId]);
  const children = (unitId: string) => below.get(unitId) ?? [];

  for (const [figure, def] of rows) {
    const keys = def.partition ? [...def.keys, 'total'] : def.keys;
    for (const month of columns) {
      if (month === 'period' && !def.flow) continue;
      for (const u of units) {
        for (const key of keys) values.set(id(u.unitId, month, figure, key), rawOf(u.unitId, month, figure, key));
        if (def.partition) equations.push({ parent: id(u.unitId, month, figure, 'total'), parts: def.keys.map((k) => id(u.unitId, month, figure, k)), row: true });
        const parts = children(u.unitId);
        if (parts.length === 0) continue;
        for (const key of keys) {
          // What the parts do not cover (children in no group, an institution outside any district) is a part too.
          const rest = id(`${u.unitId}~rest`, month, figure, key);
          const restValue = rawOf(u.unitId, month, figure, key) - parts.reduce((s, b) => s + rawOf(b, month, figure, key), 0);
          values.set(rest, restValue);
          equations.push({ parent: id(u.unitId, month, figure, key), parts: [...parts.map((b) => id(b, month, figure, key)), rest] });
        }
      }
      if (month === 'period') {
        for (const u of units) for (const key of keys) equations.push({ parent: id(u.unitId, 'period', figure, key), parts: months.map((m) => id(u.unitId, m, figure, key)) });
      }
    }
  }

  const hidden = suppress(values, equations);
  const shown = (cell: string) => (hidden.has(cell) ? null : (values.get(cell) ?? 0));

  return columns.map((month) => ({
    month,
    units: Object.fromEntries(
      units.map((u) => {
        const figures: Figures = {};
        const coverage: Record<string, ProtectedFigure> = {};
        for (const [figure, def] of rows) {
          if (month === 'period' && !def.flow) continue;
          const row: ProtectedFigure = {
            cells: Object.fromEntries(def.keys.map((k) => [k, shown(id(u.unitId, month, figure, k))])),
            ...(def.partition ? { total: shown(id(u.unitId, month, figure, 'total')) } : {}),
            suppressed: def.keys.filter((k) => hidden.has(id(u.unitId, month, figure, k))).sort(),
          };
          if (figure.startsWith('coverage:')) coverage[figure.slice('coverage:'.length)] = row;
          else figures[figure] = row;
        }
        if (!options.only || options.only === 'coverage') figures.coverage = coverage;
        if (!options.only || options.only === 'handovers') {
          const h = figures.handovers as ProtectedFigure | undefined;
          figures.shareWithConsent = h && h.total && h.cells.withConsent !== null ? Math.round((h.cells.withConsent! / h.total) * 1000) / 1000 : null;
        }
        if (!options.only || options.only === 'cases') {
          const n = rawLead(u.unitId, month, 'cases');
          figures.meanDaysToDecision = n >= MIN_CELL ? Math.round((rawLead(u.unitId, month, 'days') / n) * 10) / 10 : null;
        }
        return [u.unitId, figures];
      }),
    ),
  }));

  function rawLead(unit: string, month: string, key: 'cases' | 'days'): number {
    if (month === 'period') return months.reduce((s, m) => s + rawLead(unit, m, key), 0);
    return counts.get(`${unit}|${month}`)?.[`leadTime:${key}`] ?? 0;
  }
}
