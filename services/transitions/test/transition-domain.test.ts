// The handover rules on their own: release on consent (R15) or on the municipality's guidelines.
import { describe, expect, test } from '@jest/globals';
import { acknowledge, commentAsParent, editHandover, kindOf, planTransition, release, revoke, showToParents, transitionClockStart } from '../src/domain/transition.js';

const at = new Date('2026-05-01T10:00:00Z');
const plan = () =>
  planTransition({ municipalityId: '510', childId: 'c', fromPlacementId: 'p', fromInstitutionId: 'from', toInstitutionId: 'to', toGroupId: null, date: '2026-08-01', plannedBy: 's', fromType: 'boernehave', toType: 'skole' });

describe('handover rules', () => {
  test('the kind follows the institutions; a school child does not go back to daycare', () => {
    expect(plan().kind).toBe('daycare-to-school');
    expect(kindOf('skole', 'sfo')).toBe('into-sfo');
    expect(() => kindOf('skole', 'boernehave')).toThrow(expect.objectContaining({ status: 422, code: 'TRANSITION_INVALID' }));
  });

  test('on consent, release needs a valid consent: else 409 CONSENT_REQUIRED under R15', () => {
    expect(() => release(plan(), 'consent', null, 's', at)).toThrow(expect.objectContaining({ status: 409, code: 'CONSENT_REQUIRED', rule: 'R15' }));
    const released = release(plan(), 'consent', 'consent-1', 's', at);
    expect(released.handover).toMatchObject({ status: 'released', legalBasis: 'consent', consentId: 'consent-1', releasedBy: 's' });
    expect(release(released, 'consent', 'consent-1', 's', at)).toBe(released);
    expect(() => editHandover(released, { note: 'more' })).toThrow(expect.objectContaining({ code: 'HANDOVER_RELEASED' }));
  });

  test('on guidelines, the parents are shown the package and may comment before release; an edit shows it again', () => {
    const drafted = editHandover(plan(), { note: 'Glad for at tegne' });
    expect(() => release(drafted, 'guidelines', null, 's', at)).toThrow(expect.objectContaining({ code: 'PARENTS_NOT_SHOWN', rule: 'R15' }));
    expect(() => commentAsParent(drafted, 'mor', 'ok', at)).toThrow(expect.objectContaining({ code: 'HANDOVER_NOT_SHOWN' }));
    const shown = commentAsParent(showToParents(drafted), 'mor', 'Hun sover dårligt om natten', at);
    expect(editHandover(shown, { note: 'ny' }).handover.status).toBe('draft');
    expect(release(shown, 'guidelines', null, 's', at).handover).toMatchObject({ status: 'released', legalBasis: 'guidelines', parentComments: [{ by: 'mor' }] });
  });

  test('the parents are shown the results and plans that would go along; on guidelines exactly that is released, and an edit takes it back', () => {
    const motorik = { instrumentId: 'motorik', instrumentVersion: 1, completedOn: '2026-09-01', ageMonths: 70, results: [{ section: 'grovmotorik', category: 'watch' }] };
    const dyslexia = { source: 'ordblindetesten', testedOn: '2026-05-12', score: 38, maxScore: 52, interpretation: 'below-expected' };
    const later = { instrumentId: 'trivselsvurdering', instrumentVersion: 1, completedOn: '2026-10-01', ageMonths: 71, results: [{ section: 'trivsel', category: 'red' }] };
    const noPlans = editHandover(plan(), { includeActionPlans: false });
    const shown = showToParents(noPlans, { assessmentResults: [motorik], externalResults: [dyslexia], actionPlans: [{ planId: 'p1', status: 'active', effortLevels: ['preventive'] }] });
    // What the parents see: the chosen content, frozen now; the plans were left out.
    expect(shown.handover).toMatchObject({ status: 'shown-to-parents', assessmentResults: [motorik], externalResults: [dyslexia] });
    expect(shown.handover).not.toHaveProperty('actionPlans');
    // Released on guidelines: what they were shown, not what was recorded since.
    const released = release(shown, 'guidelines', null, 's', at, { assessmentResults: [motorik, later], externalResults: [] });
    expect(released.handover).toMatchObject({ assessmentResults: [motorik], externalResults: [dyslexia] });
    // On consent, what there is at release.
    expect(release(shown, 'consent', 'c1', 's', at, { assessmentResults: [later] }).handover.assessmentResults).toEqual([later]);
    // Shown by a version that froze nothing: released with what there is now.
    const shownEarlier = { ...shown, handover: { ...noPlans.handover, status: 'shown-to-parents' as const } };
    expect(release(shownEarlier, 'guidelines', null, 's', at, { assessmentResults: [later] }).handover.assessmentResults).toEqual([later]);
    // An edit takes the shown content back with the status: the parents are shown the new one.
    const edited = editHandover(shown, { note: 'ny' });
    expect(edited.handover.status).toBe('draft');
    expect(edited.handover).not.toHaveProperty('assessmentResults');
    expect(edited.handover).not.toHaveProperty('externalResults');
  });

  test('acknowledged once; revoked only when released, and then no longer acknowledged', () => {
    const released = release(plan(), 'consent', 'c1', 's', at);
    const acked = acknowledge(released, 'r', at);
    expect(acknowledge(acked, 'r', at)).toBe(acked);
    expect(() => acknowledge(plan(), 'r', at)).toThrow(expect.objectContaining({ code: 'HANDOVER_NOT_RELEASED' }));
    expect(revoke(acked, 'consent-withdrawn', at)!.handover).toMatchObject({ status: 'revoked', revokedBecause: 'consent-withdrawn' });
    expect(revoke(plan(), 'consent-withdrawn', at)).toBeNull();
  });

  test('the retention clock starts on the day of the move once it is done; a planned transition is in use', () => {
    expect(transitionClockStart(plan())).toBeNull();
    expect(transitionClockStart({ ...plan(), status: 'completed' })).toEqual(new Date('2026-08-01T00:00:00Z'));
  });
});
