// Action plans over HTTP. Staff with a pedagogical or advisory role on the child's current
// institution (or the group's) write and read the plans made there; custody holders read the
// plans shared with them. Every read and write is audit-logged with the child.
import { randomUUID } from 'node:crypto';
import type { Request, Router } from 'express';
import { forbidden, notFound, validated, z } from '@spor/service-kit';
import { principalOf, type Principal, type StaffRole } from '@spor/auth';
import { childAccessRefusal, danishDay, holdsRoleAt, institutionsGivingAccess, placementGivingAccess, type DirectoryView } from '@spor/directory';
import type { AuditLog } from '@spor/audit';
import type { Stored } from '@spor/events';
import { ACTORS, DECISIONS, EFFORT_LEVELS, PERSPECTIVE_KEYS, activate, addEffort, changePlan, close, draftPlan, evaluate, invalid, type Plan } from '../domain/plan.js';
import type { PlanRepository } from '../store/plan-repository.js';

export const PLAN_ROLES: StaffRole[] = ['educator', 'leader', 'internal-guide', 'praksisvejleder', 'advisory-team', 'family-counsellor', 'ppr-psychologist', 'pedagogical-consultant'];

const text = z.string().trim().min(1).max(4000);
const day = z.iso.date();
const perspective = z.strictObject(Object.fromEntries(PERSPECTIVE_KEYS.map((k) => [k, text.optional()])) as Record<(typeof PERSPECTIVE_KEYS)[number], z.ZodOptional<typeof text>>);
const goal = z.strictObject({ text: text.max(500), signs: z.array(text.max(500)).max(20) });
const params = z.object({ planId: z.uuid() });

export interface PlanDeps {
  plans: PlanRepository;
  directory: DirectoryView;
  audit: AuditLog;
  clock: () => Date;
}

export function planRoutes(router: Router, deps: PlanDeps): { loadPlan: (req: Request, id: string, action: string) => Promise<Stored<Plan>> } {
  const { plans, directory, audit, clock } = deps;
  const today = () => danishDay(clock());
  const works = (principal: Principal, unitId: string) => holdsRoleAt(directory, principal, PLAN_ROLES, unitId);

  const refusal = (principal: Principal, childId: string) => childAccessRefusal(directory, principal, childId);


  /** The institution a new plan belongs to: the child's (through which the caller has access) or the group's. */
  async function institutionFor(principal: Principal, childId: string | null, groupId: string | null): Promise<string> {
    let institutionId: string | undefined;
    if (childId) {
      const placement = await placementGivingAccess(directory, principal, childId, today(), PLAN_ROLES);
      if (!placement) throw await refusal(principal, childId);
      institutionId = placement.institutionId;
    }
    if (groupId) {
      const group = await directory.unit(groupId);
      if (!group || group.kind !== 'group' || group.municipalityId !== principal.municipalityId || !group.parentId || !(await works(principal, groupId))) throw notFound(`group ${groupId}`);
      if (institutionId && group.parentId !== institutionId) throw forbidden('the group is not in the child’s institution', 'RELATION_REQUIRED');
      institutionId = group.parentId;
    }
    return institutionId!;
  }

  /**
   * A group's plan: those who work at its institution. A child's plan: while the child is placed,
   * with them, at the institution the plan was made at (institutionsGivingAccess): after a move it
   * stays there, also for staff who work at both institutions. `reached`: the child's
   * institutionsGivingAccess, when the caller has them already.
   */
  async function staffMaySee(principal: Principal, plan: Plan, reached?: Set<string>): Promise<boolean> {
    if (plan.municipalityId !== principal.municipalityId) return false;
    if (!plan.childId) return works(principal, plan.institutionId);
    return (reached ?? (await institutionsGivingAccess(directory, principal, plan.childId, today(), PLAN_ROLES))).has(plan.institutionId);
  }

  const parentMaySee = async (principal: Principal, plan: Plan) => plan.sharedWithParents && !!plan.childId && (await directory.custodyHolders(plan.childId)).includes(principal.subject);

  async function load(req: Request, id: string, action: string): Promise<Stored<Plan>> {
    const principal = principalOf(req);
    const plan = await plans.get(id);
    if (!plan || (principal.kind === 'staff' && plan.municipalityId !== principal.municipalityId)) throw notFound(`plan ${id}`);
    const allowed = principal.kind === 'parent' ? await parentMaySee(principal, plan) : await staffMaySee(principal, plan);
    if (!allowed) throw principal.kind === 'staff' ? forbidden('no access: the plan belongs to a child or institution you hold no role for now', 'RELATION_REQUIRED') : notFound(`plan ${id}`);
    await audit.record(principal, { action, recordType: 'action-plan', recordId: id, ...(plan.childId ? { childId: plan.childId } : {}) });
    return plan;
  }

  const staffOnly = (req: Request) => {
    if (principalOf(req).kind !== 'staff') throw forbidden('only staff do this', 'ROLE_REQUIRED');
  };
  const show = (p: Stored<Plan>) => {
    const { _id, version, ...rest } = p;
    return { id: _id, version, ...rest };
  };
  /** All the child's efforts, across its plans, for the R5 guard. */
  const childEfforts = async (plan: Plan) => (plan.childId ? (await plans.forChild(plan.childId)).flatMap((p) => p.efforts) : []);

  router.post(
    '/plans',
    validated(
      { body: z.strictObject({ childId: z.uuid().optional(), groupId: z.uuid().optional(), startOn: day, nextEvaluationOn: day.optional(), goals: z.array(goal).max(20).default([]), perspectives: z.strictObject({ child: perspective.default({}), parents: perspective.default({}) }).default({ child: {}, parents: {} }), participants: z.array(z.uuid()).max(30).default([]) }) },
      async ({ body }, req, res) => {
        staffOnly(req);
        const principal = principalOf(req);
        const institutionId = await institutionFor(principal, body.childId ?? null, body.groupId ?? null);
        const id = randomUUID();
        const plan = draftPlan({ municipalityId: principal.municipalityId, childId: body.childId ?? null, groupId: body.groupId ?? null, institutionId, startOn: body.startOn, nextEvaluationOn: body.nextEvaluationOn ?? null, goals: body.goals, perspectives: body.perspectives, participants: body.participants, createdBy: principal.subject });
        // The entry before the write, as for every change: a plan is never without one.
        await audit.record(principal, { action: 'create', recordType: 'action-plan', recordId: id, ...(plan.childId ? { childId: plan.childId } : {}) });
        const saved = await plans.create(id, plan);
        res.status(201).location(`/plans/${id}`).json(show(saved));
      },
    ),
  );

  router.get('/plans/:planId', validated({ params }, async ({ params: p }, req, res) => res.json(show(await load(req, p.planId, 'read')))));

  router.patch(
    '/plans/:planId',
    validated({ params, body: z.strictObject({ addGoals: z.array(goal).max(20).optional(), nextEvaluationOn: day.optional(), perspectives: z.strictObject({ child: perspective.optional(), parents: perspective.optional() }).optional(), sharedWithParents: z.boolean().optional() }) }, async ({ params: p, body }, req, res) => {
      staffOnly(req);
      const plan = await load(req, p.planId, 'update');
      res.json(show(await plans.save(plan, changePlan(plan, body, today()))));
    }),
  );

  router.post(
    '/plans/:planId/activate',
    validated({ params }, async ({ params: p }, req, res) => {
      staffOnly(req);
      const plan = await load(req, p.planId, 'activate');
      res.json(show(await plans.save(plan, activate(plan, today()), 'activated', {}, today())));
    }),
  );

  router.post(
    '/plans/:planId/efforts',
    // The level is checked by the domain so an unknown one is a 422 naming it, like the other plan rules.
    validated({ params, body: z.strictObject({ level: z.string().max(40), description: text.max(1000), actors: z.array(z.enum(ACTORS)).min(1).max(10), start: day, end: day.nullable().default(null) }) }, async ({ params: p, body }, req, res) => {
      staffOnly(req);
      const plan = await load(req, p.planId, 'add-effort');
      if (!(EFFORT_LEVELS as readonly string[]).includes(body.level)) {
        throw invalid([{ in: 'body', field: 'level', message: `one of ${EFFORT_LEVELS.join(', ')}` }], 'R2');
      }
      const { plan: next, effort } = addEffort(plan, { ...body, level: body.level as (typeof EFFORT_LEVELS)[number] }, await childEfforts(plan));
      const saved = await plans.save(plan, next, plan.status === 'active' ? 'effort-added' : undefined, { effortId: effort.effortId, level: effort.level }, today());
      res.status(201).json({ plan: show(saved), effort });
    }),
  );

  router.post(
    '/plans/:planId/evaluations',
    validated({ params, body: z.strictObject({ on: day, goals: z.array(z.strictObject({ goalId: z.uuid(), signsSeen: z.array(z.uuid()).max(20), adjustment: text.max(2000).optional() })).max(20), decision: z.enum(DECISIONS), nextEvaluationOn: day.nullable().default(null) }) }, async ({ params: p, body }, req, res) => {
      staffOnly(req);
      const plan = await load(req, p.planId, 'evaluate');
      const { plan: next, evaluation } = evaluate(plan, { ...body, by: principalOf(req).subject }, today());
      const saved = await plans.save(plan, next, 'evaluated', { decision: evaluation.decision, nextEvaluationOn: evaluation.nextEvaluationOn }, body.on);
      res.status(201).json({ plan: show(saved), evaluation });
    }),
  );

  router.post(
    '/plans/:planId/close',
    validated({ params }, async ({ params: p }, req, res) => {
      staffOnly(req);
      const plan = await load(req, p.planId, 'close');
      const next = close(plan, today());
      res.json(show(next === plan ? plan : await plans.save(plan, next, 'closed', {}, today())));
    }),
  );

  router.get(
    '/children/:childId/plans',
    validated({ params: z.object({ childId: z.uuid() }) }, async ({ params: p }, req, res) => {
      const principal = principalOf(req);
      const reached = principal.kind === 'staff' ? await institutionsGivingAccess(directory, principal, p.childId, today(), PLAN_ROLES) : new Set<string>();
      if (principal.kind === 'staff' && reached.size === 0) throw await refusal(principal, p.childId);
      if (principal.kind === 'service') throw notFound(`child ${p.childId}`);
      const visible: Stored<Plan>[] = [];
      // The relation to the child is checked once above (staff) or here (parents), not per plan.
      const custody = principal.kind === 'parent' && (await directory.custodyHolders(p.childId)).includes(principal.subject);
      // A parent without custody learns nothing, not even an empty list, and leaves no read in the child's trail.
      if (principal.kind === 'parent' && !custody) throw notFound(`child ${p.childId}`);
      for (const plan of await plans.forChild(p.childId)) if (principal.kind === 'parent' ? custody && plan.sharedWithParents : await staffMaySee(principal, plan, reached)) visible.push(plan);
      await audit.record(principal, { action: 'read', recordType: 'action-plans', recordId: null, childId: p.childId });
      res.json({ childId: p.childId, items: visible.map(show) });
    }),
  );

  return {
    loadPlan: async (req, id, action) => {
      staffOnly(req);
      return load(req, id, action);
    },
  };
}

/** The overdue list for a team and its leader: active plans of an institution past their evaluation date. */
export function overdueRoutes(router: Router, deps: PlanDeps & { overdue: () => Promise<Stored<Plan>[]> }): void {
  router.get(
    '/institutions/:institutionId/overdue-evaluations',
    validated({ params: z.object({ institutionId: z.uuid() }) }, async ({ params: p }, req, res) => {
      const principal = principalOf(req);
      const path = await deps.directory.unitPath(p.institutionId);
      if (!path[0] || path[0].municipalityId !== principal.municipalityId) throw notFound(`institution ${p.institutionId}`);
      if (!(await holdsRoleAt(deps.directory, principal, PLAN_ROLES, p.institutionId))) throw forbidden('the list is for the institution’s team and leader, and those above', 'ROLE_REQUIRED');
      // A child the caller may no longer see (moved to another institution) is not named to them;
      // each child named is a read of that child's plan, on the child's own record.
      const today = danishDay(deps.clock());
      const listed: Stored<Plan>[] = [];
      for (const plan of (await deps.overdue()).filter((x) => x.institutionId === p.institutionId)) {
        if (!plan.childId || (await institutionsGivingAccess(deps.directory, principal, plan.childId, today, PLAN_ROLES)).has(p.institutionId)) listed.push(plan);
      }
      await deps.audit.record(principal, { action: 'read', recordType: 'overdue-evaluations', recordId: p.institutionId });
      await deps.audit.recordAll(principal, listed.filter((x) => x.childId).map((plan) => ({ action: 'read', recordType: 'action-plan', recordId: plan._id, childId: plan.childId!, purpose: 'overdue-evaluations' })));
      const items = listed.map((plan) => ({ planId: plan._id, childId: plan.childId, groupId: plan.groupId, dueOn: plan.nextEvaluationOn }));
      res.json({ institutionId: p.institutionId, on: today, items });
    }),
  );
}
