// Small-cell protection (R16): no figure may let anyone identify a child. A cell counting 1 to 4
// children is suppressed (primary); a row whose total is under 5 is suppressed whole; and no
// published sum may have exactly one hidden member, or that member is the sum minus the others
// (secondary suppression). The sums are every relation a reader can see: a row's total, a
// district's cell as the sum of its institutions' cells, the municipality's as the sum of its
// districts', an institution's as the sum of its groups' (and those in no group). Hiding repeats
// until no sum has a single unknown. Which sums go in (a month's whole organisation tree) and how a
// period follows its months is decided in report.ts.

export const MIN_CELL = 5;

/** `parent = Σ parts`, over cell ids. A row equation also hides the whole row when its total is under 5. */
export interface Equation {
  parent: string;
  parts: string[];
  row?: boolean;
}

/**
 * The ids of the cells to hide, given every cell's raw value and the sums a reader can see.
 * A whole-municipality report has some ten thousand cells and half as many sums, so the cells are
 * numbered once and only the sums touched by a newly hidden cell are looked at again (a worklist),
 * instead of passing over every sum until nothing changes.
 */
export function suppress(values: Map<string, number>, equations: Equation[]): Set<string> {
  const index = new Map<string, number>();
  const names: string[] = [];
  const raw: number[] = [];
  const number = (id: string): number => {
    let n = index.get(id);
    if (n === undefined) {
      n = names.length;
      index.set(id, n);
      names.push(id);
      raw.push(values.get(id) ?? 0);
    }
    return n;
  };
  for (const id of values.keys()) number(id);
  const eqs = equations.map((eq) => ({ parent: number(eq.parent), parts: eq.parts.map(number), row: eq.row === true }));
  const containing: number[][] = names.map(() => []);
  eqs.forEach((eq, e) => {
    containing[eq.parent]!.push(e);
    for (const p of eq.parts) containing[p]!.push(e);
  });

  const hidden = new Uint8Array(names.length);
  const hiddenIn = new Int32Array(eqs.length);
  const pending: number[] = [];
  const hide = (cell: number) => {
    if (hidden[cell]) return;
    hidden[cell] = 1;
    for (const e of containing[cell]!) if ((hiddenIn[e] = hiddenIn[e]! + 1) === 1) pending.push(e);
  };
  raw.forEach((n, cell) => {
    if (n > 0 && n < MIN_CELL) hide(cell);
  });
  for (const eq of eqs) {
    const total = raw[eq.parent]!;
    if (eq.row && total > 0 && total < MIN_CELL) for (const cell of [eq.parent, ...eq.parts]) hide(cell);
  }
  // A sum with exactly one hidden member gives it away: hide one more member, and look again at
  // every sum that member is in.
  for (let head = 0; head < pending.length; head++) {
    const e = pending[head]!;
    if (hiddenIn[e] !== 1) continue;
    const eq = eqs[e]!;
    const shown = eq.parts.filter((cell) => !hidden[cell]);
    // The smallest non-zero part first: it costs the reader least; a zero only when nothing else is left.
    let next = -1;
    for (const cell of shown) if (raw[cell]! > 0 && (next < 0 || raw[cell]! < raw[next]!)) next = cell;
    if (next < 0) next = !hidden[eq.parent] && raw[eq.parent]! > 0 ? eq.parent : (shown[0] ?? eq.parent);
    hide(next);
  }
  return new Set(names.filter((_, cell) => hidden[cell]));
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
