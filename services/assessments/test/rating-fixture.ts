// One well-being rating of one child, as the domain's pure functions take it: a professional's
// completed independent rating unless the test says otherwise.
import type { Assessment } from '../src/domain/assessment.js';

export type Rated = Assessment & { _id: string };

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
  parentAnswers: [],
  results: [{ section: 'trivsel', score: 2, category: 'red' }],
  sharedWithParents: false,
  createdBy: 'anna',
  createdAt: '2026-09-01T08:00:00.000Z',
  completedAt: '2026-09-01T09:00:00.000Z',
  amendments: [],
};

export const rating = (id: string, over: Partial<Assessment> = {}): Rated => ({ ...base, _id: id, ...over });

/** The team's rating with one traffic light, completed at `completedAt` (a draft without it). */
export const teamRating = (id: string, light: string, completedAt: string | undefined, over: Partial<Assessment> = {}): Rated =>
  rating(id, { rating: 'joint', status: completedAt ? 'completed' : 'draft', answers: { samlet: light }, results: [{ section: 'samlet', score: null, category: light }], completedAt, ...over });
