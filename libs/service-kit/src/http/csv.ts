// CSV files from municipal IT: a header row naming the columns, comma or semicolon separated,
// UTF-8 with or without BOM. Answers one record per row with the non-empty cells; a file that
// cannot be read, or a header with unknown columns, is a 422 naming what is wrong.
import { parse } from 'csv-parse/sync';
import { AppError } from '../errors/app-error.js';
import { scrubCpr } from '../privacy/personal-data.js';
import { NUL, NUL_MESSAGE } from './nul.js';

export function readCsv(text: string, columns: readonly string[], what: string): Record<string, string>[] {
  const nul = text.indexOf(NUL);
  if (nul >= 0) {
    const line = text.slice(0, nul).split('\n').length;
    throw new AppError({ status: 422, code: 'CSV_MALFORMED', title: 'The CSV file cannot be read', detail: `line ${line} ${NUL_MESSAGE}; a file saved as UTF-16 has one in every character: save it as UTF-8` });
  }
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: false, delimiter: [',', ';'] }) as string[][];
  } catch (error) {
    // The parser quotes the line it choked on, which may hold a CPR number.
    throw new AppError({ status: 422, code: 'CSV_MALFORMED', title: 'The CSV file cannot be read', detail: scrubCpr((error as Error).message) });
  }
  const [header, ...rows] = records;
  // Unknown cells are named by position, never repeated: a file without a header row has a CPR
  // number or a name where the column names should be.
  const unknown = (header ?? []).flatMap((column, i) => (columns.includes(column) ? [] : [i + 1]));
  if (!header || unknown.length > 0) {
    throw new AppError({ status: 422, code: 'CSV_HEADER', title: 'The CSV header is not right', detail: `${what} files start with a header row of the columns ${columns.join(', ')}${unknown.length ? `; the first row has unknown columns at positions ${unknown.join(', ')}` : ''}` });
  }
  return rows.map((cells) => Object.fromEntries(header.map((column, i) => [column, cells[i] ?? '']).filter(([, cell]) => cell !== '')));
}

const TRUE = new Set(['true', 'ja', 'yes', '1']);
const FALSE = new Set(['false', 'nej', 'no', '0']);

/** A yes/no cell in Danish or English; anything else is left as written, for validation to name. */
export function csvBoolean(cell: string | undefined): boolean | string | undefined {
  if (cell === undefined) return undefined;
  const lower = cell.toLowerCase();
  return TRUE.has(lower) ? true : FALSE.has(lower) ? false : cell;
}
