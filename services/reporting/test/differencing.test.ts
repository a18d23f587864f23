// R16 across requests: a reader who asks for several reports (a unit and a unit under it, a period
// and its months, two overlapping periods) and subtracts one from another must not learn a cell
// any of them hides. A month's hidden cells are decided once over the municipality's whole tree
// and every report reads that decision; a period cell is shown only when all its months' are.
import { describe, expect, test } from '@jest/globals';
import { buildReport, decideMonth, type MonthDecision, type ProtectedFigure, type ReportUnit } from '../src/domain/report.js';
import { assertNothingRecoverable, type Report } from './recoverable.js';

type Counts = Record<string, number>;
interface Unit {
  unitId: string;
  kind: 'municipality' | 'district' | 'institution' | 'group';
  parentId: string | null;
}

const wellbeing = (green: number, yellow: number, red: number): Counts => ({ 'wellbeing:green': green, 'wellbeing:yellow': yellow, 'wellbeing:red': red });
const add = (...counts: Counts[]): Counts => {
  const out: Counts = {};
  for (const c of counts) for (const [k, n] of Object.entries(c)) out[k] = (out[k] ?? 0) + n;
  return out;
};

/**
 * A municipality: its tree, and the counts of its groups and of the children in no group per
 * institution and month. An institution counts its groups and those in no group; a district and
 * the municipality are the sums of their institutions (as the cells are read in figure.routes.ts).
 */
function municipality(tree: Unit[], leaves: Record<string, Record<string, Counts>>) {
  const kids = (unitId: string) => tree.filter((u) => u.parentId === unitId);
  const raw = (unitId: string, month: string): Counts => add(leaves[unitId]?.[month] ?? {}, ...kids(unitId).map((u) => raw(u.unitId, month)));
  const decisions = new Map<string, MonthDecision>();
  const decided = (month: string) => decisions.get(month) ?? decisions.set(month, decideMonth(tree, month, (unitId) => raw(unitId, month))).get(month)!;
  /** What figure.routes.ts lists: the unit and one level down (two for the municipality). */
  const scopeOf = (unitId: string): ReportUnit[] => {
    const unit = tree.find((u) => u.unitId === unitId)!;
    const below = kids(unitId).map((u) => ({ ...u, parentId: unitId }));
    const further = unit.kind === 'municipality' ? below.flatMap((d) => kids(d.unitId).map((i) => ({ ...i, parentId: d.unitId }))) : [];
    return [{ ...unit, parentId: null }, ...(unit.kind === 'group' ? [] : [...below, ...further])];
  };
  const report = (unitId: string, months: string[]): Report => ({ units: scopeOf(unitId), columns: buildReport(scopeOf(unitId), months, months.map(decided), { period: months.length > 1, only: 'wellbeing' }) });
  /** How a report was protected before: its month decided over the report's own units only. */
  const perRequest = (unitId: string, month: string): Report => {
    const units = scopeOf(unitId);
    return { units, columns: buildReport(units, [month], [decideMonth(units, month, (id) => raw(id, month))], { period: false, only: 'wellbeing' }) };
  };
  return { report, perRequest };
}

const cell = (report: Report, month: string, unitId: string, key: string): number | null | undefined => {
  const row = report.columns.find((c) => c.month === month)?.units[unitId]?.wellbeing as ProtectedFigure | undefined;
  return key === 'total' ? row?.total : row?.cells[key];
};

// M → districts D and E; D → institutions I and J; E → K; I → groups A and B. Every child of I is in a group.
const TREE: Unit[] = [
  { unitId: 'M', kind: 'municipality', parentId: null },
  { unitId: 'D', kind: 'district', parentId: 'M' },
  { unitId: 'E', kind: 'district', parentId: 'M' },
  { unitId: 'I', kind: 'institution', parentId: 'D' },
  { unitId: 'J', kind: 'institution', parentId: 'D' },
  { unitId: 'K', kind: 'institution', parentId: 'E' },
  { unitId: 'A', kind: 'group', parentId: 'I' },
  { unitId: 'B', kind: 'group', parentId: 'I' },
];
const JAN = '2026-01';
const every = (report: (unitId: string, months: string[]) => Report, months: string[]) => TREE.map((u) => report(u.unitId, months));

describe('no cell hidden in one report is shown in another (differencing)', () => {
  test('institution, then one of its groups: the group’s cell hidden beside its small sibling stays hidden in the group’s own report', () => {
    // I.red = 10 = A.red 2 + B.red 8.
    const { report, perRequest } = municipality(TREE, {
      A: { [JAN]: wellbeing(20, 6, 2) },
      B: { [JAN]: wellbeing(25, 7, 8) },
      J: { [JAN]: wellbeing(30, 10, 10) },
      K: { [JAN]: wellbeing(40, 12, 11) },
    });
    const institution = report('I', [JAN]);
    expect(cell(institution, JAN, 'I', 'red')).toBe(10);
    expect(cell(institution, JAN, 'A', 'red')).toBeNull();
    expect(cell(institution, JAN, 'B', 'red')).toBeNull();
    // Decided per request, the group on its own showed B.red = 8, so A.red = 10 - 8 = 2.
    expect(cell(perRequest('B', JAN), JAN, 'B', 'red')).toBe(8);
    expect(cell(report('B', [JAN]), JAN, 'B', 'red')).toBeNull();
    assertNothingRecoverable(every(report, [JAN]), { wholeInstitutions: true });
  });

  test('district, then one of its institutions: the institution’s cell hidden beside its small sibling stays hidden in the institution’s own report', () => {
    // D.red = 13 = I.red 10 + J.red 3.
    const { report, perRequest } = municipality(TREE, {
      A: { [JAN]: wellbeing(20, 6, 5) },
      B: { [JAN]: wellbeing(25, 7, 5) },
      J: { [JAN]: wellbeing(30, 10, 3) },
      K: { [JAN]: wellbeing(40, 12, 11) },
    });
    const district = report('D', [JAN]);
    expect(cell(district, JAN, 'D', 'red')).toBe(13);
    expect(cell(district, JAN, 'J', 'red')).toBeNull();
    expect(cell(district, JAN, 'I', 'red')).toBeNull();
    // Decided per request, the institution on its own showed I.red = 10, so J.red = 13 - 10 = 3.
    expect(cell(perRequest('I', JAN), JAN, 'I', 'red')).toBe(10);
    expect(cell(report('I', [JAN]), JAN, 'I', 'red')).toBeNull();
    assertNothingRecoverable(every(report, [JAN]), { wholeInstitutions: true });
  });

  test('a period, then its months: a period cell is hidden when one of its months’ is, with the row total shown only if every month’s is', () => {
    // I.red: January 3 (hidden), February 7.
    const [jan, feb] = ['2026-01', '2026-02'];
    const { report } = municipality(TREE, {
      A: { [jan]: wellbeing(10, 3, 1), [feb]: wellbeing(10, 3, 3) },
      B: { [jan]: wellbeing(10, 3, 2), [feb]: wellbeing(10, 3, 4) },
      J: { [jan]: wellbeing(30, 10, 10), [feb]: wellbeing(30, 10, 10) },
      K: { [jan]: wellbeing(40, 12, 11), [feb]: wellbeing(40, 12, 11) },
    });
    const period = report('I', [jan, feb]);
    expect(cell(period, jan, 'I', 'red')).toBeNull();
    expect(cell(report('I', [feb]), feb, 'I', 'red')).toBe(7);
    // Before, the period's red (10) was shown and February's hidden in the same report only: 10 - 7 = 3.
    expect(cell(period, 'period', 'I', 'red')).toBeNull();
    for (const key of ['green', 'yellow', 'red', 'total']) {
      const months = [jan, feb].map((m) => cell(period, m, 'I', key));
      expect(cell(period, 'period', 'I', key) === null).toBe(months.includes(null));
    }
    assertNothingRecoverable([...every(report, [jan, feb]), ...every(report, [jan]), ...every(report, [feb])], { wholeInstitutions: true });
  });

  test('two overlapping periods: January–April minus January–March is April, so January–April hides what April hides', () => {
    const months = ['2026-01', '2026-02', '2026-03', '2026-04'];
    const byMonth = (make: (m: string) => Counts) => Object.fromEntries(months.map((m) => [m, make(m)]));
    // I.red: 6, 6, 6 and 2 in April.
    const { report } = municipality(TREE, {
      A: byMonth((m) => wellbeing(10, 3, m === '2026-04' ? 1 : 3)),
      B: byMonth((m) => wellbeing(10, 3, m === '2026-04' ? 1 : 3)),
      J: byMonth(() => wellbeing(30, 10, 10)),
      K: byMonth(() => wellbeing(40, 12, 11)),
    });
    const [longer, shorter] = [report('I', months), report('I', months.slice(0, 3))];
    expect(cell(shorter, 'period', 'I', 'red')).toBe(18);
    expect(cell(longer, '2026-04', 'I', 'red')).toBeNull();
    expect(cell(longer, 'period', 'I', 'red')).toBeNull();
    assertNothingRecoverable([longer, shorter, report('I', ['2026-04']), ...every(report, months.slice(1))], { wholeInstitutions: true });
  });

  test('every report of every unit, month and period of a municipality together gives no hidden cell away', () => {
    const months = ['2026-01', '2026-02', '2026-03', '2026-04'];
    let seed = 7;
    const small = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % 9;
    const { report } = municipality(TREE, Object.fromEntries(['A', 'B', 'J', 'K'].map((u) => [u, Object.fromEntries(months.map((m) => [m, wellbeing(small() + 4, small(), small())]))])));
    const periods = months.flatMap((_, i) => months.slice(i + 1).map((_, j) => months.slice(i, i + j + 2)));
    const reports = [...months.map((m) => [m]), ...periods].flatMap((ms) => every(report, ms));
    // Something is hidden, or the test proves nothing.
    expect(reports.some((r) => r.columns.some((c) => Object.values(c.units).some((f) => (f.wellbeing as ProtectedFigure).suppressed.length > 0)))).toBe(true);
    assertNothingRecoverable(reports, { wholeInstitutions: true });
  });
});
