// Independent ratings (TOPI: each professional rates, then the team agrees): another
// professional's rating stays sealed until the viewer has rated too, or a joint rating rests on it.
import { describe, expect, test } from '@jest/globals';
import { sealedFor, type Assessment } from '../src/domain/assessment.js';

const base: Assessment = {
  municipalityId: '510',
  instrumentId: 'trivselsvurdering',
  instrumentVersion: 1,
  target: { kind: 'child', childId: 'c' },
  institutionId: 'i',
  ageMonths: 40,
  rating: 'independent',
  basedOn: [],
  status: 'completed',
  answers: { samlet: 'red' },
  parentAnswers: {},
  results: [{ section: 'trivsel', score: 2, category: 'red' }],
  sharedWithParents: false,
  createdBy: 'anna',
  createdAt: '2026-09-01T08:00:00.000Z',
  completedAt: '2026-09-01T09:00:00.000Z',
  amendments: [],
};
const rating = (id: string, over: Partial<Assessment>) => ({ ...base, _id: id, ...over });

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

  test('open to everyone once a joint rating rests on it; never sealed when it is not an independent rating', () => {
    const joint = rating('j1', { rating: 'joint', createdBy: 'leder', basedOn: ['a1', 'b1'], completedAt: '2026-09-05T09:00:00.000Z' });
    expect(sealedFor('carl', anna, [anna, joint])).toBe(false);
    expect(sealedFor('carl', joint, [anna, joint])).toBe(false);
  });
});
