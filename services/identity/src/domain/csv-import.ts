// CSV imports: one section per file (units, persons, memberships or guardianships), a header
// row naming the columns. Rows become the same structure as a JSON import, so they meet the
// same checks. Empty cells are absent values.
import { parse } from 'csv-parse/sync';
import { AppError } from '@spor/service-kit';

export const CSV_SECTIONS = {
  units: ['externalId', 'kind', 'name', 'parentExternalId', 'municipalityCode', 'institutionType'],
  persons: ['kind', 'cpr', 'givenName', 'familyName', 'externalId'],
  memberships: ['cpr', 'unitExternalId', 'role', 'from'],
  guardianships: ['parentCpr', 'childCpr', 'custody'],
} as const;
export type CsvSection = keyof typeof CSV_SECTIONS;

const TRUE = new Set(['true', 'ja', 'yes', '1']);
const FALSE = new Set(['false', 'nej', 'no', '0']);

export function csvToImport(section: CsvSection, text: string): Record<string, unknown> {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: false, delimiter: [',', ';'] }) as string[][];
  } catch (error) {
    throw new AppError({ status: 422, code: 'CSV_MALFORMED', title: 'The CSV file cannot be read', detail: (error as Error).message.replace(/\d{6}-?\d{4}/g, '[CPR]') });
  }
  const [header, ...rows] = records;
  const allowed: readonly string[] = CSV_SECTIONS[section];
  const unknown = (header ?? []).filter((column) => !allowed.includes(column));
  if (!header || unknown.length > 0) {
    throw new AppError({
      status: 422,
      code: 'CSV_HEADER',
      title: 'The CSV header is not right',
      detail: `${section} files have the columns ${allowed.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`,
    });
  }
  return {
    [section]: rows.map((cells) => {
      const row: Record<string, unknown> = {};
      header.forEach((column, i) => {
        const cell = cells[i] ?? '';
        if (column === 'parentExternalId') row[column] = cell === '' ? null : cell;
        else if (column === 'custody') row[column] = TRUE.has(cell.toLowerCase()) ? true : FALSE.has(cell.toLowerCase()) ? false : cell;
        else if (cell !== '') row[column] = cell;
      });
      return row;
    }),
  };
}
