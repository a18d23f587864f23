// Bulk import of the directory by municipal IT: one file of units, persons, memberships and
// guardianships. Validated as a whole first (every bad row and field is reported, nothing is
// written); then applied in dependency order, each step idempotent, so a re-import of the same
// file, or a resumed one, changes nothing that is already there.
import { z } from '@spor/service-kit';
import { STAFF_ROLES } from '@spor/auth';
import { INSTITUTION_TYPES, UNIT_EXTERNAL_ID, UNIT_KINDS } from './org-unit.js';
import { PERSON_EXTERNAL_ID, PERSON_KINDS } from './person.js';
import { parseCpr, type Cpr } from './cpr.js';

const externalId = z.string().regex(UNIT_EXTERNAL_ID, { error: 'must be 1–64 letters, digits or . _ : -' });

export const importFileSchema = z.strictObject({
  units: z
    .array(
      z.strictObject({
        externalId,
        kind: z.enum(UNIT_KINDS),
        name: z.string().trim().min(1).max(200),
        parentExternalId: externalId.nullable(),
        municipalityCode: z.string().regex(/^[0-9]{3}$/).optional(),
        institutionType: z.enum(INSTITUTION_TYPES).optional(),
      }),
    )
    .default([]),
  persons: z
    .array(z.strictObject({ kind: z.enum(PERSON_KINDS), cpr: z.string().max(20), givenName: z.string().trim().min(1).max(200), familyName: z.string().trim().min(1).max(200), externalId: z.string().regex(PERSON_EXTERNAL_ID).optional() }))
    .default([]),
  memberships: z.array(z.strictObject({ cpr: z.string().max(20), unitExternalId: externalId, role: z.enum(STAFF_ROLES), from: z.iso.date().optional() })).default([]),
  guardianships: z.array(z.strictObject({ parentCpr: z.string().max(20), childCpr: z.string().max(20), custody: z.boolean() })).default([]),
});

export type ImportFile = z.infer<typeof importFileSchema>;

export interface ImportProblem {
  section: 'file' | 'units' | 'persons' | 'memberships' | 'guardianships';
  /** 1-based row within its section; 0 for the file as a whole. */
  row: number;
  field: string;
  message: string;
}

/** What the store already holds, as far as the file refers to it. */
export interface ExistingDirectory {
  unitKinds: Map<string, string>;
  personKinds: Map<string, string>;
  /** The directory's entries of the file's persons, by CPR number. */
  personIds?: Map<string, string>;
  /** The file's CPR numbers that another municipality's directory has: neither registered nor linked by this one's import. */
  elsewhere?: Set<string>;
  /** Staff login ids in the file that a staff member in the directory has already: that member, and how to name them to this administrator. */
  staffLogins?: Map<string, { personId: string; described: string }>;
  /** The external id of the municipality's root unit when it exists (null: it has none). */
  municipalityRoot?: { unitId: string; externalId: string | null };
}

/**
 * A CPR number another municipality's directory has. An import links only its own municipality's
 * persons: a guardianship or a membership across municipalities would give a parent or a staff
 * member another municipality's child or unit (PUT /admin/guardianships refuses it the same way).
 */
const ELSEWHERE = "is registered in another municipality's directory: it is neither registered nor linked here";

/** Every problem of the file: shape, CPR numbers, references and the tree's rules. */
export function checkImport(file: ImportFile, municipalityId: string, existing: ExistingDirectory, today = new Date()): { problems: ImportProblem[]; cprs: Map<string, Cpr> } {
  const problems: ImportProblem[] = [];
  const cprs = new Map<string, Cpr>();
  const cpr = (section: ImportProblem['section'], row: number, field: string, value: string) => {
    const parsed = parseCpr(value, today);
    if (!parsed.ok) problems.push({ section, row, field, message: parsed.problem.message });
    else cprs.set(value, parsed.cpr);
    return parsed.ok ? parsed.cpr : undefined;
  };

  const unitKinds = new Map(existing.unitKinds);
  const seenUnits = new Set<string>();
  file.units.forEach((u, i) => {
    const row = i + 1;
    if (seenUnits.has(u.externalId)) problems.push({ section: 'units', row, field: 'externalId', message: `${u.externalId} appears twice in the file` });
    seenUnits.add(u.externalId);
    unitKinds.set(u.externalId, u.kind);
    if (u.kind === 'municipality' && u.municipalityCode !== municipalityId) problems.push({ section: 'units', row, field: 'municipalityCode', message: `must be ${municipalityId}, the municipality you administer` });
    const root = existing.municipalityRoot;
    if (u.kind === 'municipality' && root && root.externalId !== u.externalId) {
      problems.push({ section: 'units', row, field: 'externalId', message: `the municipality exists already as unit ${root.unitId}${root.externalId ? ` with external id ${root.externalId}` : ' without an external id'}` });
    }
    if (u.kind === 'institution' && !u.institutionType) problems.push({ section: 'units', row, field: 'institutionType', message: 'an institution needs a type' });
  });
  const parentKind: Record<string, string | null> = { municipality: null, district: 'municipality', institution: 'district', group: 'institution' };
  file.units.forEach((u, i) => {
    const wanted = parentKind[u.kind];
    if (wanted === null) return;
    const actual = u.parentExternalId ? unitKinds.get(u.parentExternalId) : undefined;
    if (!u.parentExternalId || !actual) problems.push({ section: 'units', row: i + 1, field: 'parentExternalId', message: `needs a ${wanted} in the file or the directory` });
    else if (actual !== wanted) problems.push({ section: 'units', row: i + 1, field: 'parentExternalId', message: `must name a ${wanted}, not a ${actual}` });
  });

  const personKinds = new Map(existing.personKinds);
  const seenPersons = new Set<string>();
  const seenLogins = new Set<string>();
  file.persons.forEach((p, i) => {
    const parsed = cpr('persons', i + 1, 'cpr', p.cpr);
    if (!parsed) return;
    if (seenPersons.has(parsed)) problems.push({ section: 'persons', row: i + 1, field: 'cpr', message: 'the same CPR number appears twice in the file' });
    seenPersons.add(parsed);
    if (existing.elsewhere?.has(parsed)) problems.push({ section: 'persons', row: i + 1, field: 'cpr', message: ELSEWHERE });
    // A staff member's externalId is their login: one login id opens one person's roles.
    if (p.kind === 'staff' && p.externalId) {
      const holder = existing.staffLogins?.get(p.externalId);
      if (seenLogins.has(p.externalId)) problems.push({ section: 'persons', row: i + 1, field: 'externalId', message: `${p.externalId} is the login of another staff member in the file` });
      else if (holder && holder.personId !== existing.personIds?.get(parsed)) problems.push({ section: 'persons', row: i + 1, field: 'externalId', message: `${p.externalId} is the login of ${holder.described} already` });
      seenLogins.add(p.externalId);
    }
    const before = personKinds.get(parsed);
    if (before && before !== p.kind) problems.push({ section: 'persons', row: i + 1, field: 'kind', message: `this person is registered as a ${before}` });
    personKinds.set(parsed, p.kind);
  });
  file.memberships.forEach((m, i) => {
    const parsed = cpr('memberships', i + 1, 'cpr', m.cpr);
    if (parsed && existing.elsewhere?.has(parsed)) problems.push({ section: 'memberships', row: i + 1, field: 'cpr', message: ELSEWHERE });
    else if (parsed && personKinds.get(parsed) !== 'staff') problems.push({ section: 'memberships', row: i + 1, field: 'cpr', message: 'must be a staff member in the file or the directory' });
    if (!unitKinds.has(m.unitExternalId)) problems.push({ section: 'memberships', row: i + 1, field: 'unitExternalId', message: 'names no unit in the file or the directory' });
  });
  file.guardianships.forEach((g, i) => {
    const parent = cpr('guardianships', i + 1, 'parentCpr', g.parentCpr);
    const child = cpr('guardianships', i + 1, 'childCpr', g.childCpr);
    if (parent && existing.elsewhere?.has(parent)) problems.push({ section: 'guardianships', row: i + 1, field: 'parentCpr', message: ELSEWHERE });
    else if (parent && personKinds.get(parent) !== 'parent') problems.push({ section: 'guardianships', row: i + 1, field: 'parentCpr', message: 'must be a parent in the file or the directory' });
    if (child && existing.elsewhere?.has(child)) problems.push({ section: 'guardianships', row: i + 1, field: 'childCpr', message: ELSEWHERE });
    else if (child && personKinds.get(child) !== 'child') problems.push({ section: 'guardianships', row: i + 1, field: 'childCpr', message: 'must be a child in the file or the directory' });
  });
  return { problems, cprs };
}

/** Units ordered so that every parent comes before its children. */
export function unitsInTreeOrder(units: ImportFile['units']): ImportFile['units'] {
  const depth: Record<string, number> = { municipality: 0, district: 1, institution: 2, group: 3 };
  return [...units].sort((a, b) => depth[a.kind]! - depth[b.kind]!);
}
