// Assessments of a child or a group. Staff work with the children placed in their institution
// now (from transitions' enrollment events) and see the assessments made there; a child that
// moved is no longer theirs. Parents with custody read what staff shared, and answer the
// parents' part. Every read and write is audit-logged.
import { randomUUID } from 'node:crypto';
import type { Request, Router } from 'express';
import { AppError, forbidden, notFound, setVersionTag, validated, versionToChange, writeAtVersion, z } from '@spor/service-kit';
import { principalOf, requireNsisLevel, requireParent, type Principal, type StaffRole } from '@spor/auth';
import { childAccessRefusal, danishDay, holdsRoleAt, institutionsGivingAccess, placementGivingAccess, type DirectoryView, type KnownPlacement } from '@spor/directory';
import type { AuditLog } from '@spor/audit';
import type { Stored } from '@spor/events';
import { amend, answer, answerAsParent, complete, concernPrompts, developmentOf, jointBasis, ownParentAnswers, sealedFor, shared, startAssessment, PARENT_FIELDS, type Assessment, type Target } from '../domain/assessment.js';
import { ageInMonths, type Answer, type Answers, type InstrumentDefinition } from '../domain/instrument.js';
import type { InstrumentCatalogue } from '../store/instrument-catalogue.js';
import type { AssessmentRepository } from '../store/assessment-repository.js';

export const ASSESSMENT_ROLES: StaffRole[] = ['educator', 'leader', 'internal-guide', 'praksisvejleder', 'advisory-team', 'ppr-psychologist', 'pedagogical-consultant'];

/** The institutions whose assessments of the child staff may see today (libs/directory, institutionsGivingAccess). */
export const assessmentInstitutions = (directory: DirectoryView, principal: Principal, childId: string, day: string) => institutionsGivingAccess(directory, principal, childId, day, ASSESSMENT_ROLES);

// Any JSON value here: whether it fits an item is the instrument's question, answered with 422
// ANSWERS_INVALID naming the items (the body limit bounds the size).
const answerValue = z.unknown();
const answers = z.record(z.string().max(200), answerValue) as unknown as z.ZodType<Answers>;
const params = z.object({ assessmentId: z.uuid() });

export interface AssessmentDeps {
  assessments: AssessmentRepository;
  catalogue: InstrumentCatalogue;
  directory: DirectoryView;
  audit: AuditLog;
  clock: () => Date;
}


export function assessmentRoutes(router: Router, deps: AssessmentDeps): void {
  const { assessments, catalogue, directory, audit, clock } = deps;
  const today = () => danishDay(clock());
  /** A unit, its groups and the units above it. */
  const works = (principal: Principal, unitId: string) => holdsRoleAt(directory, principal, ASSESSMENT_ROLES, unitId);
  const childOf = (a: Assessment) => (a.target.kind === 'child' ? a.target.childId : undefined);

  /**
   * Staff who may work with this target now, and the institution the assessment belongs to. With
   * an instrument: one of the institution types it is for (a child in school and SFO has a
   * language screening at the school, whichever placement comes first).
   */
  async function institutionFor(principal: Principal, target: Target, def?: InstrumentDefinition): Promise<string> {
    if (target.kind === 'child') {
      const fits = (p: KnownPlacement) => !def || p.institutionType === undefined || def.institutionTypes.includes(p.institutionType);
      const placement = await placementGivingAccess(directory, principal, target.childId, today(), ASSESSMENT_ROLES, fits);
      if (placement) return placement.institutionId;
      const elsewhere = await placementGivingAccess(directory, principal, target.childId, today(), ASSESSMENT_ROLES);
      if (elsewhere && def) throw notForInstitution(def, elsewhere.institutionType ?? '');
      throw await refusal(principal, target.childId);
    }
    const group = await directory.unit(target.groupId);
    if (!group || group.kind !== 'group' || group.municipalityId !== principal.municipalityId || !group.parentId) throw notFound(`group ${target.groupId}`);
    // A group of the municipality is no secret to its staff: 403 as for a child there, not 404.
    if (!(await works(principal, target.groupId))) throw forbidden('no access: you hold no role on this group or a unit above it', 'RELATION_REQUIRED');
    // A group's type is its institution's (the unit path is cached).
    const type = (await directory.unitPath(group.parentId))[0]?.institutionType;
    if (def && type && !def.institutionTypes.includes(type)) throw notForInstitution(def, type);
    return group.parentId;
  }

  const notForInstitution = (def: InstrumentDefinition, type: string) =>
    new AppError({ status: 422, code: 'INSTRUMENT_NOT_FOR_INSTITUTION', title: 'The instrument is not used at this kind of institution', detail: `instrumentId: ${def.instrumentId} is for ${def.institutionTypes.join(', ')}, not ${type}`, errors: [{ in: 'body', field: 'instrumentId', message: `not for ${type}` }] });

  const refusal = (principal: Principal, childId: string) => childAccessRefusal(directory, principal, childId);


  /**
   * Staff see a child's assessment while the child is placed, today, at the institution it was made
   * at, through a placement that gives them access (institutionsGivingAccess): after a move the old
   * institution's assessments stay there, also for staff who work at both institutions or above
   * them. `reached`: the child's institutionsGivingAccess, when the caller has them already. A
   * group's is for those who work with that group (or above it): reaching the institution through
   * another of its groups is not enough.
   */
  async function staffMaySee(principal: Principal, a: Assessment, reached?: Set<string>): Promise<boolean> {
    if (a.municipalityId !== principal.municipalityId) return false;
    if (a.target.kind === 'group') return (await works(principal, a.institutionId)) && works(principal, a.target.groupId);
    return (reached ?? (await assessmentInstitutions(directory, principal, a.target.childId, today()))).has(a.institutionId);
  }

  /** The assessment and its instrument version, once access is checked; not yet audited. */
  async function access(req: Request, id: string): Promise<{ a: Stored<Assessment>; def: InstrumentDefinition }> {
    const principal = principalOf(req);
    const a = await assessments.get(id);
    if (!a || (principal.kind === 'staff' && a.municipalityId !== principal.municipalityId)) throw notFound(`assessment ${id}`);
    const allowed = principal.kind === 'parent' ? await parentMaySee(principal, a) : await staffMaySee(principal, a);
    if (!allowed) throw principal.kind === 'staff' ? forbidden('no access: the assessment belongs to a child or institution you hold no role for now', 'RELATION_REQUIRED') : notFound(`assessment ${id}`);
    const def = await catalogue.version(a.municipalityId, a.instrumentId, a.instrumentVersion);
    if (!def) throw new Error(`instrument ${a.instrumentId} version ${a.instrumentVersion} of assessment ${id} is missing`);
    return { a, def };
  }

  const auditOf = (req: Request, a: Stored<Assessment>, action: string) => audit.record(principalOf(req), { action, recordType: 'assessment', recordId: a._id, ...(childOf(a) ? { childId: childOf(a)! } : {}) });

  /**
   * A change: the domain decides first, so a refused change (409, 422) leaves no entry claiming
   * it happened; the entry is written before the store write, so no change is ever without one.
   */
  async function change(req: Request, id: string, action: string, next: (a: Stored<Assessment>, def: InstrumentDefinition) => Assessment | Promise<Assessment>, publish?: 'completed' | 'amended'): Promise<Stored<Assessment>> {
    const { a, def } = await access(req, id);
    // A change sent with If-Match applies to that version only (412 otherwise), before anything is decided or logged.
    versionToChange(req, a.version);
    const changed = await next(a, def);
    // The domain answers the same assessment when there is nothing to change: a read, not a write.
    if (changed === a) {
      await auditOf(req, a, 'read');
      setVersionTag(req.res!, a.version);
      return a;
    }
    await auditOf(req, a, action);
    const saved = await writeAtVersion(req, () => assessments.save(a, changed, publish));
    setVersionTag(req.res!, saved.version);
    return saved;
  }

  /** One professional's independent rating is theirs alone until it is completed. */
  function raterOnly(req: Request, a: Assessment): void {
    if (a.rating === 'independent' && a.createdBy !== principalOf(req).subject) throw forbidden('an independent rating is filled in and completed by the professional who rates', 'RATER_REQUIRED');
  }

  async function parentMaySee(principal: Principal, a: Assessment): Promise<boolean> {
    return a.target.kind === 'child' && a.sharedWithParents && (await directory.custodyHolders(a.target.childId)).includes(principal.subject);
  }

  const staffView = (a: Stored<Assessment>) => {
    const { _id, version, ...rest } = a;
    return { id: _id, version, ...rest };
  };
  /** Another professional's independent rating before the viewer may see it (sealedFor): who and when, not what. */
  const sealedView = (a: Stored<Assessment>) => ({ ...staffView(a), answers: {}, parentAnswers: [], results: [], amendments: [], sealed: true as const });
  const staffViewFor = (principal: Principal, a: Stored<Assessment>, childAssessments: Stored<Assessment>[]) => (sealedFor(principal.subject, a, childAssessments) ? sealedView(a) : staffView(a));
  /**
   * Parents see the results (PARENT_FIELDS, as their insight does) and the answers they gave
   * themselves, not staff's working notes, nor another custody holder's answers: separated
   * parents answer apart, and neither reads the other's words.
   */
  const parentView = (a: Stored<Assessment>, parentId: string) => ({ id: a._id, ...Object.fromEntries(PARENT_FIELDS.map((field) => [field, a[field] ?? null])), parentAnswers: ownParentAnswers(a, parentId) });
  const staffOnly = (req: Request) => {
    if (principalOf(req).kind !== 'staff') throw forbidden('only staff do this', 'ROLE_REQUIRED');
  };

  router.post(
    '/assessments',
    validated(
      {
        body: z
          .strictObject({ instrumentId: z.string().regex(/^[a-z][a-z0-9-]{1,60}$/), instrumentVersion: z.int().min(1).optional(), childId: z.uuid().optional(), groupId: z.uuid().optional(), rating: z.enum(['single', 'independent', 'joint']).optional(), basedOn: z.array(z.uuid()).max(10).optional(), answers: answers.optional(), complete: z.boolean().optional() })
          .refine((b) => (b.childId === undefined) !== (b.groupId === undefined), { error: 'name either childId or groupId', path: ['childId'] }),
      },
      async ({ body }, req, res) => {
        staffOnly(req);
        const principal = principalOf(req);
        const current = await catalogue.current(principal.municipalityId, body.instrumentId);
        if (!current) throw new AppError({ status: 422, code: 'UNKNOWN_INSTRUMENT', title: 'No such instrument', detail: `instrumentId: no instrument ${body.instrumentId}; GET /instruments lists them`, errors: [{ in: 'body', field: 'instrumentId', message: 'no such instrument' }] });
        if (body.instrumentVersion !== undefined && body.instrumentVersion !== current.version) {
          throw new AppError({ status: 422, code: 'WRONG_INSTRUMENT_VERSION', title: 'Not the version in use', detail: `instrumentVersion: new assessments use version ${current.version} of ${current.instrumentId}`, errors: [{ in: 'body', field: 'instrumentVersion', message: `new assessments use version ${current.version}` }] });
        }
        const target: Target = body.childId ? { kind: 'child', childId: body.childId } : { kind: 'group', groupId: body.groupId! };
        if (target.kind !== current.target) throw new AppError({ status: 422, code: 'WRONG_TARGET', title: 'The instrument assesses something else', detail: `${current.instrumentId} assesses a ${current.target}`, errors: [{ in: 'body', field: target.kind === 'child' ? 'childId' : 'groupId', message: `${current.instrumentId} assesses a ${current.target}` }] });
        const institutionId = await institutionFor(principal, target, current);
        const rating = body.rating ?? (current.independentRaters ? 'independent' : 'single');
        const basedOn = await checkRatings(current, { target, institutionId }, rating, body.basedOn ?? []);
        const ageMonths = target.kind === 'child' ? await ageToday(target.childId) : null;
        if (target.kind === 'child') checkAge(current, ageMonths);
        const id = randomUUID();
        const draft = startAssessment({ municipalityId: principal.municipalityId, instrumentId: current.instrumentId, instrumentVersion: current.version, target, institutionId, ageMonths, rating, basedOn, createdBy: principal.subject, createdAt: clock().toISOString(), ...(body.answers ? { answers: body.answers } : {}) }, current);
        // A form filled in at once (or offline) is created and completed in one write.
        const completed = body.complete ? complete(draft, current, principal.subject, clock()) : null;
        // The entry before the write, as for every change: a write is never without one.
        await audit.record(principal, { action: body.complete ? 'create-completed' : 'create', recordType: 'assessment', recordId: id, ...(body.childId ? { childId: body.childId } : {}) });
        const created = completed ? await assessments.createCompleted(id, completed) : await assessments.create(id, draft);
        setVersionTag(res, created.version);
        res.status(201).location(`/assessments/${id}`).json(staffView(created));
      },
    ),
  );

  /** The child's age in months today (null when its birth month is not known). */
  async function ageToday(childId: string): Promise<number | null> {
    const child = await directory.person(childId);
    return child?.birthYear && child.birthMonth ? ageInMonths(child.birthYear, child.birthMonth, today()) : null;
  }

  /**
   * A child is assessed at its age on the day the assessment is completed: a draft started at 47
   * months and completed at 49 is scored in the age band of 49, and one the child has outgrown
   * meanwhile is not completed. A child no longer in the directory keeps the age it was started at.
   */
  async function ageOnCompletion(a: Assessment, def: InstrumentDefinition): Promise<Assessment> {
    if (a.target.kind !== 'child') return a;
    const ageMonths = (await ageToday(a.target.childId)) ?? a.ageMonths;
    checkAge(def, ageMonths);
    return ageMonths === a.ageMonths ? a : { ...a, ageMonths };
  }

  /** An age-banded instrument scores a child of an age it was written for, and needs that age known. */
  function checkAge(def: InstrumentDefinition, ageMonths: number | null): void {
    if (!def.ageMonths) return;
    if (ageMonths === null || ageMonths < def.ageMonths.min || ageMonths > def.ageMonths.max) {
      const what = ageMonths === null ? 'the child’s age is not known' : `the child is ${ageMonths} months`;
      throw new AppError({ status: 422, code: 'OUTSIDE_AGE_RANGE', title: 'The instrument is not for a child of this age', detail: `childId: ${def.instrumentId} is for ${def.ageMonths.min} to ${def.ageMonths.max} months; ${what}`, errors: [{ in: 'body', field: 'childId', message: `${what}; the instrument is for ${def.ageMonths.min} to ${def.ageMonths.max} months` }] });
    }
  }

  /** A joint rating rests on independent ratings of its own round (jointBasis); one professional's rating on none. */
  async function checkRatings(def: InstrumentDefinition, joint: Pick<Assessment, 'target' | 'institutionId'>, rating: Assessment['rating'], basedOn: string[]): Promise<string[]> {
    if (!def.independentRaters) {
      if (rating !== 'single') throw new AppError({ status: 422, code: 'RATING_INVALID', title: 'Not a multi-rater instrument', detail: `rating: ${def.instrumentId} is rated once`, errors: [{ in: 'body', field: 'rating', message: 'the instrument is rated once (single)' }] });
      return [];
    }
    if (rating === 'single') throw new AppError({ status: 422, code: 'RATING_INVALID', title: 'A multi-rater instrument', detail: `rating: ${def.instrumentId} is rated independently by ${def.independentRaters} professionals, then jointly`, errors: [{ in: 'body', field: 'rating', message: 'independent or joint' }] });
    if (rating === 'independent' || joint.target.kind !== 'child') return [];
    const [named, childRatings] = await Promise.all([Promise.all(basedOn.map((id) => assessments.get(id))), assessments.forChild(joint.target.childId)]);
    return jointBasis({ instrumentId: def.instrumentId, ...joint }, def.independentRaters, named, childRatings);
  }

  router.get(
    '/assessments/:assessmentId',
    validated({ params }, async ({ params: p }, req, res) => {
      const { a } = await access(req, p.assessmentId);
      await auditOf(req, a, 'read');
      setVersionTag(res, a.version);
      const principal = principalOf(req);
      if (principal.kind === 'parent') {
        res.json(parentView(a, principal.subject));
        return;
      }
      // Sealed with no other rating known: another professional's independent rating, whose
      // seal depends on the child's other ratings. Nothing else needs them.
      const childId = a.target.kind === 'child' ? a.target.childId : null;
      const others = childId && sealedFor(principal.subject, a, []) ? await assessments.forChild(childId) : [];
      res.json(staffViewFor(principal, a, others));
    }),
  );

  router.patch(
    '/assessments/:assessmentId',
    validated({ params, body: z.strictObject({ answers: z.record(z.string().max(200), answerValue) as unknown as z.ZodType<Record<string, Answer | null>> }) }, async ({ params: p, body }, req, res) => {
      staffOnly(req);
      res.json(staffView(await change(req, p.assessmentId, 'update', (a, def) => (raterOnly(req, a), answer(a, def, body.answers)))));
    }),
  );

  router.post(
    '/assessments/:assessmentId/complete',
    validated({ params }, async ({ params: p }, req, res) => {
      staffOnly(req);
      const completed = await change(req, p.assessmentId, 'complete', async (a, def) => {
        raterOnly(req, a);
        // Completing a completed assessment is 409 whatever the child's age now.
        const done = complete(a.status === 'draft' ? await ageOnCompletion(a, def) : a, def, principalOf(req).subject, clock());
        // Another joint rating may have been completed on the same ratings since this one was started.
        if (a.rating === 'joint') await checkRatings(def, a, a.rating, a.basedOn);
        return done;
      }, 'completed');
      res.json(staffView(completed));
    }),
  );

  router.post(
    '/assessments/:assessmentId/amendments',
    validated({ params, body: z.strictObject({ answers, reason: z.string().trim().min(5).max(1000) }) }, async ({ params: p, body }, req, res) => {
      staffOnly(req);
      res.status(201).json(staffView(await change(req, p.assessmentId, 'amend', (a, def) => (raterOnly(req, a), amend(a, def, body.answers, body.reason, principalOf(req).subject, clock())), 'amended')));
    }),
  );

  router.post(
    '/assessments/:assessmentId/sharing',
    validated({ params, body: z.strictObject({ sharedWithParents: z.boolean() }) }, async ({ params: p, body }, req, res) => {
      staffOnly(req);
      res.json(staffView(await change(req, p.assessmentId, body.sharedWithParents ? 'share' : 'unshare', (a) => shared(a, body.sharedWithParents))));
    }),
  );

  // The parents' part: custody holders answer it while the assessment is open to them (staff share
  // it), each their own: whose answers these are is the signed-in parent, never the body's word.
  router.put(
    '/assessments/:assessmentId/parent-answers',
    requireParent('the parents’ part is answered by the parents'),
    requireNsisLevel('substantial'),
    validated({ params, body: z.strictObject({ answers }) }, async ({ params: p, body }, req, res) => {
      const parentId = principalOf(req).subject;
      res.json(parentView(await change(req, p.assessmentId, 'answer-as-parent', (a, def) => answerAsParent(a, def, parentId, body.answers, clock())), parentId));
    }),
  );

  router.get(
    '/children/:childId/assessments',
    validated({ params: z.object({ childId: z.uuid() }), query: z.strictObject({ instrumentId: z.string().max(61).optional() }) }, async ({ params: p, query }, req, res) => {
      const principal = principalOf(req);
      if (principal.kind === 'service') throw notFound(`child ${p.childId}`);
      const reached = principal.kind === 'staff' ? await assessmentInstitutions(directory, principal, p.childId, today()) : new Set<string>();
      if (principal.kind === 'staff' && reached.size === 0) throw await refusal(principal, p.childId);
      const visibleAll: Stored<Assessment>[] = [];
      // The relation to the child is looked up once above (staff) or here (parents), not per assessment.
      const custody = principal.kind === 'parent' && (await directory.custodyHolders(p.childId)).includes(principal.subject);
      // A parent without custody learns nothing, not even an empty list, and leaves no read in the child's trail.
      if (principal.kind === 'parent' && !custody) throw notFound(`child ${p.childId}`);
      const all = await assessments.forChild(p.childId);
      for (const a of all) if (principal.kind === 'parent' ? custody && a.sharedWithParents : await staffMaySee(principal, a, reached)) visibleAll.push(a);
      const visible = visibleAll.filter((a) => !query.instrumentId || a.instrumentId === query.instrumentId);
      await audit.record(principal, { action: 'read', recordType: 'assessment-history', recordId: null, childId: p.childId });
      if (principal.kind === 'parent') {
        res.json({ childId: p.childId, items: visible.map((a) => parentView(a, principal.subject)), development: developmentOf(visible) });
        return;
      }
      // Sealed independent ratings are listed (the team needs their ids for the joint one) without what they say.
      const shown = visible.map((a) => ({ a, sealed: sealedFor(principal.subject, a, all) }));
      // The duty-to-notify prompt is for the team, not the parents (R13), whatever instrument is asked for.
      res.json({ childId: p.childId, items: shown.map(({ a, sealed }) => (sealed ? sealedView(a) : staffView(a))), development: developmentOf(visible), prompts: concernPrompts(visibleAll) });
    }),
  );

  // A group's assessments (the learning environment) over time, for staff who work with the group.
  router.get(
    '/groups/:groupId/assessments',
    validated({ params: z.object({ groupId: z.uuid() }), query: z.strictObject({ instrumentId: z.string().max(61).optional() }) }, async ({ params: p, query }, req, res) => {
      staffOnly(req);
      const principal = principalOf(req);
      await institutionFor(principal, { kind: 'group', groupId: p.groupId });
      const all = (await assessments.forGroup(p.groupId)).filter((a) => !query.instrumentId || a.instrumentId === query.instrumentId);
      const visible: Stored<Assessment>[] = [];
      for (const a of all) if (await staffMaySee(principal, a)) visible.push(a);
      await audit.record(principal, { action: 'read', recordType: 'assessment-history', recordId: p.groupId });
      res.json({ groupId: p.groupId, items: visible.map(staffView), development: developmentOf(visible) });
    }),
  );
}
