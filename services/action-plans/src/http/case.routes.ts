// District council meetings and resource cases. The pedagogical consultant keeps the meetings;
// the leader (or the consultant) submits a case; the council's decision is recorded by its
// members or the consultant, and the parents read the written answer.
import { randomUUID } from 'node:crypto';
import type { Router } from 'express';
import { AppError, forbidden, notFound, validated, z } from '@spor/service-kit';
import { principalOf, type Principal } from '@spor/auth';
import { danishDay, holdsRoleAt, placementGivingAccess, type ConsentView } from '@spor/directory';
import type { Stored } from '@spor/events';
import { CASE_KINDS, checkSubmission, decide, goesToCouncil, type ResourceCase } from '../domain/resource-case.js';
import type { CaseRepository } from '../store/case-repository.js';
import type { PlanDeps } from './plan.routes.js';
import { PARENTS_SEE_OF_A_CASE } from '../privacy.js';

const day = z.iso.date();

export function caseRoutes(router: Router, deps: PlanDeps & { cases: CaseRepository; consents: ConsentView }): void {
  const { cases, plans, directory, consents, audit, clock } = deps;
  const today = () => danishDay(clock());
  const holds = (p: Principal, roles: string[], unitId: string) => holdsRoleAt(directory, p, roles, unitId);
  const districtOf = async (unitId: string) => (await directory.unitPath(unitId)).find((u) => u.kind === 'district');
  const consentValid = async (childId: string) => !!(await consents.validConsent(childId, 'resource-assessment', {}, clock()));

  router.post(
    '/districts/:districtId/council-meetings',
    validated({ params: z.object({ districtId: z.uuid() }), body: z.strictObject({ on: day }) }, async ({ params, body }, req, res) => {
      const principal = principalOf(req);
      const district = await directory.unit(params.districtId);
      if (!district || district.kind !== 'district' || district.municipalityId !== principal.municipalityId) throw notFound(`district ${params.districtId}`);
      if (!(await holds(principal, ['pedagogical-consultant'], params.districtId))) throw forbidden('district council meetings are kept by the pedagogical consultant', 'ROLE_REQUIRED');
      const meeting = { _id: randomUUID(), municipalityId: principal.municipalityId, districtId: params.districtId, on: body.on, createdBy: principal.subject };
      await cases.meetings.insertOne(meeting);
      res.status(201).json(meeting);
    }),
  );

  router.get(
    '/districts/:districtId/council-meetings',
    validated({ params: z.object({ districtId: z.uuid() }) }, async ({ params }, req, res) => {
      res.json({ items: await cases.meetings.find({ districtId: params.districtId, municipalityId: principalOf(req).municipalityId }).sort({ on: 1 }).toArray() });
    }),
  );

  router.post(
    '/resource-cases',
    validated(
      { body: z.strictObject({ kind: z.enum(CASE_KINDS), childId: z.uuid().optional(), groupId: z.uuid().optional(), planId: z.uuid().optional(), meetingId: z.uuid().optional(), parentsInformedOn: day.optional() }) },
      async ({ body }, req, res) => {
        const principal = principalOf(req);
        let institutionId: string;
        // A case is about a group or about one child: the other id would put the case on a record it does not concern.
        const stray = body.kind === 'group-without-cpr' ? (body.childId ? 'childId' : null) : body.groupId ? 'groupId' : null;
        if (stray) throw new AppError({ status: 422, code: 'CASE_INVALID', title: 'The case is not valid', detail: `${stray}: a ${body.kind} case ${stray === 'childId' ? 'is about a group, not one child' : 'is about one child, not a group'}`, errors: [{ in: 'body', field: stray, message: `not part of a ${body.kind} case` }] });
        if (body.kind === 'group-without-cpr') {
          const group = body.groupId ? await directory.unit(body.groupId) : null;
          if (!group || group.kind !== 'group' || group.municipalityId !== principal.municipalityId || !group.parentId) throw new AppError({ status: 422, code: 'CASE_INVALID', title: 'The case is not valid', detail: 'groupId: a group case names a group of the municipality' });
          institutionId = group.parentId;
        } else {
          if (!body.childId) throw new AppError({ status: 422, code: 'CASE_INVALID', title: 'The case is not valid', detail: `childId: a ${body.kind} case names the child` });
          const placement = await placementGivingAccess(directory, principal, body.childId, today(), ['leader', 'pedagogical-consultant']);
          if (!placement) throw notFound(`child ${body.childId}`);
          institutionId = placement.institutionId;
        }
        if (!(await holds(principal, ['leader', 'pedagogical-consultant'], institutionId))) throw forbidden('a resource case is submitted by the institution’s leader or a pedagogical consultant', 'ROLE_REQUIRED');
        const district = await districtOf(institutionId);
        const meeting = body.meetingId ? await cases.meetings.findOne({ _id: body.meetingId, municipalityId: principal.municipalityId }) : null;
        if (body.meetingId && (!meeting || meeting.districtId !== district?._id)) throw new AppError({ status: 422, code: 'CASE_INVALID', title: 'The case is not valid', detail: 'meetingId: no council meeting of the institution’s district with this id' });
        const plan = body.planId ? await plans.get(body.planId) : null;
        const candidate: Omit<ResourceCase, 'status'> = {
          municipalityId: principal.municipalityId,
          districtId: district!._id,
          institutionId,
          kind: body.kind,
          childId: body.childId ?? null,
          groupId: body.groupId ?? null,
          planId: body.planId ?? null,
          meetingId: goesToCouncil(body.kind) ? (meeting?._id ?? null) : null,
          meetingOn: goesToCouncil(body.kind) ? (meeting?.on ?? null) : null,
          consentId: body.childId && body.kind === 'child-with-cpr' ? ((await consents.validConsent(body.childId, 'resource-assessment', {}, clock()))?._id ?? null) : null,
          parentsInformedOn: body.parentsInformedOn ?? null,
          submittedOn: today(),
          submittedBy: principal.subject,
        };
        checkSubmission(candidate, { plan, childEfforts: body.childId ? (await plans.forChild(body.childId)).flatMap((p) => p.efforts) : [], consentValid: candidate.consentId !== null });
        const id = randomUUID();
        await audit.record(principal, { action: 'submit', recordType: 'resource-case', recordId: id, ...(body.childId ? { childId: body.childId } : {}) });
        const saved = await cases.submit(id, { ...candidate, status: 'submitted' });
        res.status(201).location(`/resource-cases/${id}`).json(show(saved));
      },
    ),
  );

  const show = (c: Stored<ResourceCase>) => {
    const { _id, version, ...rest } = c;
    return { id: _id, version, ...rest };
  };

  async function load(principal: Principal, id: string): Promise<Stored<ResourceCase>> {
    const c = await cases.get(id);
    if (!c || (principal.kind === 'staff' && c.municipalityId !== principal.municipalityId)) throw notFound(`resource case ${id}`);
    if (principal.kind === 'parent') {
      if (!c.childId || !(await directory.custodyHolders(c.childId)).includes(principal.subject)) throw notFound(`resource case ${id}`);
      return c;
    }
    if (!(await holds(principal, ['leader', 'pedagogical-consultant', 'district-council-member'], c.institutionId))) throw forbidden('resource cases are for the leader, the consultants and the district council', 'ROLE_REQUIRED');
    return c;
  }

  router.get(
    '/resource-cases/:caseId',
    validated({ params: z.object({ caseId: z.uuid() }) }, async ({ params }, req, res) => {
      const principal = principalOf(req);
      const c = await load(principal, params.caseId);
      await audit.record(principal, { action: 'read', recordType: 'resource-case', recordId: c._id, ...(c.childId ? { childId: c.childId } : {}) });
      // Parents read the decision and its written answer (R7), not the case file.
      res.json(principal.kind === 'parent' ? { id: c._id, kind: c.kind, status: c.status, decision: c.decision ? parentsSeeOfDecision(c.decision) : null } : show(c));
    }),
  );

  router.post(
    '/resource-cases/:caseId/decision',
    validated(
      { params: z.object({ caseId: z.uuid() }), body: z.strictObject({ outcome: z.string().max(40), from: day.optional(), months: z.int().min(1).max(12).optional(), goals: z.array(z.string().trim().min(1).max(500)).max(20).default([]), answer: z.string().trim().min(10).max(10_000) }) },
      async ({ params, body }, req, res) => {
        const principal = principalOf(req);
        if (principal.kind !== 'staff') throw forbidden('decisions are recorded by staff', 'ROLE_REQUIRED');
        const c = await load(principal, params.caseId);
        const next = decide(c, body, { personId: principal.subject, roles: principal.roles.map((r) => r.role) }, today(), c.childId && c.kind === 'child-with-cpr' ? await consentValid(c.childId) : true);
        await audit.record(principal, { action: 'decide', recordType: 'resource-case', recordId: c._id, ...(c.childId ? { childId: c.childId } : {}) });
        const saved = await cases.decided(c, next);
        res.json(show(saved));
      },
    ),
  );
}

/** The decision's fields parents read, here as in their insight: one list, PARENTS_SEE_OF_A_CASE (not who decided). */
const PARENTS_SEE_OF_A_DECISION = PARENTS_SEE_OF_A_CASE.filter((f) => f.startsWith('decision.')).map((f) => f.slice('decision.'.length));

function parentsSeeOfDecision(decision: NonNullable<ResourceCase['decision']>): Record<string, unknown> {
  return Object.fromEntries(PARENTS_SEE_OF_A_DECISION.filter((f) => f in decision).map((f) => [f, (decision as unknown as Record<string, unknown>)[f]]));
}
