// R11, R12 and R14 on their own.
import { describe, expect, test } from '@jest/globals';
import { checkProvision, consentsNeeded, refuseWithoutConsent } from '../src/domain/meetings.js';

describe('R11 and R12: the consents a meeting needs', () => {
  test('a network meeting needs consent only with external professionals', () => {
    expect(consentsNeeded({ kind: 'network', participants: [{ role: 'pædagog', external: false }] })).toEqual([]);
    expect(consentsNeeded({ kind: 'network', participants: [{ role: 'psykolog', external: true }] }).map((n) => n.rule)).toEqual(['R11']);
  });

  test('a referral to PPV or VISO needs its consent and is agreed at a network or parents’ meeting, not a sparring', () => {
    expect(consentsNeeded({ kind: 'parents-conversation', participants: [{ role: 'mor', external: false }], referral: 'ppv' })).toEqual([expect.objectContaining({ purposeId: 'referral-ppv', rule: 'R12' })]);
    expect(consentsNeeded({ kind: 'network', participants: [{ role: 'ppr', external: true }], referral: 'viso' }).map((n) => n.purposeId)).toEqual(['network-meeting', 'referral-viso']);
    expect(() => consentsNeeded({ kind: 'sparring', participants: [{ role: 'leder', external: false }], referral: 'ppv' })).toThrow(expect.objectContaining({ status: 422, code: 'MEETING_INVALID' }));
    expect(() => refuseWithoutConsent([{ purposeId: 'referral-viso', rule: 'R12', why: 'a referral to VISO' }], '2030-03-04')).toThrow(expect.objectContaining({ status: 409, code: 'CONSENT_REQUIRED', rule: 'R12', detail: expect.stringContaining('valid on the meeting’s day 2030-03-04') }));
    expect(() => refuseWithoutConsent([], '2030-03-04')).not.toThrow();
  });
});

describe('R14: a mellemform', () => {
  const provision = { purpose: 'Ro og struktur', content: 'Mindre gruppe', method: 'Visuel dagsorden', pedagogy: 'Anerkendende', from: '2026-04-01', to: '2026-09-30', followUpOn: '2026-06-15', parentsInvolvement: 'Ugentlig samtale', childPerspective: 'Jeg kan lide de små grupper', learningCommunity: 'Deltager i formiddagens samling med sin gruppe' };
  const plan = { status: 'active', childId: 'child' };
  const granted = [{ from: '2026-04-01', to: '2026-09-30' }];
  test('is time-limited with a follow-up inside the period, and linked to the child’s active individual plan', () => {
    expect(() => checkProvision(provision, plan, granted)).not.toThrow();
    expect(() => checkProvision({ ...provision, to: '2026-04-01', followUpOn: '2026-04-01' }, plan, granted)).toThrow(expect.objectContaining({ status: 422, rule: 'R14', errors: [expect.objectContaining({ field: 'to' })] }));
    expect(() => checkProvision({ ...provision, followUpOn: '2026-10-01' }, plan, granted)).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ field: 'followUpOn' })] }));
    expect(() => checkProvision(provision, { ...plan, status: 'draft' }, granted)).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ field: 'planId' })] }));
    expect(() => checkProvision(provision, { ...plan, childId: null }, granted)).toThrow(expect.objectContaining({ rule: 'R14', errors: [expect.objectContaining({ field: 'planId', message: expect.stringContaining('one child') })] }));
  });

  test('R9: runs within a period the district council granted the child a mellemform for', () => {
    expect(() => checkProvision(provision, plan, [])).toThrow(expect.objectContaining({ status: 409, code: 'MELLEMFORM_NOT_GRANTED', rule: 'R9' }));
    expect(() => checkProvision({ ...provision, to: '2026-10-31' }, plan, granted)).toThrow(expect.objectContaining({ code: 'MELLEMFORM_NOT_GRANTED', detail: expect.stringContaining('granted: 2026-04-01 to 2026-09-30') }));
    // A refusal has no period.
    expect(() => checkProvision(provision, plan, [{ from: null, to: null }])).toThrow(expect.objectContaining({ code: 'MELLEMFORM_NOT_GRANTED' }));
  });
});
