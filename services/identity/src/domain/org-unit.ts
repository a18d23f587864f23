// The organisation tree: municipality → district → institution (with its type) → group.
// Pure rules; the store and HTTP layers only call these.
import { AppError, type FieldError } from '@spor/service-kit';

export const UNIT_KINDS = ['municipality', 'district', 'institution', 'group'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];
export const INSTITUTION_TYPES = ['dagpleje', 'vuggestue', 'boernehave', 'skole', 'sfo'] as const;
export type InstitutionType = (typeof INSTITUTION_TYPES)[number];
/** A unit's id in the municipality's own systems, for example its institution number. */
export const UNIT_EXTERNAL_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The kind a unit's parent must have. */
const PARENT_KIND: Record<UnitKind, UnitKind | null> = {
  municipality: null,
  district: 'municipality',
  institution: 'district',
  group: 'institution',
};

export interface OrgUnit {
  kind: UnitKind;
  name: string;
  /** The three-digit kommunekode of the municipality the unit belongs to. */
  municipalityId: string;
  parentId: string | null;
  institutionType?: InstitutionType;
  externalId?: string;
  closedOn?: string;
}

export interface NewOrgUnit {
  kind: UnitKind;
  name: string;
  parentId: string | null;
  municipalityCode?: string;
  institutionType?: InstitutionType;
  externalId?: string;
}

const a = (kind: UnitKind) => (kind === 'institution' ? `an ${kind}` : `a ${kind}`);

export interface OrgUnitChange {
  name?: string;
  /** Moves the unit under another parent of the kind its own kind needs. */
  parentId?: string;
  institutionType?: InstitutionType;
  externalId?: string;
}

function refuse(problems: FieldError[]): never {
  throw new AppError({ status: 422, code: 'ORG_TREE_VIOLATION', title: 'The organisation tree does not allow this unit', detail: problems.map((p) => `${p.field}: ${p.message}`).join('; '), errors: problems });
}

/** Renames, re-types or moves a unit, or refuses naming what breaks the tree. */
export function changeOrgUnit(unit: OrgUnit & { _id: string }, change: OrgUnitChange, newParent: (OrgUnit & { _id: string }) | null): OrgUnit {
  const problems: FieldError[] = [];
  if (unit.closedOn) problems.push({ in: 'body', field: '', message: `the unit was closed on ${unit.closedOn}` });
  if (change.institutionType !== undefined && unit.kind !== 'institution') problems.push({ in: 'body', field: 'institutionType', message: 'only institutions have a type' });
  if (change.parentId !== undefined && change.parentId !== unit.parentId) {
    const wanted = PARENT_KIND[unit.kind];
    if (wanted === null) problems.push({ in: 'body', field: 'parentId', message: 'a municipality is a root and cannot move' });
    else if (!newParent) problems.push({ in: 'body', field: 'parentId', message: `${a(unit.kind)} needs a parent ${wanted}` });
    else {
      if (newParent.kind !== wanted) problems.push({ in: 'body', field: 'parentId', message: `${a(unit.kind)} belongs under ${a(wanted)}, not under ${a(newParent.kind)}` });
      if (newParent.closedOn) problems.push({ in: 'body', field: 'parentId', message: `the new parent was closed on ${newParent.closedOn}` });
      // The parent kinds are strictly ordered, so a unit can never land under itself or its own descendant.
    }
  }
  if (problems.length > 0) refuse(problems);
  const institutionType = change.institutionType ?? unit.institutionType;
  const externalId = change.externalId ?? unit.externalId;
  return {
    kind: unit.kind,
    name: change.name ?? unit.name,
    municipalityId: unit.municipalityId,
    parentId: change.parentId ?? unit.parentId,
    ...(institutionType ? { institutionType } : {}),
    ...(externalId ? { externalId } : {}),
  };
}

/** Builds a unit under `parent`, or refuses naming what breaks the tree. */
export function createOrgUnit(input: NewOrgUnit, parent: (OrgUnit & { _id: string }) | null): OrgUnit {
  const problems: FieldError[] = [];
  const wantedParent = PARENT_KIND[input.kind];
  if (wantedParent === null && input.parentId !== null) problems.push({ in: 'body', field: 'parentId', message: 'a municipality is a root and has no parent' });
  if (wantedParent !== null && !parent) problems.push({ in: 'body', field: 'parentId', message: `${a(input.kind)} needs a parent ${wantedParent}` });
  if (wantedParent !== null && parent && parent.kind !== wantedParent) problems.push({ in: 'body', field: 'parentId', message: `${a(input.kind)} belongs under ${a(wantedParent)}, not under ${a(parent.kind)}` });
  if (parent?.closedOn) problems.push({ in: 'body', field: 'parentId', message: `the parent was closed on ${parent.closedOn}` });
  if (input.kind === 'municipality' && !/^[0-9]{3}$/.test(input.municipalityCode ?? '')) problems.push({ in: 'body', field: 'municipalityCode', message: 'a municipality needs its three-digit kommunekode' });
  if (input.kind !== 'municipality' && input.municipalityCode !== undefined) problems.push({ in: 'body', field: 'municipalityCode', message: 'only a municipality has a kommunekode; other units take their municipality’s' });
  if (input.kind === 'institution' && !input.institutionType) problems.push({ in: 'body', field: 'institutionType', message: `an institution needs a type: ${INSTITUTION_TYPES.join(', ')}` });
  if (input.kind !== 'institution' && input.institutionType) problems.push({ in: 'body', field: 'institutionType', message: 'only institutions have a type' });
  if (problems.length > 0) refuse(problems);
  return {
    kind: input.kind,
    name: input.name,
    municipalityId: input.kind === 'municipality' ? input.municipalityCode! : parent!.municipalityId,
    parentId: input.parentId,
    ...(input.institutionType ? { institutionType: input.institutionType } : {}),
    ...(input.externalId ? { externalId: input.externalId } : {}),
  };
}
