// The consent rules on their own: who must agree, withdrawal at once, expiry, idempotence.
import { describe, expect, test } from '@jest/globals';
import { consentClockStart, consentIdOf, evaluate, expireGrants, grantConsent, reevaluate, requestConsent, withdrawConsent, type Consent } from '../src/domain/consent.js';
import { BUILT_IN_PURPOSES, scopeProblems } from '../src/domain/purposes.js';

const transfer = BUILT_IN_PURPOSES.find((p) => p.purposeId === 'transition-transfer')!;
const t0 = new Date('2026-03-01T10:00:00Z');
const later = (days: number) => new Date(t0.getTime() + days * 86_400_000);
const request = () => requestConsent({ municipalityId: '510', childId: 'child', scope: { receivingUnitId: 'school' }, requestedBy: 'educator' }, transfer, t0);

describe('consent rules', () => {
  test('with two custody holders and a purpose that needs both, one grant is not enough; both are', () => {
    const one = grantConsent(request(), 'mor', 'substantial', t0)!;
    expect(evaluate(one, ['far', 'mor'], t0)).toEqual({ valid: false, missing: ['far'], validUntil: null });
    const both = grantConsent(one, 'far', 'high', later(1))!;
    expect(evaluate(both, ['far', 'mor'], later(1))).toEqual({ valid: true, missing: [], validUntil: later(transfer.validityDays).toISOString() });
  });

  test('a change of custody that changes validity is re-evaluated; the same holders again, or a consent never granted, are not', () => {
    const asPublished = (c: Consent, holders: string[], at: Date): Consent => ({ ...c, published: { ...evaluate(c, holders, at), at: at.toISOString(), holders } });
    const motherOnly = asPublished(grantConsent(request(), 'mor', 'substantial', t0)!, ['mor'], t0);
    expect(motherOnly.published).toMatchObject({ valid: true });
    // The father is registered: no longer valid, recorded as evidence.
    const next = reevaluate(motherOnly, ['far', 'mor'], later(1));
    expect(next?.history.at(-1)).toEqual({ at: later(1).toISOString(), action: 'reevaluated', purposeVersion: 1 });
    // Evaluated against these holders already (a redelivered event): nothing to say.
    expect(reevaluate(motherOnly, ['mor'], later(1))).toBeNull();
    // Other holders, the same validity: nothing to say either.
    const both = asPublished(grantConsent(grantConsent(request(), 'mor', 'substantial', t0)!, 'far', 'substantial', t0)!, ['far', 'mor'], t0);
    expect(reevaluate({ ...both, published: { ...both.published!, holders: ['far', 'mor', 'x'] } }, ['far', 'mor'], later(1))).toBeNull();
    // Stored before `published` was kept, never granted: invalid before and after.
    expect(reevaluate(request(), ['far', 'mor'], later(1))).toBeNull();
    // A re-evaluation does not restart the retention clock.
    const withdrawn = withdrawConsent(motherOnly, 'mor', 'substantial', later(2))!;
    const after = reevaluate({ ...withdrawn, published: { valid: true, validUntil: null, at: later(2).toISOString(), holders: ['mor'] } }, ['far', 'mor'], later(3))!;
    expect(consentClockStart(after)).toEqual(later(2));
  });

  test('a withdrawal by either holder makes it invalid at once, and the history keeps every step', () => {
    const both = grantConsent(grantConsent(request(), 'mor', 'substantial', t0)!, 'far', 'substantial', t0)!;
    const withdrawn = withdrawConsent(both, 'far', 'substantial', later(2))!;
    expect(evaluate(withdrawn, ['far', 'mor'], later(2)).valid).toBe(false);
    expect(withdrawn.history.map((h) => [h.action, h.parentId ?? null])).toEqual([['requested', null], ['granted', 'mor'], ['granted', 'far'], ['withdrawn', 'far']]);
    expect(withdrawConsent(withdrawn, 'far', 'substantial', later(3))).toBeNull();
  });

  test('granting twice changes nothing; a grant from someone who lost custody does not count', () => {
    const granted = grantConsent(request(), 'mor', 'substantial', t0)!;
    expect(grantConsent(granted, 'mor', 'substantial', later(1))).toBeNull();
    expect(evaluate(granted, ['far'], t0)).toMatchObject({ valid: false, missing: ['far'] });
    expect(evaluate(granted, [], t0).valid).toBe(false);
  });

  test('grants expire at the end of their period, not before', () => {
    const granted = grantConsent(grantConsent(request(), 'mor', 'substantial', t0)!, 'far', 'substantial', t0)!;
    const end = later(transfer.validityDays);
    expect(expireGrants(granted, new Date(end.getTime() - 1000)).expired).toEqual([]);
    const { consent, expired } = expireGrants(granted, end);
    expect(expired.sort()).toEqual(['far', 'mor']);
    expect(consent.grants).toEqual({});
    expect(consent.nextExpiry).toBeNull();
    expect(evaluate(consent, ['far', 'mor'], end).valid).toBe(false);
    // After expiry the same parent may grant again.
    expect(grantConsent(consent, 'mor', 'substantial', end)).not.toBeNull();
  });

  test('one consent per child, purpose and scope, whatever order the scope is written in', () => {
    const a = consentIdOf('child', 'share-assessment', { assessmentId: 'a', professionalId: 'p' });
    expect(consentIdOf('child', 'share-assessment', { professionalId: 'p', assessmentId: 'a' })).toBe(a);
    expect(consentIdOf('child', 'share-assessment', { professionalId: 'q', assessmentId: 'a' })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('a scope must name what the purpose needs and nothing else', () => {
    expect(scopeProblems(transfer, {})).toEqual([{ field: 'scope.receivingUnitId', message: 'the purpose transition-transfer needs receivingUnitId' }]);
    expect(scopeProblems(transfer, { receivingUnitId: 'x', assessmentId: 'y' })).toEqual([{ field: 'scope.assessmentId', message: 'the purpose transition-transfer takes no assessmentId' }]);
  });

  test('the retention clock starts when no grant lives any more, from the last evidence, and stops while a new grant lives', () => {
    expect(consentClockStart(request())).toEqual(t0);
    const granted = grantConsent(request(), 'mor', 'substantial', later(1))!;
    expect(consentClockStart(granted)).toBeNull();
    const withdrawn = withdrawConsent(granted, 'mor', 'substantial', later(5))!;
    expect(consentClockStart(withdrawn)).toEqual(later(5));
    const again = grantConsent(withdrawn, 'mor', 'substantial', later(9))!;
    expect(consentClockStart(again)).toBeNull();
    const expired = expireGrants(again, later(9 + transfer.validityDays)).consent;
    expect(consentClockStart(expired)).toEqual(later(9 + transfer.validityDays));
  });
});
