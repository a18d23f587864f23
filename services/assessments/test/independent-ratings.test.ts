// Independent ratings (TOPI: each professional rates, then the team agrees): another
// professional's rating stays sealed until the viewer has rated too, or a joint rating rests on it.
import { describe, expect, test } from '@jest/globals';
import type { AppError } from '@spor/service-kit';
import { jointBasis, sealedFor } from '../src/domain/assessment.js';
import { rating, type Rated } from './rating-fixture.js';


describe('sealed independent ratings', () => {
  const anna = rating('a1', {});
  test('open to its own rater, sealed to a colleague who has not rated', () => {
    expect(sealedFor('anna', anna, [anna])).toBe(false);
    expect(sealedFor('bo', anna, [anna])).toBe(true);
  });

  test('open to a colleague once they have completed their own rating since the last joint one', () => {
    const boDraft = rating('b0', { createdBy: 'bo', status: 'draft', completedAt: undefined });
    expect(sealedFor('bo', anna, [anna, boDraft])).toBe(true);
    const bo = rating('b1', { createdBy: 'bo', completedAt: '2026-09-02T09:00:00.000Z' });
    expect(sealedFor('bo', anna, [anna, bo])).toBe(false);
    // Bo's rating from the last round does not open this round's.
    const oldBo = rating('b2', { createdBy: 'bo', completedAt: '2026-03-02T09:00:00.000Z' });
    const lastJoint = rating('j0', { rating: 'joint', createdBy: 'bo', basedOn: ['b2', 'a0'], completedAt: '2026-03-10T09:00:00.000Z' });
    expect(sealedFor('bo', anna, [oldBo, lastJoint, anna])).toBe(true);
    // Another instrument's rating opens nothing.
    expect(sealedFor('bo', anna, [anna, { ...bo, instrumentId: 'andet' }])).toBe(true);
  });

  test('the team is the institution: a rating Bo made at the SFO opens nothing at the school, and the SFO’s joint rating closes no school round', () => {
    const boAtSfo = rating('b1', { createdBy: 'bo', institutionId: 'sfo', completedAt: '2026-09-02T09:00:00.000Z' });
    expect(sealedFor('bo', anna, [anna, boAtSfo])).toBe(true);
    const bo = rating('b2', { createdBy: 'bo', completedAt: '2026-09-02T09:00:00.000Z' });
    const sfoJoint = rating('j9', { rating: 'joint', createdBy: 'bo', institutionId: 'sfo', completedAt: '2026-09-03T09:00:00.000Z' });
    expect(sealedFor('bo', anna, [anna, bo, sfoJoint])).toBe(false);
  });

  test('open to everyone once a joint rating rests on it; never sealed when it is not an independent rating', () => {
    const joint = rating('j1', { rating: 'joint', createdBy: 'leder', basedOn: ['a1', 'b1'], completedAt: '2026-09-05T09:00:00.000Z' });
    expect(sealedFor('carl', anna, [anna, joint])).toBe(false);
    expect(sealedFor('carl', joint, [anna, joint])).toBe(false);
  });
});

describe('what a joint rating rests on', () => {
  const anna = rating('a1', {});
  const bo = rating('b1', { createdBy: 'bo', completedAt: '2026-09-02T09:00:00.000Z' });
  const joint = { instrumentId: 'trivselsvurdering', target: anna.target, institutionId: 'i' };
  const refusal = (named: (Rated | null)[], childRatings: Rated[]) => {
    try {
      jointBasis(joint, 2, named, childRatings);
    } catch (e) {
      const { code, errors } = e as AppError;
      return { code, fields: errors!.map((x) => x.field), messages: errors!.map((x) => x.message) };
    }
    throw new Error('accepted');
  };

  test('two professionals’ completed ratings of the child here, once each', () => {
    expect(jointBasis(joint, 2, [anna, bo, anna], [anna, bo])).toEqual(['a1', 'b1']);
    // Two ratings by one professional are one rater.
    const annaAgain = rating('a2', { completedAt: '2026-09-03T09:00:00.000Z' });
    expect(refusal([anna, annaAgain], [anna, annaAgain])).toMatchObject({ code: 'RATINGS_MISSING', fields: ['basedOn'] });
  });

  test('each named rating that cannot carry it is named by its place, with one message for what is not this child’s here', () => {
    const elsewhere = rating('b2', { createdBy: 'bo', institutionId: 'old' });
    const draft = rating('b3', { createdBy: 'bo', status: 'draft', completedAt: undefined });
    const otherChild = rating('b4', { createdBy: 'bo', target: { kind: 'child', childId: 'other' } });
    const { fields, messages } = refusal([anna, elsewhere, null, draft, otherChild], [anna]);
    expect(fields).toEqual(['basedOn', 'basedOn[1]', 'basedOn[2]', 'basedOn[3]', 'basedOn[4]']);
    expect(new Set(messages.slice(1)).size).toBe(1);
  });

  test('a named rating that cannot carry it is refused even when enough others can: nothing named is dropped unsaid', () => {
    const elsewhere = rating('b2', { createdBy: 'bo', institutionId: 'old' });
    const last = rating('j1', { rating: 'joint', basedOn: ['a0', 'b0'], completedAt: '2026-09-01T12:00:00.000Z' });
    const stale = rating('c1', { createdBy: 'carl', completedAt: '2026-09-01T10:00:00.000Z' });
    const annaNew = rating('a3', { completedAt: '2026-09-02T09:00:00.000Z' });
    const refused = refusal([annaNew, bo, elsewhere, null, stale], [annaNew, bo, stale, last]);
    expect(refused).toMatchObject({ code: 'RATINGS_INVALID', fields: ['basedOn[2]', 'basedOn[3]', 'basedOn[4]'] });
    expect(refused.messages[2]).toContain('2026-09-01T12:00:00.000Z');
    expect(jointBasis(joint, 2, [annaNew, bo], [annaNew, bo, last])).toEqual(['a3', 'b1']);
  });

  test('ratings completed before the team’s last joint rating carry no new one', () => {
    const last = rating('j1', { rating: 'joint', basedOn: ['a1', 'b1'], completedAt: '2026-09-05T09:00:00.000Z' });
    const { fields, messages } = refusal([anna, bo], [anna, bo, last]);
    expect(fields).toEqual(['basedOn', 'basedOn[0]', 'basedOn[1]']);
    expect(messages[1]).toContain('2026-09-05T09:00:00.000Z');
    // A joint draft, or another instrument's joint rating, is no round's end.
    expect(jointBasis(joint, 2, [anna, bo], [anna, bo, { ...last, status: 'draft' }, { ...last, instrumentId: 'andet' }])).toEqual(['a1', 'b1']);
    const annaNew = rating('a3', { completedAt: '2026-09-06T09:00:00.000Z' });
    const boNew = rating('b5', { createdBy: 'bo', completedAt: '2026-09-07T09:00:00.000Z' });
    expect(jointBasis(joint, 2, [annaNew, boNew], [anna, bo, last, annaNew, boNew])).toEqual(['a3', 'b5']);
  });

  test('another team’s joint rating of the child (the SFO beside the school) ends no round here, and its time is not told', () => {
    const sfoJoint = rating('j2', { rating: 'joint', institutionId: 'sfo', completedAt: '2026-09-05T09:00:00.000Z' });
    expect(jointBasis(joint, 2, [anna, bo], [anna, bo, sfoJoint])).toEqual(['a1', 'b1']);
  });
});
