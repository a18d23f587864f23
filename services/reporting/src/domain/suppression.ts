// Small-cell protection (R16): no figure may let anyone identify a child. A cell counting 1 to 4
// children is suppressed; a row whose total is under 5 is suppressed whole; and when exactly
// one cell of a row is suppressed while the total is shown, the next smallest cell is suppressed
// too (secondary suppression), so the hidden one cannot be worked out from the total.

export const MIN_CELL = 5;

export interface Row {
  cells: Record<string, number>;
}

export interface ProtectedRow {
  cells: Record<string, number | null>;
  total: number | null;
  suppressed: string[];
}

export function protect(row: Row): ProtectedRow {
  const entries = Object.entries(row.cells);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (total < MIN_CELL) {
    return { cells: Object.fromEntries(entries.map(([k, n]) => [k, n === 0 && total === 0 ? 0 : null])), total: total === 0 ? 0 : null, suppressed: total === 0 ? [] : entries.map(([k]) => k).sort() };
  }
  const suppressed = new Set(entries.filter(([, n]) => n > 0 && n < MIN_CELL).map(([k]) => k));
  if (suppressed.size === 1) {
    // One hidden cell = total minus the others: hide the next smallest cell as well.
    const next = entries.filter(([k]) => !suppressed.has(k)).sort(([, a], [, b]) => a - b)[0];
    if (next) suppressed.add(next[0]);
  }
  return { cells: Object.fromEntries(entries.map(([k, n]) => [k, suppressed.has(k) ? null : n])), total, suppressed: [...suppressed].sort() };
}

/**
 * Protects a figure for a unit together with its breakdown (the institutions of a district):
 * besides each row on its own, a column in which exactly one sub-unit's cell is hidden while the
 * unit's own cell is shown would give it away by subtraction, so another cell of that column is
 * hidden as well; repeated until no row or column gives anything away.
 */
export function protectWithBreakdown(total: Row, parts: Record<string, Row>): { total: ProtectedRow; parts: Record<string, ProtectedRow> } {
  const top = protect(total);
  const rows = Object.fromEntries(Object.entries(parts).map(([id, row]) => [id, protect(row)]));
  const raw = parts;
  for (let changed = true; changed; ) {
    changed = false;
    for (const key of Object.keys(total.cells)) {
      if (top.cells[key] === null) continue;
      const hidden = Object.keys(rows).filter((id) => rows[id]!.cells[key] === null && raw[id]!.cells[key]! > 0);
      if (hidden.length !== 1) continue;
      const candidate = Object.keys(rows)
        .filter((id) => rows[id]!.cells[key] !== null && raw[id]!.cells[key]! > 0)
        .sort((a, b) => raw[a]!.cells[key]! - raw[b]!.cells[key]!)[0];
      if (!candidate) continue;
      rows[candidate]!.cells[key] = null;
      rows[candidate]!.suppressed = [...new Set([...rows[candidate]!.suppressed, key])].sort();
      changed = true;
    }
    for (const id of Object.keys(rows)) {
      const row = rows[id]!;
      const hiddenHere = Object.keys(row.cells).filter((k) => row.cells[k] === null);
      if (row.total !== null && hiddenHere.length === 1) {
        const next = Object.keys(row.cells).filter((k) => row.cells[k] !== null).sort((a, b) => raw[id]!.cells[a]! - raw[id]!.cells[b]!)[0];
        if (next) {
          row.cells[next] = null;
          row.suppressed = [...new Set([...row.suppressed, next])].sort();
          changed = true;
        }
      }
    }
  }
  return { total: top, parts: rows };
}
