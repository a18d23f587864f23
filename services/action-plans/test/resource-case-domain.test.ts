// R7–R10 on their own: notice before the council, the plan and consent a CPR case needs, the
// parents informed for a group case, the grant's period and goals, and who decides what.
import { describe, expect, test } from '@jest/globals';
import { activate, addEffort, draftPlan, evaluate, type Plan } from '../src/domain/plan.js';
import { addMonths, checkSubmission, decide, type ResourceCase } from '../src/domain/resource-case.js';

function readyPlan(): Plan {
  let plan = activate(draftPlan({ municipalityId: '510', childId: 'child', groupId: null, institutionId: 'inst', startOn: '2026-01-05', nextEvaluationOn: '2026-02-01', goals: [{ text: 'Mål', signs: ['Tegn'] }], perspectives: { child: {}, parents: {} }, participants: [], createdBy: 's' }), '2026-01-05');
  plan = addEffort(plan, { level: 'preventive', description: 'p', actors: ['team'], start: '2026-01-06', end: null }, []).plan;
  plan = addEffort(plan, { level: 'anticipatory', description: 'a', actors: ['praksisvejleder'], start: '2026-01-07', end: null }, plan.efforts).plan;
  return evaluate(plan, { on: '2026-02-01', by: 's', goals: plan.goals.map((g) => ({ goalId: g.goalId, signsSeen: [] })), decision: 'escalate', nextEvaluationOn: '2026-03-01' }, '2026-12-31').plan;
}

const childCase = (submittedOn: string, meetingOn = '2026-03-20'): Omit<ResourceCase, 'status'> => ({ municipalityId: '510', districtId: 'd', institutionId: 'inst', kind: 'child-with-cpr', childId: 'child', groupId: null, planId: 'plan', meetingId: 'm', meetingOn, consentId: 'c', parentsInformedOn: null, submittedOn, submittedBy: 'leader' });

describe('R7 submission', () => {
  const plan = readyPlan();
  test('at least ten days before the meeting: 10 is accepted, 9 refused', () => {
    expect(() => checkSubmission(childCase('2026-03-10'), { plan, childEfforts: plan.efforts, consentValid: true })).not.toThrow();
    expect(() => checkSubmission(childCase('2026-03-11'), { plan, childEfforts: plan.efforts, consentValid: true })).toThrow(expect.objectContaining({ status: 422, code: 'SUBMISSION_TOO_LATE', rule: 'R7', detail: expect.stringContaining('this is 9 day(s)') }));
  });

  test('without valid consent from every custody holder, or without the plan, it is refused naming the rule', () => {
    expect(() => checkSubmission(childCase('2026-03-01'), { plan, childEfforts: plan.efforts, consentValid: false })).toThrow(expect.objectContaining({ status: 409, code: 'CONSENT_REQUIRED', rule: 'R7' }));
    expect(() => checkSubmission(childCase('2026-03-01'), { plan: null, childEfforts: [], consentValid: true })).toThrow(expect.objectContaining({ code: 'CASE_PLAN_INCOMPLETE', rule: 'R7' }));
    const unevaluated = addEffort(plan, { level: 'anticipatory', description: 'ny', actors: ['advisory-team'], start: '2026-02-10', end: null }, plan.efforts).plan;
    expect(() => checkSubmission(childCase('2026-03-01'), { plan: unevaluated, childEfforts: unevaluated.efforts, consentValid: true })).toThrow(expect.objectContaining({ rule: 'R5' }));
  });

  test('R8: a group case without CPR needs no consent but the parents informed', () => {
    const group = { ...childCase('2026-03-01'), kind: 'group-without-cpr' as const, childId: null, groupId: 'g', planId: null, consentId: null };
    expect(() => checkSubmission(group, { plan: null, childEfforts: [], consentValid: false })).toThrow(expect.objectContaining({ code: 'PARENTS_NOT_INFORMED', rule: 'R8' }));
    expect(() => checkSubmission({ ...group, parentsInformedOn: '2026-02-25' }, { plan: null, childEfforts: [], consentValid: false })).not.toThrow();
  });
});

describe('R9 and R10 decisions', () => {
  const submitted: ResourceCase = { ...childCase('2026-03-01'), status: 'submitted' };
  const consultant = { personId: 'pc', roles: ['pedagogical-consultant'] };

  test('a grant runs six months by default, with goals; a refusal needs none', () => {
    const granted = decide(submitted, { outcome: 'praksisvejleder', from: '2026-04-01', goals: ['Deltager i samling'], answer: 'Rådet bevilger en praksisvejleder.' }, consultant, '2026-03-20', true);
    expect(granted.decision).toMatchObject({ outcome: 'praksisvejleder', from: '2026-04-01', to: '2026-09-30' });
    expect(() => decide(submitted, { outcome: 'free-funds', goals: [], answer: 'Bevilget uden mål' }, consultant, '2026-03-20', true)).toThrow(expect.objectContaining({ rule: 'R9' }));
    expect(decide(submitted, { outcome: 'refused', goals: [], answer: 'Rådet afslår.' }, consultant, '2026-03-20', true).decision).toMatchObject({ from: null, to: null });
    expect(() => decide(granted, { outcome: 'refused', goals: [], answer: 'igen igen' }, consultant, '2026-03-21', true)).toThrow(expect.objectContaining({ code: 'CASE_DECIDED' }));
  });

  test('a period ends the day before the same date, or on the last day of a shorter month', () => {
    expect([addMonths('2026-04-01', 6), addMonths('2026-01-15', 6), addMonths('2026-08-31', 6), addMonths('2027-08-31', 6), addMonths('2026-01-31', 1), addMonths('2026-12-01', 1)]).toEqual(['2026-09-30', '2026-07-14', '2027-02-28', '2028-02-29', '2026-02-28', '2026-12-31']);
  });

  test('consent withdrawn after submission stops the decision', () => {
    expect(() => decide(submitted, { outcome: 'mellemform', goals: ['x'], answer: 'Bevilget mellemform' }, consultant, '2026-03-20', false)).toThrow(expect.objectContaining({ code: 'CONSENT_REQUIRED', rule: 'R7' }));
  });

  test('special daycare is an intervening effort: R5 holds for it, not for extra resources for a chronic illness', () => {
    const bare = { ...childCase('2026-03-01'), meetingId: null, meetingOn: null, consentId: null };
    expect(() => checkSubmission({ ...bare, kind: 'special-provision' }, { plan: null, childEfforts: [], consentValid: false })).toThrow(expect.objectContaining({ code: 'ESCALATION_REQUIRES_EVALUATED_PRIOR_EFFORTS', rule: 'R5' }));
    const plan = readyPlan();
    expect(() => checkSubmission({ ...bare, kind: 'special-provision' }, { plan: null, childEfforts: plan.efforts, consentValid: false })).not.toThrow();
    expect(() => checkSubmission({ ...bare, kind: 'chronic-illness' }, { plan: null, childEfforts: [], consentValid: false })).not.toThrow();
  });

  test('R10: special provision is decided by the pedagogical consultant, not the council', () => {
    const special: ResourceCase = { ...submitted, kind: 'special-provision', meetingId: null, meetingOn: null };
    expect(() => decide(special, { outcome: 'granted', goals: ['y'], answer: 'Bevilget særligt dagtilbud' }, { personId: 'dc', roles: ['district-council-member'] }, '2026-03-20', true)).toThrow(expect.objectContaining({ status: 403, rule: 'R10' }));
    expect(decide(special, { outcome: 'granted', goals: ['y'], answer: 'Bevilget særligt dagtilbud' }, consultant, '2026-03-20', true).decision!.outcome).toBe('granted');
    expect(() => decide(special, { outcome: 'praksisvejleder', goals: ['y'], answer: 'Forkert udfald her' }, consultant, '2026-03-20', true)).toThrow(expect.objectContaining({ code: 'DECISION_INVALID' }));
  });
});
