// Small-cell protection: a cell of 4 is hidden and cannot be recovered from the total.
import { describe, expect, test } from '@jest/globals';
import { protect, protectWithBreakdown } from '../src/domain/suppression.js';

const recoverable = (row: ReturnType<typeof protect>) => row.total !== null && Object.values(row.cells).filter((v) => v === null).length === 1;

describe('small-cell protection', () => {
  test('a cell of 4 is suppressed, and a second cell with it, so the total does not give it away', () => {
    const row = protect({ cells: { green: 20, yellow: 4, red: 6 } });
    expect(row.cells).toEqual({ green: 20, yellow: null, red: null });
    expect(row.total).toBe(30);
    expect(recoverable(row)).toBe(false);
  });

  test('cells of 5 or more stand; zero is shown when the total is large enough', () => {
    expect(protect({ cells: { green: 12, yellow: 5, red: 0 } })).toEqual({ cells: { green: 12, yellow: 5, red: 0 }, total: 17, suppressed: [] });
  });

  test('two small cells hide each other; a total under 5 hides the whole row', () => {
    expect(protect({ cells: { green: 10, yellow: 2, red: 3 } }).cells).toEqual({ green: 10, yellow: null, red: null });
    expect(protect({ cells: { green: 3, yellow: 1, red: 0 } })).toEqual({ cells: { green: null, yellow: null, red: null }, total: null, suppressed: ['green', 'red', 'yellow'] });
    expect(protect({ cells: { green: 0, yellow: 0, red: 0 } }).total).toBe(0);
  });

  test('no protected row of any small combination lets a hidden cell be worked out', () => {
    for (let a = 0; a < 9; a++) for (let b = 0; b < 9; b++) for (let c = 0; c < 9; c++) expect(recoverable(protect({ cells: { a, b, c } }))).toBe(false);
  });
});

describe('small-cell protection across a breakdown', () => {
  test('an institution’s hidden cell cannot be worked out from the district’s figure minus the others', () => {
    const parts = { a: { cells: { green: 20, yellow: 4, red: 6 } }, b: { cells: { green: 15, yellow: 26, red: 9 } } };
    const total = { cells: { green: 35, yellow: 30, red: 15 } };
    const { total: t, parts: p } = protectWithBreakdown(total, parts);
    expect(t.cells.yellow).toBe(30);
    expect(p.a!.cells.yellow).toBeNull();
    // Column yellow: a is hidden, so b's yellow is hidden too; and no row then shows exactly one hidden cell with its total.
    expect(p.b!.cells.yellow).toBeNull();
    for (const row of Object.values(p)) expect(recoverable(row)).toBe(false);
    for (const key of ['green', 'yellow', 'red']) {
      const hidden = Object.values(p).filter((r) => r.cells[key] === null).length;
      expect(hidden === 1 && t.cells[key] !== null).toBe(false);
    }
  });
});

describe('small-cell protection across units and months (the report)', () => {
  test('a cell of 4 in one institution and month cannot be recovered from its district, the municipality or the period', async () => {
    const { buildReport, decideMonth } = await import('../src/domain/report.js');
    const { assertNothingRecoverable } = await import('./recoverable.js');
    const units = [
      { unitId: 'm', kind: 'municipality', parentId: null },
      { unitId: 'd1', kind: 'district', parentId: 'm' },
      { unitId: 'd2', kind: 'district', parentId: 'm' },
      { unitId: 'i1', kind: 'institution', parentId: 'd1' },
      { unitId: 'i2', kind: 'institution', parentId: 'd1' },
      { unitId: 'i3', kind: 'institution', parentId: 'd2' },
    ];
    const counts: Record<string, Record<string, Record<string, number>>> = {
      i1: { '2026-09': { 'wellbeing:green': 20, 'wellbeing:yellow': 9, 'wellbeing:red': 6 }, '2026-10': { 'wellbeing:green': 20, 'wellbeing:yellow': 4, 'wellbeing:red': 6 } },
      i2: { '2026-09': { 'wellbeing:green': 15, 'wellbeing:yellow': 26, 'wellbeing:red': 9 }, '2026-10': { 'wellbeing:green': 15, 'wellbeing:yellow': 26, 'wellbeing:red': 9 } },
      i3: { '2026-09': { 'wellbeing:green': 30, 'wellbeing:yellow': 12, 'wellbeing:red': 7 }, '2026-10': { 'wellbeing:green': 31, 'wellbeing:yellow': 11, 'wellbeing:red': 8 } },
    };
    const sum = (ids: string[], month: string) => {
      const out: Record<string, number> = {};
      for (const id of ids) for (const [k, n] of Object.entries(counts[id]?.[month] ?? {})) out[k] = (out[k] ?? 0) + n;
      return out;
    };
    const raw = (unitId: string, month: string) => (unitId === 'm' ? sum(['i1', 'i2', 'i3'], month) : unitId === 'd1' ? sum(['i1', 'i2'], month) : unitId === 'd2' ? sum(['i3'], month) : (counts[unitId]?.[month] ?? {}));
    // Each month is decided once over the whole tree (here the report's units are the whole tree), then the report reads the decisions.
    const months = ['2026-09', '2026-10'];
    const columns = buildReport(units, months, months.map((m) => decideMonth(units, m, (unitId) => raw(unitId, m))), { period: true, only: 'wellbeing' });
    const cell = (month: string, unit: string) => (columns.find((c) => c.month === month)!.units[unit]!.wellbeing as { cells: Record<string, number | null> }).cells;
    expect(cell('2026-10', 'i1').yellow).toBeNull();
    expect(cell('2026-10', 'm').yellow).toBe(41);
    assertNothingRecoverable({ units, columns });
  });

  test('the mean time to a decision is shown only where the count of cases it divides by is shown', async () => {
    const { buildReport, decideMonth } = await import('../src/domain/report.js');
    const units = [
      { unitId: 'd', kind: 'district', parentId: null },
      { unitId: 'a', kind: 'institution', parentId: 'd' },
      { unitId: 'b', kind: 'institution', parentId: 'd' },
    ];
    // a: 5 cases decided after 20 days each; b: one case after 50 days.
    const own: Record<string, Record<string, number>> = {
      a: { 'cases:praksisvejleder': 5, 'leadTime:cases': 5, 'leadTime:days': 100 },
      b: { 'cases:praksisvejleder': 1, 'leadTime:cases': 1, 'leadTime:days': 50 },
    };
    const raw = (unitId: string): Record<string, number> =>
      unitId === 'd' ? Object.fromEntries(Object.keys(own.a!).map((k) => [k, own.a![k]! + own.b![k]!])) : own[unitId]!;
    const [column] = buildReport(units, ['2026-10'], [decideMonth(units, '2026-10', raw)], { period: false, only: 'cases' });
    const figures = (unit: string) => column!.units[unit]!;
    // b's single case is hidden, and a's count with it: a's mean would give both away (6 × 13.3 - 5 × 20 = 50 days).
    expect((figures('b').cases as { total: number | null }).total).toBeNull();
    expect((figures('a').cases as { total: number | null }).total).toBeNull();
    expect(figures('a').meanDaysToDecision).toBeNull();
    expect((figures('d').cases as { total: number | null }).total).toBe(6);
    expect(figures('d').meanDaysToDecision).toBe(25);
  });
});
