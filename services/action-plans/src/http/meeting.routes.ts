// Meetings (with the consents R11 and R12 ask for), intermediate provisions (R14), and
// notifications of concern (R13: a legal duty, no consent, seen only by the leader and the
// pedagogical consultants; everyone else is answered as if there were none).
import { randomUUID } from 'node:crypto';
import type { Request, Router } from 'express';
import type { Collection } from 'mongodb';
import { conflict, notFound, validated, z } from '@spor/service-kit';
import { principalOf, type Principal } from '@spor/auth';
import { danishDay, placementGivingAccess, type ConsentView } from '@spor/directory';
import type { Stored } from '@spor/events';
import { MEETING_KINDS, REFERRALS, checkProvision, consentsNeeded, refuseWithoutConsent, type Meeting } from '../domain/meetings.js';
import type { Plan } from '../domain/plan.js';
import type { CaseRepository } from '../store/case-repository.js';
import { PLAN_ROLES, type PlanDeps } from './plan.routes.js';

export interface ConcernNotification {
  _id: string;
  municipalityId: string;
  childId: string;
  institutionId: string;
  on: string;
  summary: string;
  recordedBy: string;
  recordedAt: Date;
}

const text = z.string().trim().min(1).max(10_000);
const day = z.iso.date();
const CONCERN_READERS = ['leader', 'pedagogical-consultant'] as const;

export function meetingRoutes(router: Router, deps: PlanDeps & { consents: ConsentView; cases: Pick<CaseRepository, 'grantsFor'>; notifications: Collection<ConcernNotification>; loadPlan: (req: Request, id: string, action: string) => Promise<Stored<Plan>> }): void {
  const { plans, consents, notifications, directory, audit, clock } = deps;
  const today = () => danishDay(clock());

  router.post(
    '/plans/:planId/meetings',
    validated(
      {
        params: z.object({ planId: z.uuid() }),
        body: z.strictObject({ kind: z.enum(MEETING_KINDS), on: day, participants: z.array(z.strictObject({ role: z.string().trim().min(1).max(100), external: z.boolean() })).min(1).max(30), minutes: text.optional(), referral: z.enum(REFERRALS).optional() }),
      },
      async ({ params, body }, req, res) => {
        const plan = await deps.loadPlan(req, params.planId, 'record-meeting');
        // A closed plan is a public record as it was closed (as PATCH keeps it).
        if (plan.status === 'closed') throw conflict('PLAN_CLOSED', 'the plan is closed: a meeting is recorded on an open plan');
        const needed = plan.childId ? consentsNeeded(body) : [];
        // The consent must have covered the meeting's day (R11, R12): one granted after a
        // meeting held without it does not make that meeting lawful.
        const found = await Promise.all(needed.map(async (n) => ({ need: n, consent: await consents.validConsentOn(plan.childId!, n.purposeId, {}, body.on, clock()) })));
        refuseWithoutConsent(found.filter((f) => !f.consent).map((f) => f.need), body.on);
        const meeting: Meeting = { meetingId: randomUUID(), ...body, consentIds: found.map((f) => f.consent!._id) };
        const saved = await plans.save(plan, { ...plan, meetings: [...plan.meetings, meeting] });
        res.status(201).json({ planId: saved._id, meeting });
      },
    ),
  );

  router.post(
    '/plans/:planId/provisions',
    validated(
      {
        params: z.object({ planId: z.uuid() }),
        body: z.strictObject({ purpose: text, content: text, method: text, pedagogy: text, from: day, to: day, followUpOn: day, parentsInvolvement: text, childPerspective: text, learningCommunity: text }),
      },
      async ({ params, body }, req, res) => {
        const plan = await deps.loadPlan(req, params.planId, 'add-provision');
        checkProvision(body, plan, plan.childId ? await deps.cases.grantsFor(plan.childId, 'mellemform') : []);
        const provision = { provisionId: randomUUID(), ...body };
        await plans.save(plan, { ...plan, provisions: [...plan.provisions, provision] });
        res.status(201).json({ planId: plan._id, provision });
      },
    ),
  );

  const mayReadConcerns = async (principal: Principal, institutionId: string) =>
    principal.kind === 'staff' && principal.roles.some((r) => (CONCERN_READERS as readonly string[]).includes(r.role)) && (await directory.unitPath(institutionId)).some((u) => principal.roles.some((r) => (CONCERN_READERS as readonly string[]).includes(r.role) && r.unitId === u._id));

  router.post(
    '/children/:childId/concern-notifications',
    validated({ params: z.object({ childId: z.uuid() }), body: z.strictObject({ on: day, summary: text }) }, async ({ params, body }, req, res) => {
      const principal = principalOf(req);
      const placement = await placementGivingAccess(directory, principal, params.childId, today(), PLAN_ROLES);
      if (!placement) throw notFound(`child ${params.childId}`);
      const doc: ConcernNotification = { _id: randomUUID(), municipalityId: principal.municipalityId, childId: params.childId, institutionId: placement.institutionId, on: body.on, summary: body.summary, recordedBy: principal.subject, recordedAt: clock() };
      await audit.record(principal, { action: 'record-concern', recordType: 'concern-notification', recordId: doc._id, childId: params.childId });
      await notifications.insertOne(doc);
      // The one who records it sees the receipt, not the list: that stays with the leader and the consultants.
      res.status(201).json({ id: doc._id, childId: doc.childId, on: doc.on, recordedAt: doc.recordedAt.toISOString() });
    }),
  );

  router.get(
    '/children/:childId/concern-notifications',
    validated({ params: z.object({ childId: z.uuid() }) }, async ({ params }, req, res) => {
      const principal = principalOf(req);
      const all = await notifications.find({ childId: params.childId, municipalityId: principal.municipalityId }).toArray();
      const visible: ConcernNotification[] = [];
      for (const n of all) if (await mayReadConcerns(principal, n.institutionId)) visible.push(n);
      // Anyone else learns nothing, not even that there are notifications (R13).
      if (visible.length === 0) throw notFound(`concern notifications for child ${params.childId}`);
      await audit.record(principal, { action: 'read', recordType: 'concern-notification', recordId: null, childId: params.childId });
      res.json({ items: visible.map(({ _id, ...n }) => ({ id: _id, ...n, recordedAt: n.recordedAt.toISOString() })) });
    }),
  );
}
