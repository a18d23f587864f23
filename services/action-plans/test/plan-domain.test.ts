// The plan rules R1–R6 on their own, with accepted and refused cases.
import { describe, expect, test } from '@jest/globals';
import { activate, addEffort, changePlan, checkEscalation, draftPlan, evaluate, evaluationOverdue, type Effort, type Plan } from '../src/domain/plan.js';

const base = { municipalityId: '510', childId: 'child', groupId: null, institutionId: 'inst', startOn: '2026-01-05', nextEvaluationOn: '2026-03-01', perspectives: { child: { seeMeAsIAm: 'Jeg kan lide at bygge' }, parents: {} }, participants: [], createdBy: 'staff' };
const active = (): Plan => activate(draftPlan({ ...base, goals: [{ text: 'Deltager i samlingen', signs: ['Sidder med i fem minutter'] }] }), '2026-01-05');
const effort = (level: Effort['level'], start = '2026-01-10', end: string | null = null) => ({ level, description: `${level} indsats`, actors: ['team'], start, end });
/** The day the tests are run on: after every evaluation they make. */
const TODAY = '2026-12-31';
/** Every goal of the plan evaluated, no sign seen. */
const allGoals = (plan: Plan) => plan.goals.map((g) => ({ goalId: g.goalId, signsSeen: [] }));

describe('R1 activation and R3 targets', () => {
  test('a plan needs a goal with a sign and an evaluation date to become active', () => {
    expect(() => activate(draftPlan({ ...base, goals: [{ text: 'Mål uden tegn', signs: [] }] }), '2026-01-05')).toThrow(expect.objectContaining({ status: 422, code: 'PLAN_INCOMPLETE', rule: 'R1' }));
    expect(() => activate(draftPlan({ ...base, nextEvaluationOn: null, goals: [{ text: 'Mål', signs: ['Tegn'] }] }), '2026-01-05')).toThrow(expect.objectContaining({ rule: 'R1', detail: expect.stringContaining('an evaluation date') }));
    expect(active().status).toBe('active');
  });

  test('a plan concerns a child, a group or both; never neither', () => {
    expect(() => draftPlan({ ...base, childId: null, goals: [] })).toThrow(expect.objectContaining({ code: 'PLAN_INVALID', rule: 'R3' }));
    expect(draftPlan({ ...base, childId: null, groupId: 'group', goals: [] }).groupId).toBe('group');
    expect(draftPlan({ ...base, groupId: 'group', goals: [] })).toMatchObject({ childId: 'child', groupId: 'group' });
  });
});

describe('R4 evaluations', () => {
  test('per goal: signs seen, adjustment, decision and the next date; unknown goals and signs are named', () => {
    const plan = active();
    const goal = plan.goals[0]!;
    const { plan: evaluated } = evaluate(plan, { on: '2026-03-01', by: 'staff', goals: [{ goalId: goal.goalId, signsSeen: [goal.signs[0]!.signId], adjustment: 'Kortere samling' }], decision: 'adjust', nextEvaluationOn: '2026-05-01' }, TODAY);
    expect(evaluated.nextEvaluationOn).toBe('2026-05-01');
    expect(() => evaluate(plan, { on: '2026-03-01', by: 's', goals: [...allGoals(plan), { goalId: 'nope', signsSeen: [] }], decision: 'continue', nextEvaluationOn: '2026-04-01' }, TODAY)).toThrow(expect.objectContaining({ status: 422, errors: [expect.objectContaining({ field: 'goals.1.goalId' })] }));
    expect(() => evaluate(plan, { on: '2025-12-01', by: 's', goals: allGoals(plan), decision: 'continue', nextEvaluationOn: '2026-04-01' }, TODAY)).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ field: 'on' })] }));
    expect(() => evaluate(plan, { on: '2026-03-01', by: 's', goals: allGoals(plan), decision: 'continue', nextEvaluationOn: null }, TODAY)).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ field: 'nextEvaluationOn' })] }));
    const { plan: closed } = evaluate(plan, { on: '2026-03-01', by: 's', goals: allGoals(plan), decision: 'close', nextEvaluationOn: null }, TODAY);
    expect(closed).toMatchObject({ status: 'closed', closedOn: '2026-03-01' });
  });

  test('an evaluation records every goal, once, on a day that has come', () => {
    const plan = active();
    const [goal] = allGoals(plan);
    const refused = (input: Partial<Parameters<typeof evaluate>[1]>, today = TODAY) => () => evaluate(plan, { on: '2026-03-01', by: 's', goals: allGoals(plan), decision: 'continue', nextEvaluationOn: '2026-04-01', ...input }, today);
    expect(refused({ goals: [] })).toThrow(expect.objectContaining({ status: 422, rule: 'R4', errors: [expect.objectContaining({ field: 'goals', message: expect.stringContaining(goal!.goalId) })] }));
    expect(refused({ goals: [goal!, goal!] })).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ field: 'goals.1.goalId', message: expect.stringContaining('twice') })] }));
    // Dated ahead it would quiet the overdue flag, and meet R5, before anything was seen.
    expect(refused({ on: '2026-03-02' }, '2026-03-01')).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ field: 'on', message: expect.stringContaining('after today') })] }));
    expect(() => refused({}, '2026-03-01')()).not.toThrow();
  });

  test('an effort that ended since the last evaluation counts as evaluated by the next one', () => {
    let plan = addEffort(active(), effort('preventive', '2026-01-10', '2026-02-10'), []).plan;
    plan = evaluate(plan, { on: '2026-03-01', by: 's', goals: allGoals(plan), decision: 'continue', nextEvaluationOn: '2026-04-01' }, TODAY).plan;
    expect(plan.efforts[0]!.evaluatedOn).toEqual(['2026-03-01']);
    // Ended before that evaluation: it is not evaluated again by the next one.
    plan = evaluate(plan, { on: '2026-04-01', by: 's', goals: allGoals(plan), decision: 'continue', nextEvaluationOn: '2026-05-01' }, TODAY).plan;
    expect(plan.efforts[0]!.evaluatedOn).toEqual(['2026-03-01']);
  });

  test('an evaluation date that passed without an evaluation is overdue', () => {
    expect(evaluationOverdue(active(), '2026-03-01')).toBe(false);
    expect(evaluationOverdue(active(), '2026-03-02')).toBe(true);
  });
});

describe('changing a plan', () => {
  test('an active plan’s evaluation date is not put in the past or before the start, and an overdue one moves only by an evaluation', () => {
    const plan = active(); // next evaluation 2026-03-01
    expect(changePlan(plan, { nextEvaluationOn: '2026-04-01' }, '2026-02-01').nextEvaluationOn).toBe('2026-04-01');
    expect(() => changePlan(plan, { nextEvaluationOn: '2026-01-20' }, '2026-02-01')).toThrow(expect.objectContaining({ status: 422, errors: [expect.objectContaining({ field: 'nextEvaluationOn', message: expect.stringContaining('in the past') })] }));
    expect(() => changePlan(plan, { nextEvaluationOn: '2025-12-01' }, '2026-02-01')).toThrow(expect.objectContaining({ status: 422, errors: [expect.objectContaining({ message: expect.stringContaining('before the plan starts') })] }));
    expect(() => changePlan(plan, { nextEvaluationOn: '2026-06-01' }, '2026-03-05')).toThrow(expect.objectContaining({ status: 409, code: 'EVALUATION_OVERDUE', rule: 'R4' }));
    // Other changes of an overdue plan are not held up.
    expect(changePlan(plan, { sharedWithParents: true }, '2026-03-05').sharedWithParents).toBe(true);
  });

  test('a closed plan is a public record: only whether the parents see it changes', () => {
    const plan = active();
    const closed = evaluate(plan, { on: '2026-03-01', by: 's', goals: allGoals(plan), decision: 'close', nextEvaluationOn: null }, TODAY).plan;
    expect(() => changePlan(closed, { addGoals: [{ text: 'Nyt mål', signs: [] }] }, TODAY)).toThrow(expect.objectContaining({ status: 409, code: 'PLAN_CLOSED' }));
    expect(() => changePlan(closed, { perspectives: { child: { seeMeAsIAm: 'ændret' } } }, TODAY)).toThrow(expect.objectContaining({ code: 'PLAN_CLOSED' }));
    expect(changePlan(closed, { sharedWithParents: true }, TODAY)).toMatchObject({ status: 'closed', sharedWithParents: true });
  });
});

describe('R5 escalation', () => {
  test('an intervening effort is refused until preventive and anticipatory efforts are each evaluated', () => {
    let plan = active();
    expect(() => addEffort(plan, effort('intervening'), plan.efforts)).toThrow(expect.objectContaining({ status: 409, code: 'ESCALATION_REQUIRES_EVALUATED_PRIOR_EFFORTS', rule: 'R5' }));
    plan = addEffort(plan, effort('preventive'), plan.efforts).plan;
    plan = evaluate(plan, { on: '2026-03-01', by: 's', goals: allGoals(plan), decision: 'continue', nextEvaluationOn: '2026-04-01' }, TODAY).plan;
    // An anticipatory effort that has not been evaluated yet still blocks escalation.
    plan = addEffort(plan, effort('anticipatory', '2026-03-02'), plan.efforts).plan;
    expect(() => addEffort(plan, effort('intervening', '2026-03-10'), plan.efforts)).toThrow(expect.objectContaining({ detail: expect.stringContaining('1 anticipatory effort(s) not yet evaluated') }));
    plan = evaluate(plan, { on: '2026-04-01', by: 's', goals: allGoals(plan), decision: 'escalate', nextEvaluationOn: '2026-05-01' }, TODAY).plan;
    // Dated back before the evaluation that allows it, it does not come after it.
    expect(() => addEffort(plan, effort('intervening', '2026-03-31'), plan.efforts)).toThrow(expect.objectContaining({ rule: 'R5', detail: expect.stringContaining('not yet evaluated on or before 2026-03-31') }));
    const { effort: intervening } = addEffort(plan, effort('intervening', '2026-04-02'), plan.efforts);
    expect(intervening.level).toBe('intervening');
  });

  test('a group plan without a child is not held to R5; efforts cannot start before the plan', () => {
    expect(() => checkEscalation('intervening', null, [])).not.toThrow();
    expect(() => addEffort(active(), effort('preventive', '2025-12-01'), [])).toThrow(expect.objectContaining({ status: 422 }));
  });
});
