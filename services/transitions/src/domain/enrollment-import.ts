// Bulk enrollment import by municipal IT: one file of placements, children named by CPR number
// and units by their external ids (institution numbers). The whole file is checked before
// anything is written, against the directory and the placements that exist, and every bad row
// and field is reported; then each row is applied idempotently.
import { z } from '@spor/service-kit';
import { enrol, samePlacement, type ChildEnrollment, type InstitutionType, type Placement } from './enrollment.js';

const externalId = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, { error: 'must be 1–64 letters, digits or . _ : -' });

export const enrollmentFileSchema = z.strictObject({
  enrollments: z
    .array(z.strictObject({ childCpr: z.string().max(20), institutionExternalId: externalId, groupExternalId: externalId.optional(), from: z.iso.date(), to: z.iso.date().optional() }))
    .min(1)
    .max(20_000),
});
export type EnrollmentFile = z.infer<typeof enrollmentFileSchema>;
export const ENROLLMENT_CSV_COLUMNS = ['childCpr', 'institutionExternalId', 'groupExternalId', 'from', 'to'] as const;

export interface ImportProblem {
  row: number;
  field: string;
  message: string;
}

/** A row resolved to ids: what the job keeps (no CPR number). */
export interface ResolvedRow {
  row: number;
  childId: string;
  institutionId: string;
  institutionType: InstitutionType;
  groupId: string | null;
  from: string;
  to: string | null;
}

export interface Resolver {
  child(row: number): { childId: string } | string;
  institution(externalId: string): { id: string; type: InstitutionType } | string;
  group(externalId: string, institutionId: string): { id: string } | string;
}

/** Resolves and checks every row; answers the rows to apply or every problem found. */
export function checkEnrollmentFile(file: EnrollmentFile, resolve: Resolver, existing: Map<string, ChildEnrollment | null>, municipalityId: string): { rows: ResolvedRow[]; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const rows: ResolvedRow[] = [];
  file.enrollments.forEach((r, i) => {
    const row = i + 1;
    const child = resolve.child(row);
    const institution = resolve.institution(r.institutionExternalId);
    const group = r.groupExternalId && typeof institution !== 'string' ? resolve.group(r.groupExternalId, institution.id) : null;
    if (typeof child === 'string') problems.push({ row, field: 'childCpr', message: child });
    if (typeof institution === 'string') problems.push({ row, field: 'institutionExternalId', message: institution });
    if (typeof group === 'string') problems.push({ row, field: 'groupExternalId', message: group });
    const backwards = r.to !== undefined && r.to < r.from;
    if (backwards) problems.push({ row, field: 'to', message: `the last day ${r.to} is before the first day ${r.from}` });
    if (typeof child !== 'string' && typeof institution !== 'string' && typeof group !== 'string' && !backwards) {
      rows.push({ row, childId: child.childId, institutionId: institution.id, institutionType: institution.type, groupId: group?.id ?? null, from: r.from, to: r.to ?? null });
    }
  });
  // Overlaps: each child's rows are laid over its placements as they are, in date order.
  const states = new Map(existing);
  for (const r of [...rows].sort((a, b) => a.from.localeCompare(b.from))) {
    const state = states.get(r.childId) ?? null;
    const placement: Placement = { placementId: `row-${r.row}`, institutionId: r.institutionId, institutionType: r.institutionType, groupId: r.groupId, from: r.from, to: r.to };
    if (samePlacement(state, placement)) continue;
    try {
      states.set(r.childId, enrol(state, municipalityId, placement));
    } catch (error) {
      problems.push({ row: r.row, field: 'from', message: ((error as Error).message ?? '').replace(/ \(placement row-(\d+)\)/, ' (row $1 of this file)') });
    }
  }
  return { rows, problems: problems.sort((a, b) => a.row - b.row) };
}
