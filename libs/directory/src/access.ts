// The relation rule of ARCHITECTURE.md, "staff see children enrolled in their institution now",
// decided from a service's own DirectoryView: a role held on the child's current institution,
// on its group, or on a unit above the institution (a district's or the municipality's staff,
// such as the pedagogical consultants) gives access. Which roles count is each route's choice.
import type { Principal, StaffRole } from '@spor/auth';
import { forbidden, notFound, type AppError } from '@spor/service-kit';
import type { DirectoryView, KnownPlacement } from './directory-view.js';

/** Whether a staff principal holds one of `roles` on one of `units`. */
export function holdsRoleOn(principal: Principal, roles: readonly string[], units: Set<string>): boolean {
  return principal.kind === 'staff' && principal.roles.some((r) => roles.includes(r.role) && units.has(r.unitId));
}

/** Whether a staff principal holds one of `roles` on the unit, one of its groups, or a unit above it. */
export async function holdsRoleAt(directory: DirectoryView, principal: Principal, roles: readonly string[], unitId: string): Promise<boolean> {
  return holdsRoleOn(principal, roles, await directory.reachOf(unitId));
}

/** The child's placements on `day` through which the staff member has access (among those `accept` takes). */
export async function placementsGivingAccess(directory: DirectoryView, principal: Principal, childId: string, day: string, roles: readonly StaffRole[], accept: (placement: KnownPlacement) => boolean = () => true): Promise<KnownPlacement[]> {
  if (principal.kind !== 'staff') return [];
  const grants = principal.roles.filter((r) => roles.includes(r.role)).map((r) => r.unitId);
  if (grants.length === 0) return [];
  const giving: KnownPlacement[] = [];
  for (const placement of await directory.placementsOn(childId, day)) {
    if (placement.municipalityId !== principal.municipalityId || !accept(placement)) continue;
    const reach = new Set([placement.groupId, ...(await directory.unitPath(placement.institutionId)).map((u) => u._id)].filter((id): id is string => !!id));
    if (grants.some((unitId) => reach.has(unitId))) giving.push(placement);
  }
  return giving;
}

/** The child's placement on `day` through which the staff member has access, if any (among those `accept` takes). */
export async function placementGivingAccess(directory: DirectoryView, principal: Principal, childId: string, day: string, roles: readonly StaffRole[], accept: (placement: KnownPlacement) => boolean = () => true): Promise<KnownPlacement | null> {
  return (await placementsGivingAccess(directory, principal, childId, day, roles, accept))[0] ?? null;
}

export async function staffMaySeeChild(directory: DirectoryView, principal: Principal, childId: string, day: string, roles: readonly StaffRole[]): Promise<boolean> {
  return (await placementGivingAccess(directory, principal, childId, day, roles)) !== null;
}

/**
 * The institutions whose records of the child the staff member may see on `day`: those the child
 * is placed at then, through a placement that gives them access. A record made at an institution
 * stays there when the child moves on, also for staff who work at both institutions or above
 * them: asking apart whether they reach the record's institution and whether they may see the
 * child let a leader of two kindergartens keep the first one's records after a move to the second.
 */
export async function institutionsGivingAccess(directory: DirectoryView, principal: Principal, childId: string, day: string, roles: readonly StaffRole[]): Promise<Set<string>> {
  return new Set((await placementsGivingAccess(directory, principal, childId, day, roles)).map((p) => p.institutionId));
}

// Built once: constructing a DateTimeFormat costs far more than formatting with one.
const COPENHAGEN = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Copenhagen', year: 'numeric', month: '2-digit', day: '2-digit' });

/** Today's date in Denmark as YYYY-MM-DD: placements change at midnight Danish time. */
export function danishDay(now: Date): string {
  return COPENHAGEN.format(now);
}

/**
 * The refusal for staff who may not see a child: 403 when the child is in their municipality
 * (they learn nothing they could not ask the administration), 404 otherwise, so nobody learns
 * of children in other municipalities.
 */
export async function childAccessRefusal(directory: DirectoryView, principal: Principal, childId: string): Promise<AppError> {
  const child = await directory.person(childId);
  return child?.kind === 'child' && child.municipalityId === principal.municipalityId ? forbidden('no access: the child is not placed in an institution where you hold a role now', 'RELATION_REQUIRED') : notFound(`child ${childId}`);
}
