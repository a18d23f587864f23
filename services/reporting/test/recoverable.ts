// A reader's attack on a published report: every sum the report shows (a row's total, a parent
// unit as the sum of the units under it, a period as the sum of its months) is an equation; solve
// every equation with a single unknown, again and again. No hidden cell may come out.
import { expect } from '@jest/globals';

interface Row {
  cells: Record<string, number | null>;
  total?: number | null;
}
interface Report {
  units: { unitId: string; kind: string; parentId: string | null }[];
  columns: { month: string; units: Record<string, Record<string, unknown>> }[];
}

const isRow = (v: unknown): v is Row => typeof v === 'object' && v !== null && 'cells' in v;

export function assertNothingRecoverable(report: Report): void {
  const known = new Map<string, number | null>();
  const equations: { parent: string; parts: string[] }[] = [];
  const rowsOf = (figures: Record<string, unknown>): [string, Row][] =>
    Object.entries(figures).flatMap(([name, v]) => (isRow(v) ? [[name, v] as [string, Row]] : v && typeof v === 'object' ? Object.entries(v).filter(([, r]) => isRow(r)).map(([sub, r]) => [`${name}:${sub}`, r as Row] as [string, Row]) : []));
  const months = report.columns.filter((c) => c.month !== 'period').map((c) => c.month);
  for (const column of report.columns) {
    for (const unit of report.units) {
      for (const [figure, row] of rowsOf(column.units[unit.unitId] ?? {})) {
        const keys = [...Object.keys(row.cells), ...(row.total !== undefined ? ['total'] : [])];
        for (const key of keys) known.set(`${unit.unitId}|${column.month}|${figure}|${key}`, key === 'total' ? row.total! : row.cells[key]!);
        if (row.total !== undefined) equations.push({ parent: `${unit.unitId}|${column.month}|${figure}|total`, parts: Object.keys(row.cells).map((k) => `${unit.unitId}|${column.month}|${figure}|${k}`) });
        // Units whose parts are all listed: a district is its institutions, the municipality its districts and the institutions outside any.
        const parts = report.units.filter((u) => u.parentId === unit.unitId);
        if (parts.length > 0 && unit.kind !== 'institution') for (const key of keys) equations.push({ parent: `${unit.unitId}|${column.month}|${figure}|${key}`, parts: parts.map((u) => `${u.unitId}|${column.month}|${figure}|${key}`) });
        if (column.month === 'period') for (const key of keys) equations.push({ parent: `${unit.unitId}|period|${figure}|${key}`, parts: months.map((m) => `${unit.unitId}|${m}|${figure}|${key}`) });
      }
    }
  }
  const hidden = [...known].filter(([, v]) => v === null).map(([id]) => id);
  const solved = new Map([...known].filter(([, v]) => v !== null) as [string, number][]);
  for (let progress = true; progress; ) {
    progress = false;
    for (const eq of equations) {
      const members = [eq.parent, ...eq.parts];
      if (members.some((m) => !known.has(m))) continue;
      const unknown = members.filter((m) => !solved.has(m));
      if (unknown.length !== 1) continue;
      const sum = eq.parts.filter((p) => solved.has(p)).reduce((s, p) => s + solved.get(p)!, 0);
      solved.set(unknown[0]!, unknown[0] === eq.parent ? sum : solved.get(eq.parent)! - sum);
      progress = true;
    }
  }
  expect(hidden.filter((id) => solved.has(id))).toEqual([]);
}
