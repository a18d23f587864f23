// A figure as CSV: one line per unit, month (or the period), row and key, in long form so a
// spreadsheet can pivot it. A suppressed cell is empty with `suppressed` = true.
import type { ProtectedFigure, ReportColumn, ReportUnit } from '../domain/report.js';

const HEADER = ['month', 'unitId', 'unitKind', 'parentId', 'externalId', 'figure', 'key', 'value', 'suppressed'];

const quote = (v: string) => (/[",\n;]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export const isRow = (v: unknown): v is ProtectedFigure => typeof v === 'object' && v !== null && 'cells' in v;

export function reportCsv(units: (ReportUnit & { externalId?: string })[], columns: ReportColumn[]): string {
  const lines = [HEADER.join(',')];
  for (const column of columns) {
    for (const unit of units) {
      const figures = column.units[unit.unitId] ?? {};
      const rows: [string, ProtectedFigure][] = [];
      for (const [name, value] of Object.entries(figures)) {
        if (isRow(value)) rows.push([name, value]);
        else if (value && typeof value === 'object') for (const [sub, row] of Object.entries(value)) if (isRow(row)) rows.push([`${name}:${sub}`, row]);
      }
      for (const [name, row] of rows) {
        const cells: [string, number | null | undefined][] = [...Object.entries(row.cells), ...(row.total !== undefined ? [['total', row.total] as [string, number | null]] : [])];
        for (const [key, value] of cells) {
          lines.push([column.month, unit.unitId, unit.kind, unit.parentId ?? '', unit.externalId ?? '', name, key, value === null || value === undefined ? '' : String(value), String(value === null)].map(quote).join(','));
        }
      }
      for (const derived of ['shareWithConsent', 'meanDaysToDecision']) {
        if (derived in figures) {
          const value = figures[derived] as number | null;
          lines.push([column.month, unit.unitId, unit.kind, unit.parentId ?? '', unit.externalId ?? '', derived, 'value', value === null ? '' : String(value), String(value === null)].map(quote).join(','));
        }
      }
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
