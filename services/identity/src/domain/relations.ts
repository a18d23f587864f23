// Who stands where: staff members' roles in units (memberships) and parents' relations to
// children (guardianship, with or without custody). Pure rules.
import { AppError, type FieldError } from '@spor/service-kit';
import { STAFF_ROLES, type StaffRole } from '@spor/auth';
import type { Person } from './person.js';
import type { OrgUnit } from './org-unit.js';

export interface Membership {
  personId: string;
  unitId: string;
  role: StaffRole;
  municipalityId: string;
  from: string;
  to?: string;
}

export interface Guardianship {
  parentId: string;
  childId: string;
  custody: boolean;
  municipalityId: string;
}

export const membershipId = (personId: string, unitId: string, role: string) => `${personId}:${unitId}:${role}`;
export const guardianshipId = (parentId: string, childId: string) => `${parentId}:${childId}`;

function refuse(errors: FieldError[]): never {
  throw new AppError({ status: 422, code: 'RELATION_NOT_ALLOWED', title: 'The directory does not allow this relation', detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors });
}

export function checkMembership(person: Person, unit: OrgUnit, role: string): asserts role is StaffRole {
  const errors: FieldError[] = [];
  if (person.kind !== 'staff') errors.push({ in: 'body', field: 'personId', message: `only staff hold roles; this person is a ${person.kind}` });
  if (!(STAFF_ROLES as readonly string[]).includes(role)) errors.push({ in: 'body', field: 'role', message: `must be one of ${STAFF_ROLES.join(', ')}` });
  if (unit.closedOn) errors.push({ in: 'body', field: 'unitId', message: `the unit was closed on ${unit.closedOn}` });
  if (errors.length > 0) refuse(errors);
}

export function checkGuardianship(parent: Person, child: Person): void {
  const errors: FieldError[] = [];
  if (parent.kind !== 'parent') errors.push({ in: 'body', field: 'parentId', message: `must be a parent; this person is a ${parent.kind}` });
  if (child.kind !== 'child') errors.push({ in: 'body', field: 'childId', message: `must be a child; this person is a ${child.kind}` });
  if (errors.length > 0) refuse(errors);
}
