// CSV imports: one section per file (units, persons, memberships or guardianships), a header
// row naming the columns. Rows become the same structure as a JSON import, so they meet the
// same checks. Empty cells are absent values.
import { csvBoolean, readCsv } from '@spor/service-kit';

export const CSV_SECTIONS = {
  units: ['externalId', 'kind', 'name', 'parentExternalId', 'municipalityCode', 'institutionType'],
  persons: ['kind', 'cpr', 'givenName', 'familyName', 'externalId'],
  memberships: ['cpr', 'unitExternalId', 'role', 'from'],
  guardianships: ['parentCpr', 'childCpr', 'custody'],
} as const;
export type CsvSection = keyof typeof CSV_SECTIONS;

export function csvToImport(section: CsvSection, text: string): Record<string, unknown> {
  return {
    [section]: readCsv(text, CSV_SECTIONS[section], section).map((row) => ({
      ...row,
      ...(section === 'units' ? { parentExternalId: row.parentExternalId ?? null } : {}),
      ...(section === 'guardianships' ? { custody: csvBoolean(row.custody) } : {}),
    })),
  };
}
