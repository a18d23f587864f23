// Planned transitions, the goodbye/hello checklist and the handover package. The sending
// institution's staff plan, tick, write and release; parents with custody see the package and
// comment on it; the receiving institution's staff read and acknowledge a released package for
// as long as its legal basis holds (a withdrawn consent ends their access at once: 404) and the
// child has not left them again.
import type { AuditLog } from '@spor/audit';
import { randomUUID } from 'node:crypto';
import type { Request, Router } from 'express';
import { AppError, conflict, forbidden, notFound, validated, z } from '@spor/service-kit';
import { principalOf, requireNsisLevel, type Principal, type StaffRole } from '@spor/auth';
import { danishDay, holdsRoleAt, type ConsentView, type DirectoryView } from '@spor/directory';
import type { KeyedMutex, Stored } from '@spor/events';
import { transitionFlowKey } from '../completion.js';
import { categoryOf, dayBefore, placementsOn, type InstitutionType } from '../domain/enrollment.js';
import { acknowledge, cancelTransition, commentAsParent, packageOutline, editHandover, planTransition, receiverStillHasTheChild, release, revoke, showToParents, tickChecklist, type LegalBasis, type Transition } from '../domain/transition.js';
import type { EnrollmentRepository } from '../store/enrollment-repository.js';
import type { TransitionRepository } from '../store/transition-repository.js';
import { READERS } from './enrollment.routes.js';
import { revocationReason } from '../revocation.js';
import type { ResultsView } from '../store/results-view.js';
import type { ExternalResultsView } from '../store/external-results-view.js';
import type { PlansView } from '../store/plans-view.js';

/**
 * Need to know: the package (the child's and the parents' own words, results, plans) is the
 * pedagogical staff's, on both sides. The municipality's administration plans, completes and
 * cancels moves, and sees a transition without the package's content.
 */
const ADMINISTRATIVE: StaffRole[] = ['system-administrator', 'administration'];
const SENDERS: StaffRole[] = ['educator', 'leader', 'pedagogical-consultant'];
const PLANNERS: StaffRole[] = ['leader', 'pedagogical-consultant', ...ADMINISTRATIVE];
const PACKAGE_READERS: StaffRole[] = READERS.filter((r) => !ADMINISTRATIVE.includes(r));
const text = z.string().trim().min(1).max(10_000);
const params = z.object({ transitionId: z.uuid() });

export interface TransitionDeps {
  transitions: TransitionRepository;
  enrollments: EnrollmentRepository;
  directory: DirectoryView;
  consents: ConsentView;
  results: ResultsView;
  externalResults: ExternalResultsView;
  plans: PlansView;
  legalBasis: (municipalityId: string) => LegalBasis;
  clock: () => Date;
  /** Moves the enrollment of a transition whose date has come or that staff confirm. */
  complete: (id: string, by: Principal) => Promise<Stored<Transition>>;
  /** Completing and cancelling one transition take turns (completion.ts). */
  locks: KeyedMutex;
  audit: AuditLog;
}


/** 422 naming the field that makes a planned transition impossible. */
const transitionInvalid = (field: string, message: string) =>
  new AppError({ status: 422, code: 'TRANSITION_INVALID', title: 'The transition is not valid', detail: `${field}: ${message}`, errors: [{ in: 'body', field, message }] });

export function transitionRoutes(router: Router, deps: TransitionDeps): void {
  const { transitions, enrollments, directory, consents, clock } = deps;

  /** Every read and change of a child's transition or package is audit-logged: a read for GET, a change otherwise. */
  const logged = (req: Request, recordType: string, t: Stored<Transition>, institutionId: string) =>
    deps.audit.record(principalOf(req), { action: req.method === 'GET' ? 'read' : 'update', recordType, recordId: t._id, childId: t.childId, institutionId });

  async function load(req: Request, id: string): Promise<Stored<Transition>> {
    const t = await transitions.get(id);
    if (!t || t.municipalityId !== principalOf(req).municipalityId) throw notFound(`transition ${id}`);
    return t;
  }

  /** The sending side: staff with a role on the institution the child leaves (or above it). */
  async function asSender(req: Request, id: string, roles = SENDERS): Promise<Stored<Transition>> {
    const t = await load(req, id);
    if (!(await holdsRoleAt(directory, principalOf(req), roles, t.fromInstitutionId))) throw notFound(`transition ${id}`);
    await logged(req, 'transition', t, t.fromInstitutionId);
    return t;
  }

  /**
   * The sending side while the child is still theirs to hand over: once the transition is
   * completed (the child has moved) or cancelled, the institution it left reads the transition as
   * it stands but no longer previews, writes or releases a package. Refused before it is logged.
   */
  async function asSenderBeforeTheMove(req: Request, id: string): Promise<Stored<Transition>> {
    const t = await load(req, id);
    if (!(await holdsRoleAt(directory, principalOf(req), SENDERS, t.fromInstitutionId))) throw notFound(`transition ${id}`);
    if (t.status !== 'planned') throw conflict(t.status === 'completed' ? 'TRANSITION_COMPLETED' : 'TRANSITION_CANCELLED', `the transition is ${t.status}: the child is no longer the sending institution's to hand over`);
    await logged(req, 'transition', t, t.fromInstitutionId);
    return t;
  }

  async function asCustodyHolder(req: Request, id: string): Promise<Stored<Transition>> {
    const principal = principalOf(req);
    const t = await transitions.get(id);
    if (!t || principal.kind !== 'parent') throw notFound(`transition ${id}`);
    if (!(await directory.custodyHolders(t.childId)).includes(principal.subject)) throw forbidden('you do not hold custody of this child', 'NO_CUSTODY');
    await logged(req, 'transition', t, t.fromInstitutionId);
    return t;
  }

  /**
   * The receiving side sees a package only while it is released on a basis that still holds,
   * and, once the child has moved, while the child is still theirs.
   */
  async function asReceiver(req: Request, id: string): Promise<Stored<Transition>> {
    const t = await load(req, id);
    if (!(await holdsRoleAt(directory, principalOf(req), PACKAGE_READERS, t.toInstitutionId))) throw notFound(`handover ${id}`);
    if (t.handover.status !== 'released' && t.handover.status !== 'acknowledged') throw notFound(`handover ${id}`);
    if (!receiverStillHasTheChild(t, (await enrollments.get(t.childId))?.placements ?? [], danishDay(clock()))) throw notFound(`handover ${id}`);
    if (t.handover.legalBasis === 'consent' && !(await consents.validConsent(t.childId, 'transition-transfer', { receivingUnitId: t.toInstitutionId }, clock()))) {
      // The consent event may still be on its way to the revocation handler; the read is refused
      // now and the revocation recorded here as well (idempotent with the handler's).
      const reason = revocationReason(t.handover.consentId ? await consents.get(t.handover.consentId) : null);
      const revoked = revoke(t, reason, clock());
      if (revoked) await transitions.save(t, revoked, 'revoked', { reason }).catch(() => undefined);
      throw notFound(`handover ${id}`);
    }
    await logged(req, 'handover-package', t, t.toInstitutionId);
    return t;
  }

  const show = (t: Stored<Transition>) => {
    const { _id, version, ...rest } = t;
    return { id: _id, version, ...rest };
  };
  /**
   * What goes along from the other services, as transitions knows it from their events now: the
   * sending institution's own records only. What another institution made (an earlier one, whose
   * handover may have been withdrawn, or a later one) is not the sender's to pass on.
   */
  const packageContent = async (t: Transition) => ({
    ...(t.handover.includeAssessments
      ? {
          assessmentResults: (await deps.results.latestPerInstrument(t.childId, t.fromInstitutionId)).map(({ childId: _c, institutionId: _i, ...r }) => r),
          externalResults: await deps.externalResults.latestPerSource(t.childId, t.fromInstitutionId),
        }
      : {}),
    ...(t.handover.includeActionPlans ? { actionPlans: await deps.plans.summaries(t.childId, t.fromInstitutionId) } : {}),
  });

  /** What the receiving institution reads: the package, not the sender's checklist. */
  const showPackage = (t: Stored<Transition>) => ({ id: t._id, childId: t.childId, fromInstitutionId: t.fromInstitutionId, toInstitutionId: t.toInstitutionId, date: t.date, kind: t.kind, handover: t.handover });

  router.post(
    '/transitions',
    validated(
      { body: z.strictObject({ childId: z.uuid(), toInstitutionId: z.uuid(), toGroupId: z.uuid().nullable().optional(), date: z.iso.date(), checklist: z.array(z.strictObject({ key: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/), label: z.string().trim().min(1).max(200) })).min(1).max(30).optional() }) },
      async ({ body }, req, res) => {
        const principal = principalOf(req);
        const enrollment = await enrollments.get(body.childId);
        const to = await directory.unit(body.toInstitutionId);
        if (!enrollment || enrollment.municipalityId !== principal.municipalityId) throw notFound(`placements of child ${body.childId}`);
        if (!to || to.kind !== 'institution' || to.municipalityId !== principal.municipalityId) throw notFound(`institution ${body.toInstitutionId}`);
        if (to.closedOn && to.closedOn <= body.date) throw transitionInvalid('toInstitutionId', `the institution closes on ${to.closedOn}`);
        // The group becomes the child's placement on the day, and with it who may see the child.
        if (body.toGroupId) {
          const group = await directory.unit(body.toGroupId);
          if (!group || group.kind !== 'group' || group.parentId !== to._id) throw transitionInvalid('toGroupId', `unit ${body.toGroupId} is not a group of institution ${to._id}`);
          if (group.closedOn && group.closedOn <= body.date) throw transitionInvalid('toGroupId', `the group closes on ${group.closedOn}`);
        }
        const toType = to.institutionType as InstitutionType;
        // The child leaves the placement it has the day before, of the same kind, or (into SFO) its school.
        const before = placementsOn(enrollment, dayBefore(body.date));
        const from = before.find((p) => categoryOf(p.institutionType) === categoryOf(toType)) ?? (categoryOf(toType) === 'sfo' ? before.find((p) => categoryOf(p.institutionType) === 'school') : undefined) ?? before.find((p) => categoryOf(p.institutionType) === 'daycare');
        if (!from) throw transitionInvalid('date', `the child has no placement on ${dayBefore(body.date)} to leave from`);
        if (!(await holdsRoleAt(directory, principal, PLANNERS, from.institutionId))) throw forbidden(`planning a transition needs one of the roles ${PLANNERS.join(', ')} on the sending institution or above it`, 'ROLE_REQUIRED');
        const id = randomUUID();
        const planned = planTransition({ municipalityId: enrollment.municipalityId, childId: body.childId, fromPlacementId: from.placementId, fromInstitutionId: from.institutionId, toInstitutionId: to._id, toGroupId: body.toGroupId ?? null, date: body.date, plannedBy: principal.subject, fromType: from.institutionType, toType, ...(body.checklist ? { checklist: body.checklist } : {}) });
        const saved = await transitions.create(id, planned);
        await deps.audit.record(principal, { action: 'create', recordType: 'transition', recordId: id, childId: body.childId, institutionId: from.institutionId });
        res.status(201).location(`/transitions/${id}`).json(show(saved));
      },
    ),
  );

  /** A transition as its reader may see it: the package's content for the sending institution's pedagogical staff only. */
  const shownTo = async (req: Request, t: Stored<Transition>) =>
    (await holdsRoleAt(directory, principalOf(req), SENDERS, t.fromInstitutionId)) ? show(t) : show({ ...t, handover: packageOutline(t.handover) });

  router.get(
    '/transitions/:transitionId',
    validated({ params }, async ({ params: p }, req, res) => {
      res.json(await shownTo(req, await asSender(req, p.transitionId, [...SENDERS, ...PLANNERS])));
    }),
  );

  router.post(
    '/transitions/:transitionId/checklist/:key',
    validated({ params: params.extend({ key: z.string().max(41) }), body: z.strictObject({ done: z.boolean() }) }, async ({ params: p, body }, req, res) => {
      const t = await asSenderBeforeTheMove(req, p.transitionId);
      res.json(show(await transitions.save(t, tickChecklist(t, p.key, body.done, principalOf(req).subject, clock()))));
    }),
  );

  router.patch(
    '/transitions/:transitionId/handover',
    validated(
      { params, body: z.strictObject({ note: text.optional(), childPerspective: text.optional(), parentsPerspective: text.optional(), includeAssessments: z.boolean().optional(), includeActionPlans: z.boolean().optional() }).refine((b) => Object.keys(b).length > 0, { error: 'name at least one field of the package' }) },
      async ({ params: p, body }, req, res) => {
        const t = await asSenderBeforeTheMove(req, p.transitionId);
        const change = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
        res.json(show(await transitions.save(t, editHandover(t, change))));
      },
    ),
  );

  // What would go along if released now: the sender checks the package before release.
  router.get(
    '/transitions/:transitionId/handover/preview',
    validated({ params }, async ({ params: p }, req, res) => {
      const t = await asSenderBeforeTheMove(req, p.transitionId);
      const content = await packageContent(t);
      res.json({ ...showPackage(t).handover, assessmentResults: content.assessmentResults ?? [], externalResults: content.externalResults ?? [], actionPlans: content.actionPlans ?? [] });
    }),
  );

  router.post(
    '/transitions/:transitionId/handover/show-parents',
    validated({ params }, async ({ params: p }, req, res) => {
      const t = await asSenderBeforeTheMove(req, p.transitionId);
      res.json(show(await transitions.save(t, showToParents(t, await packageContent(t)))));
    }),
  );

  router.post(
    '/transitions/:transitionId/handover/release',
    validated({ params }, async ({ params: p }, req, res) => {
      const t = await asSenderBeforeTheMove(req, p.transitionId);
      const basis = deps.legalBasis(t.municipalityId);
      const consent = basis === 'consent' ? await consents.validConsent(t.childId, 'transition-transfer', { receivingUnitId: t.toInstitutionId }, clock()) : null;
      // What goes along is frozen now: the receiving institution sees what was released, not later results.
      const content = await packageContent(t);
      const next = release(t, basis, consent?._id ?? null, principalOf(req).subject, clock(), content);
      const saved = next === t ? t : await transitions.save(t, next, 'released', { legalBasis: basis, ...(consent ? { consentId: consent._id } : {}) });
      res.json(show(saved));
    }),
  );

  router.post(
    '/transitions/:transitionId/cancel',
    validated({ params }, async ({ params: p }, req, res) => {
      await asSender(req, p.transitionId, PLANNERS);
      // In turn with a completion of the same transition, on the transition as it is then.
      const saved = await deps.locks.run(transitionFlowKey(p.transitionId), async () => {
        const t = (await transitions.get(p.transitionId))!;
        const next = cancelTransition(t, principalOf(req).subject, clock());
        return next ? transitions.save(t, next, 'cancelled') : t;
      });
      res.json(await shownTo(req, saved));
    }),
  );

  router.post(
    '/transitions/:transitionId/complete',
    validated({ params }, async ({ params: p }, req, res) => {
      await asSender(req, p.transitionId, PLANNERS);
      res.json(await shownTo(req, await deps.complete(p.transitionId, principalOf(req))));
    }),
  );

  // Parents: the packages about their children once shown to them, and their comments.
  router.get('/my/handovers', async (req, res) => {
    const principal = principalOf(req);
    if (principal.kind !== 'parent') throw forbidden('this list is for parents', 'PARENT_REQUIRED');
    const children = await directory.childrenInCustody(principal.subject);
    for (const childId of children) await deps.audit.record(principal, { action: 'read', recordType: 'handover-package', recordId: null, childId });
    const mine = await transitions.forChildren(children);
    res.json({ items: mine.filter((t) => t.handover.status !== 'draft').map(showPackage) });
  });

  router.post(
    '/transitions/:transitionId/handover/comments',
    requireNsisLevel('substantial'),
    validated({ params, body: z.strictObject({ text }) }, async ({ params: p, body }, req, res) => {
      const t = await asCustodyHolder(req, p.transitionId);
      res.status(201).json(showPackage(await transitions.save(t, commentAsParent(t, principalOf(req).subject, body.text, clock()))));
    }),
  );

  // The receiving institution.
  router.get('/handovers/:transitionId', validated({ params }, async ({ params: p }, req, res) => res.json(showPackage(await asReceiver(req, p.transitionId)))));

  router.post(
    '/handovers/:transitionId/acknowledge',
    validated({ params }, async ({ params: p }, req, res) => {
      const t = await asReceiver(req, p.transitionId);
      const next = acknowledge(t, principalOf(req).subject, clock());
      res.json(showPackage(next === t ? t : await transitions.save(t, next, 'acknowledged')));
    }),
  );
}
