// Enrollments: the municipality's administration, or the institution's leader, enrols a child,
// moves it between groups or institutions, and ends a placement. Staff of the child's current
// institution (or above it) read the child's placements; an institution's staff list the
// children placed there on a day. Units and children are checked against transitions' own
// view of identity's directory.
import type { AuditLog } from '@spor/audit';
import { recordPlacement } from '../placement-audit.js';
import { randomUUID } from 'node:crypto';
import type { Request, Router } from 'express';
import { AppError, forbidden, notFound, validated, z } from '@spor/service-kit';
import { principalOf, type Principal, type StaffRole } from '@spor/auth';
import { danishDay, holdsRoleAt, holdsRoleOn, type DirectoryView, type KnownUnit } from '@spor/directory';
import type { Stored } from '@spor/events';
import { INSTITUTION_TYPES, end, enrol, move, placementsOn, samePlacement, type ChildEnrollment, type InstitutionType, type Placement } from '../domain/enrollment.js';
import type { EnrollmentRepository } from '../store/enrollment-repository.js';

const MANAGERS: StaffRole[] = ['system-administrator', 'administration', 'leader'];
/** Staff who work with the children of a unit and may see where they are placed. */
export const READERS: StaffRole[] = ['educator', 'leader', 'internal-guide', 'praksisvejleder', 'advisory-team', 'family-counsellor', 'ppr-psychologist', 'pedagogical-consultant', 'administration', 'system-administrator'];

const day = z.iso.date();
const childParams = z.object({ childId: z.uuid() });
const placementParams = z.object({ childId: z.uuid(), placementId: z.uuid() });

export interface EnrollmentDeps {
  enrollments: EnrollmentRepository;
  directory: DirectoryView;
  clock: () => Date;
  audit: AuditLog;
}


export function enrollmentRoutes(router: Router, deps: EnrollmentDeps): void {
  const { enrollments, directory, clock } = deps;

  /** A placement's write (or a write that found it done already, a read) on the child's record. */
  const placementLogged = (req: Request, action: 'create' | 'update' | 'read', childId: string, placement: Pick<Placement, 'placementId' | 'institutionId'>) =>
    recordPlacement(deps.audit, principalOf(req), action, childId, placement);

  /** The institution (and group) a placement names, checked against the directory; `path` holds it and the units above it. */
  async function placeOf(req: Request, institutionId: string, groupId: string | null, from: string): Promise<{ institution: KnownUnit; path: Set<string> }> {
    const principal = principalOf(req);
    const path = await directory.unitPath(institutionId);
    const institution = path[0];
    if (!institution || institution.municipalityId !== principal.municipalityId) throw notFound(`institution ${institutionId}`);
    if (institution.kind !== 'institution') throw invalid('institutionId', `unit ${institutionId} is ${institution.kind === 'group' ? 'a group' : `a ${institution.kind}`}, not an institution`);
    if (institution.closedOn && institution.closedOn <= from) throw invalid('institutionId', `the institution closed on ${institution.closedOn}`);
    if (groupId) {
      const group = await directory.unit(groupId);
      if (!group || group.parentId !== institutionId) throw invalid('groupId', `unit ${groupId} is not a group of institution ${institutionId}`);
      if (group.closedOn && group.closedOn <= from) throw invalid('groupId', `the group closed on ${group.closedOn}`);
    }
    return { institution, path: new Set(path.map((u) => u._id)) };
  }

  const mayManage = (req: Request, ...paths: Set<string>[]) => {
    if (!paths.some((path) => holdsRoleOn(principalOf(req), MANAGERS, path))) throw forbidden(`this needs one of the roles ${MANAGERS.join(', ')} on the institution or above it`, 'ROLE_REQUIRED');
  };

  async function childOf(req: Request, childId: string): Promise<void> {
    const child = await directory.person(childId);
    if (!child || child.kind !== 'child' || child.municipalityId !== principalOf(req).municipalityId) throw notFound(`child ${childId}`);
  }

  /** Staff may read a child's placements while it is placed on or under a unit they hold a role on (today), and managers of any unit it was ever placed in. */
  async function mayRead(principal: Principal, state: Stored<ChildEnrollment>): Promise<boolean> {
    const today = danishDay(clock());
    for (const placement of state.placements) {
      const path = new Set([...(await directory.unitPath(placement.institutionId)).map((u) => u._id), ...(placement.groupId ? [placement.groupId] : [])]);
      const current = placementsOn(state, today).includes(placement);
      if (current && holdsRoleOn(principal, READERS, path)) return true;
      if (holdsRoleOn(principal, ['system-administrator', 'administration'], path)) return true;
    }
    return false;
  }

  const newPlacement = (institution: KnownUnit, body: { groupId?: string | null | undefined; from: string; to?: string | null | undefined }): Placement => ({
    placementId: randomUUID(),
    institutionId: institution._id,
    institutionType: institution.institutionType as InstitutionType,
    groupId: body.groupId ?? null,
    from: body.from,
    to: body.to ?? null,
  });

  router.post(
    '/children/:childId/placements',
    validated({ params: childParams, body: z.strictObject({ institutionId: z.uuid(), groupId: z.uuid().nullable().optional(), from: day, to: day.nullable().optional() }) }, async ({ params, body }, req, res) => {
      await childOf(req, params.childId);
      const { institution, path } = await placeOf(req, body.institutionId, body.groupId ?? null, body.from);
      mayManage(req, path);
      if (!INSTITUTION_TYPES.includes(institution.institutionType as InstitutionType)) throw invalid('institutionId', 'the institution has no known type');
      const current = await enrollments.get(params.childId);
      const placement = newPlacement(institution, body);
      // The same enrolment sent again (a retry, a re-run import) finds the placement it made.
      const same = samePlacement(current, placement);
      if (same) {
        await placementLogged(req, 'read', params.childId, same);
        res.status(200).location(`/children/${params.childId}/placements/${same.placementId}`).json(same);
        return;
      }
      // The domain decides first (an overlap is refused with no entry); the entry before the write, so a placement is never without one.
      const next = enrol(current, institution.municipalityId, placement);
      await placementLogged(req, 'create', params.childId, placement);
      await enrollments.enrolled(params.childId, current, next, placement);
      res.status(201).location(`/children/${params.childId}/placements/${placement.placementId}`).json(placement);
    }),
  );

  router.post(
    '/children/:childId/placements/:placementId/move',
    validated({ params: placementParams, body: z.strictObject({ institutionId: z.uuid().optional(), groupId: z.uuid().nullable().optional(), on: day }) }, async ({ params, body }, req, res) => {
      const current = await enrollments.get(params.childId);
      const from = current?.placements.find((p) => p.placementId === params.placementId);
      if (!current || !from || current.municipalityId !== principalOf(req).municipalityId) throw notFound(`placement ${params.placementId} of child ${params.childId}`);
      const institutionId = body.institutionId ?? from.institutionId;
      const groupId = body.groupId === undefined ? (institutionId === from.institutionId ? from.groupId : null) : body.groupId;
      const { institution, path } = await placeOf(req, institutionId, groupId, body.on);
      // The sending institution's managers may move a child out, as the receiving one's may move it in.
      mayManage(req, path, new Set((await directory.unitPath(from.institutionId)).map((u) => u._id)));
      const placement = newPlacement(institution, { groupId, from: body.on });
      const { state, previous } = move(current, params.placementId, placement);
      await placementLogged(req, 'update', params.childId, from);
      await placementLogged(req, 'create', params.childId, placement);
      await enrollments.moved(current, state, placement, previous);
      res.status(201).location(`/children/${params.childId}/placements/${placement.placementId}`).json({ placement, previous });
    }),
  );

  router.post(
    '/children/:childId/placements/:placementId/end',
    validated({ params: placementParams, body: z.strictObject({ to: day }) }, async ({ params, body }, req, res) => {
      const current = await enrollments.get(params.childId);
      const placement = current?.placements.find((p) => p.placementId === params.placementId);
      if (!current || !placement || current.municipalityId !== principalOf(req).municipalityId) throw notFound(`placement ${params.placementId} of child ${params.childId}`);
      mayManage(req, new Set((await directory.unitPath(placement.institutionId)).map((u) => u._id)));
      const result = end(current, params.placementId, body.to);
      if (!result) {
        await placementLogged(req, 'read', params.childId, placement);
        res.json(placement);
        return;
      }
      await placementLogged(req, 'update', params.childId, placement);
      await enrollments.ended(current, result.state, result.ended);
      res.json(result.ended);
    }),
  );

  router.get(
    '/children/:childId/placements',
    validated({ params: childParams }, async ({ params }, req, res) => {
      const principal = principalOf(req);
      const state = await enrollments.get(params.childId);
      if (!state || state.municipalityId !== principal.municipalityId || !(await mayRead(principal, state))) throw notFound(`placements of child ${params.childId}`);
      await deps.audit.record(principal, { action: 'read', recordType: 'placements', recordId: params.childId, childId: params.childId });
      res.json({ childId: params.childId, current: placementsOn(state, danishDay(clock())), items: state.placements });
    }),
  );

  router.get(
    '/institutions/:institutionId/children',
    validated({ params: z.object({ institutionId: z.uuid() }), query: z.strictObject({ on: day.optional() }) }, async ({ params, query }, req, res) => {
      const principal = principalOf(req);
      const institution = await directory.unit(params.institutionId);
      if (!institution || institution.kind !== 'institution' || institution.municipalityId !== principal.municipalityId) throw notFound(`institution ${params.institutionId}`);
      if (!(await holdsRoleAt(directory, principal, READERS, params.institutionId))) throw forbidden('listing an institution’s children needs a role on it, one of its groups, or above it', 'ROLE_REQUIRED');
      const on = query.on ?? danishDay(clock());
      const items = (await enrollments.withInstitution(params.institutionId)).flatMap((state) => placementsOn(state, on).filter((p) => p.institutionId === params.institutionId).map((p) => ({ childId: state._id, ...p })));
      await deps.audit.record(principal, { action: 'search', recordType: 'placements', recordId: null, institutionId: params.institutionId, criterion: { institutionId: params.institutionId, on } });
      res.json({ institutionId: params.institutionId, on, items });
    }),
  );
}

function invalid(field: string, message: string): AppError {
  return new AppError({ status: 422, code: 'ENROLLMENT_INVALID', title: 'The placement is not valid', detail: `${field}: ${message}`, errors: [{ in: 'body', field, message }] });
}
