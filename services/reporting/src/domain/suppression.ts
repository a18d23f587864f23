// Small-cell protection (R16): no figure may let anyone identify a child. A cell counting 1 to 4
// children is suppressed (primary); a row whose total is under 5 is suppressed whole; and no
// published sum may have exactly one hidden member, or that member is the sum minus the others
// (secondary suppression). The sums are every relation a reader can see: a row's total, a
// district's cell as the sum of its institutions' cells, the municipality's as the sum of its
// districts', an institution's as the sum of its groups' (and those in no group), and a period's
// as the sum of its months. Hiding repeats until no sum has a single unknown.

export const MIN_CELL = 5;

/** `parent = Σ parts`, over cell ids. A row equation also hides the whole row when its total is under 5. */
export interface Equation {
  parent: string;
  parts: string[];
  row?: boolean;
}

/** The ids of the cells to hide, given every cell's raw value and the sums a reader can see. */
export function suppress(values: Map<string, number>, equations: Equation[]): Set<string> {
  const hidden = new Set<string>();
  const raw = (id: string) => values.get(id) ?? 0;
  for (const [id, n] of values) if (n > 0 && n < MIN_CELL) hidden.add(id);
  for (const eq of equations) {
    const total = raw(eq.parent);
    if (eq.row && total > 0 && total < MIN_CELL) for (const id of [eq.parent, ...eq.parts]) hidden.add(id);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const eq of equations) {
      const members = [eq.parent, ...eq.parts];
      if (members.filter((id) => hidden.has(id)).length !== 1) continue;
      const shown = eq.parts.filter((id) => !hidden.has(id));
      // The smallest non-zero part first: it costs the reader least; a zero only when nothing else is left.
      const next = shown.filter((id) => raw(id) > 0).sort((a, b) => raw(a) - raw(b))[0] ?? (!hidden.has(eq.parent) && raw(eq.parent) > 0 ? eq.parent : undefined) ?? shown[0] ?? eq.parent;
      hidden.add(next);
      changed = true;
    }
  }
  return hidden;
}

export interface Row {
  cells: Record<string, number>;
}

export interface ProtectedRow {
  cells: Record<string, number | null>;
  total: number | null;
  suppressed: string[];
}

/** One row on its own: its cells and its total. */
export function protect(row: Row): ProtectedRow {
  return protectWithBreakdown(row, {}).total;
}

/**
 * A unit's row together with its breakdown (the institutions of a district): each row on its own,
 * and every column as the unit's cell = the sum of the parts' cells.
 */
export function protectWithBreakdown(total: Row, parts: Record<string, Row>): { total: ProtectedRow; parts: Record<string, ProtectedRow> } {
  const keys = Object.keys(total.cells);
  const values = new Map<string, number>();
  const equations: Equation[] = [];
  const addRow = (node: string, row: Row) => {
    for (const k of keys) values.set(`${node}|${k}`, row.cells[k] ?? 0);
    values.set(`${node}|total`, keys.reduce((s, k) => s + (row.cells[k] ?? 0), 0));
    equations.push({ parent: `${node}|total`, parts: keys.map((k) => `${node}|${k}`), row: true });
  };
  addRow('top', total);
  for (const [id, row] of Object.entries(parts)) addRow(`part:${id}`, row);
  if (Object.keys(parts).length > 0) {
    for (const k of [...keys, 'total']) equations.push({ parent: `top|${k}`, parts: Object.keys(parts).map((id) => `part:${id}|${k}`) });
  }
  const hidden = suppress(values, equations);
  const read = (node: string): ProtectedRow => ({
    cells: Object.fromEntries(keys.map((k) => [k, hidden.has(`${node}|${k}`) ? null : values.get(`${node}|${k}`)!])),
    total: hidden.has(`${node}|total`) ? null : values.get(`${node}|total`)!,
    suppressed: keys.filter((k) => hidden.has(`${node}|${k}`)).sort(),
  });
  return { total: read('top'), parts: Object.fromEntries(Object.keys(parts).map((id) => [id, read(`part:${id}`)])) };
}
