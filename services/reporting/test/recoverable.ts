// A reader's attack on published reports: every sum a report shows (a row's total, a parent unit
// as the sum of the units under it, a period as the sum of its months, a longer period as a
// shorter one plus the months it adds) is an equation; solve every equation with a single unknown,
// again and again. Given several reports (other units, months, periods), a cell one of them hides
// and another shows is known at once: that is the differencing attack. No hidden cell may come out.
import { expect } from '@jest/globals';

interface Row {
  cells: Record<string, number | null>;
  total?: number | null;
}
export interface Report {
  units: { unitId: string; kind: string; parentId: string | null }[];
  columns: { month: string; units: Record<string, Record<string, unknown>> }[];
}

const isRow = (v: unknown): v is Row => typeof v === 'object' && v !== null && 'cells' in v;

/**
 * `wholeInstitutions`: the reader knows every child of an institution is in one of its groups, so an
 * institution is the sum of its groups too (by default it is not: children in no group are not listed).
 */
export function assertNothingRecoverable(reports: Report | Report[], options: { wholeInstitutions?: boolean } = {}): void {
  const known = new Map<string, number | null>();
  const hidden = new Set<string>();
  const equations: { parent: string; parts: string[] }[] = [];
  const periods = new Map<string, string[]>();
  const rowsOf = (figures: Record<string, unknown>): [string, Row][] =>
    Object.entries(figures).flatMap(([name, v]) => (isRow(v) ? [[name, v] as [string, Row]] : v && typeof v === 'object' ? Object.entries(v).filter(([, r]) => isRow(r)).map(([sub, r]) => [`${name}:${sub}`, r as Row] as [string, Row]) : []));
  for (const report of [reports].flat()) {
    const months = report.columns.filter((c) => c.month !== 'period').map((c) => c.month);
    // A period is named by its months, so the same period in two reports is one unknown.
    const columnName = (month: string) => (month === 'period' ? `period:${months.join('+')}` : month);
    if (report.columns.some((c) => c.month === 'period')) periods.set(columnName('period'), months);
    for (const column of report.columns) {
      const month = columnName(column.month);
      for (const unit of report.units) {
        for (const [figure, row] of rowsOf(column.units[unit.unitId] ?? {})) {
          const id = (unitId: string, key: string) => `${unitId}|${month}|${figure}|${key}`;
          const keys = [...Object.keys(row.cells), ...(row.total !== undefined ? ['total'] : [])];
          for (const key of keys) {
            const value = key === 'total' ? row.total! : row.cells[key]!;
            const before = known.get(id(unit.unitId, key));
            if (value === null) hidden.add(id(unit.unitId, key));
            // The same cell shown with two values in two reports would be a bug of its own.
            if (before != null && value !== null) expect([id(unit.unitId, key), value]).toEqual([id(unit.unitId, key), before]);
            if (before == null) known.set(id(unit.unitId, key), value);
          }
          if (row.total !== undefined) equations.push({ parent: id(unit.unitId, 'total'), parts: Object.keys(row.cells).map((k) => id(unit.unitId, k)) });
          // Units whose parts are all listed: a district is its institutions, the municipality its districts and the institutions outside any.
          const parts = report.units.filter((u) => u.parentId === unit.unitId);
          if (parts.length > 0 && (unit.kind !== 'institution' || options.wholeInstitutions)) for (const key of keys) equations.push({ parent: id(unit.unitId, key), parts: parts.map((u) => id(u.unitId, key)) });
          if (column.month === 'period') for (const key of keys) equations.push({ parent: id(unit.unitId, key), parts: months.map((m) => `${unit.unitId}|${m}|${figure}|${key}`) });
        }
      }
    }
  }
  // A period containing another is that one plus the months it adds (Jan–Apr = Jan–Mar + Apr).
  for (const [longer, of] of periods) {
    for (const [shorter, within] of periods) {
      if (longer === shorter || !within.every((m) => of.includes(m))) continue;
      const added = of.filter((m) => !within.includes(m));
      for (const id of known.keys()) {
        const [unitId, month, figure, key] = id.split('|') as [string, string, string, string];
        if (month === longer) equations.push({ parent: id, parts: [`${unitId}|${shorter}|${figure}|${key}`, ...added.map((m) => `${unitId}|${m}|${figure}|${key}`)] });
      }
    }
  }
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
  expect([...hidden].filter((id) => solved.has(id))).toEqual([]);
}
